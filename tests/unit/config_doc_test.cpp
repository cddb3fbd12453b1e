// Every key the parser accepts is documented in the example config, and the example parses.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config.hpp"

namespace oidc_sysauth {
namespace {

std::string read_example() {
  std::ifstream in(std::string(OIDC_SOURCE_DIR) + "/packaging/oidc-sysauth.conf.example");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ConfigDocTest, ExampleParses) {
  auto text = read_example();
  ASSERT_FALSE(text.empty());
  auto c = parse_config(text, "oidc-sysauth.conf.example");
  ASSERT_TRUE(c) << c.error().detail;
  EXPECT_EQ(c->access_for("sudo").allowed_groups->at(0), "admin");
}

TEST(ConfigDocTest, EveryParserKeyIsDocumented) {
  auto text = read_example();
  for (const auto& key : known_config_keys()) {
    auto dot = key.find('.');
    std::string name = key.substr(dot + 1);
    if (key.rfind("service.", 0) == 0) {
      EXPECT_NE(text.find(name), std::string::npos) << key;
      continue;
    }
    // Documented as a live line ("key =") or, for keys unset by default, as "; key = ...".
    const bool live = text.find("\n" + name + " =") != std::string::npos;
    const bool commented = text.find(";   " + name + " =") != std::string::npos;
    EXPECT_TRUE(live || commented) << "undocumented key " << key;
  }
}

}  // namespace
}  // namespace oidc_sysauth
