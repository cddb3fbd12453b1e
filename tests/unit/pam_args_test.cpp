#include "pam_args.hpp"

#include <gtest/gtest.h>

#include "config.hpp"

namespace oidc_sysauth {
namespace {

PamArgs parse(std::initializer_list<const char*> words) {
  std::vector<const char*> argv(words);
  return parse_pam_args(static_cast<int>(argv.size()), argv.data());
}

TEST(PamArgs, DefaultsAreOffAndDefaultConfig) {
  const PamArgs args = parse({});
  EXPECT_FALSE(args.debug);
  EXPECT_FALSE(args.use_first_pass);
  EXPECT_FALSE(args.try_first_pass);
  EXPECT_FALSE(args.token_login);
  EXPECT_FALSE(args.ignore_unknown_user);
  EXPECT_TRUE(args.unknown.empty());
  EXPECT_EQ(config_path_of(args), kDefaultConfigPath);
}

TEST(PamArgs, EveryKnownWord) {
  const PamArgs args =
      parse({"config=/etc/x.conf", "debug", "use_first_pass", "try_first_pass", "token_login", "ignore_unknown_user"});
  EXPECT_EQ(config_path_of(args), "/etc/x.conf");
  EXPECT_TRUE(args.debug);
  EXPECT_TRUE(args.use_first_pass);
  EXPECT_TRUE(args.try_first_pass);
  EXPECT_TRUE(args.token_login);
  EXPECT_TRUE(args.ignore_unknown_user);
  EXPECT_TRUE(args.unknown.empty());
}

TEST(PamArgs, UnknownWordsAreCollectedNotFatal) {
  const PamArgs args = parse({"debgu", "token_login", "config=relative.conf", "config=", "Debug"});
  EXPECT_TRUE(args.token_login);
  EXPECT_FALSE(args.debug);
  EXPECT_EQ(args.unknown, (std::vector<std::string>{"debgu", "config=relative.conf", "config=", "Debug"}));
  EXPECT_EQ(config_path_of(args), kDefaultConfigPath);  // a relative path is never used
}

TEST(PamArgs, NullArgvAndNullEntries) {
  EXPECT_TRUE(parse_pam_args(3, nullptr).unknown.empty());
  const char* argv[] = {nullptr, "debug"};
  EXPECT_TRUE(parse_pam_args(2, argv).debug);
}

TEST(PamArgs, LastConfigWins) { EXPECT_EQ(config_path_of(parse({"config=/a", "config=/b"})), "/b"); }

}  // namespace
}  // namespace oidc_sysauth
