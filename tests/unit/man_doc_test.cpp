// Every key the parser accepts appears in the generated oidc-sysauth.conf(5), under its section,
// and every man page was generated. The pages are built by the `man` target (packaging/man),
// which also defines OIDC_MAN_DIR for this test.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "config.hpp"

#ifndef OIDC_MAN_DIR
#error "OIDC_MAN_DIR is defined by packaging/man/CMakeLists.txt"
#endif

namespace oidc_sysauth {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// roff → plain text, enough to search it: font changes (\f[B], \fB, \f[]) and escaped hyphens.
std::string plain(const std::string& roff) {
  std::string text = std::regex_replace(roff, std::regex(R"(\\f(\[[A-Z]*\]|[A-Z]))"), "");
  text = std::regex_replace(text, std::regex(R"(\\-)"), "-");
  return text;
}

// The text of subsection ".SS [name]" up to the next heading; empty when it is missing.
std::string section_text(const std::string& text, const std::string& heading) {
  auto start = text.find("\n.SS " + heading + "\n");
  if (start == std::string::npos) return {};
  auto end = text.find("\n.S", start + 1);
  return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

TEST(ManDocTest, EveryParserKeyIsInTheConfManPage) {
  const std::string text = plain(read_file(std::string(OIDC_MAN_DIR) + "/oidc-sysauth.conf.5"));
  ASSERT_FALSE(text.empty()) << "build the man target first";
  for (const auto& key : known_config_keys()) {
    const auto dot = key.find('.');
    const std::string section = key.substr(0, dot);
    const std::string name = key.substr(dot + 1);
    // [service:NAME] takes the keys of [access]; its subsection names them.
    const std::string heading = section == "service" ? "[service:sudo]" : "[" + section + "]";
    const std::string body = section_text(text, heading);
    ASSERT_FALSE(body.empty()) << "no subsection " << heading << " for " << key;
    if (section == "service") {
      EXPECT_NE(body.find(name), std::string::npos) << key;
    } else {
      // Documented as a term: "name = value" (possibly after another key on the same line).
      EXPECT_TRUE(std::regex_search(body, std::regex("(^|\n|, )" + name + " = "))) << "undocumented key " << key;
    }
  }
}

TEST(ManDocTest, EveryPageIsGenerated) {
  for (const char* page : {"pam_oidc.8", "nss-oidc.8", "oidc-sasl.8", "oidc-sysauth.1", "oidc-sysauth.conf.5"}) {
    const std::string roff = read_file(std::string(OIDC_MAN_DIR) + "/" + page);
    EXPECT_NE(roff.find(".TH "), std::string::npos) << page;
    EXPECT_NE(roff.find(".SH NAME"), std::string::npos) << page;
    EXPECT_EQ(roff.find("@CONFIG_KEYS@"), std::string::npos) << page;
  }
}

}  // namespace
}  // namespace oidc_sysauth
