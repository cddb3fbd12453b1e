// Secrets are compared in constant time (security issue 8): constant_time_equals and
// Secret::equals give the right answer for every shape of input, and no source file compares
// an exposed secret with == / != (a regression would reintroduce an early-exit comparison).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "secret.hpp"

namespace oidc_sysauth {
namespace {

TEST(SecretCompare, ConstantTimeEqualsIsCorrect) {
  EXPECT_TRUE(constant_time_equals("", ""));
  EXPECT_TRUE(constant_time_equals("client-secret", "client-secret"));
  EXPECT_FALSE(constant_time_equals("client-secret", "client-secreT"));
  EXPECT_FALSE(constant_time_equals("client-secret", "Client-secret"));
  EXPECT_FALSE(constant_time_equals("client-secret", "client-secret-longer"));
  EXPECT_FALSE(constant_time_equals("client-secret", ""));
  EXPECT_FALSE(constant_time_equals("", "x"));
  const std::string a("a\0b", 3), b("a\0c", 3);
  EXPECT_FALSE(constant_time_equals(a, b));
  EXPECT_TRUE(constant_time_equals(a, std::string("a\0b", 3)));
  const std::string big(65536, 'x');
  std::string big2 = big;
  EXPECT_TRUE(constant_time_equals(big, big2));
  big2.back() = 'y';
  EXPECT_FALSE(constant_time_equals(big, big2));
}

TEST(SecretCompare, SecretEqualsUsesIt) {
  const Secret s("hunter2");
  EXPECT_TRUE(s.equals("hunter2"));
  EXPECT_FALSE(s.equals("hunter3"));
  EXPECT_FALSE(s.equals("hunter"));
  EXPECT_FALSE(Secret("").equals("x"));
}

// Source scan: no `expose() ==` / `== x.expose()` style comparisons in the product code.
TEST(SecretCompare, NoSecretIsComparedWithEqualityOperators) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(OIDC_SOURCE_DIR);
  const std::regex bad(R"(expose\(\)\s*[!=]=|[!=]=\s*[A-Za-z_][A-Za-z0-9_.>-]*expose\(\))");
  int scanned = 0;
  for (const char* dir : {"common", "pam", "nss", "sasl", "cli"}) {
    for (const auto& e : fs::recursive_directory_iterator(root / dir)) {
      const auto ext = e.path().extension();
      if (!e.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) continue;
      std::ifstream in(e.path());
      std::string line;
      int n = 0;
      while (std::getline(in, line)) {
        ++n;
        EXPECT_FALSE(std::regex_search(line, bad)) << e.path() << ":" << n << ": " << line;
      }
      ++scanned;
    }
  }
  EXPECT_GT(scanned, 50);
}

}  // namespace
}  // namespace oidc_sysauth
