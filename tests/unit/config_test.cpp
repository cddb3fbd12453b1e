#include <gtest/gtest.h>

#include "config.hpp"

namespace oidc_sysauth {
namespace {

constexpr const char* kMinimal =
    "[idp]\n"
    "issuer = https://login.example.com/realms/corp   ; must equal discovery\n"
    "client_id = linux-hosts\n";

TEST(ConfigTest, MinimalConfigGetsDocumentedDefaults) {
  auto c = parse_config(kMinimal, "test.conf");
  ASSERT_TRUE(c) << c.error().detail;
  EXPECT_EQ(c->idp.issuer, "https://login.example.com/realms/corp");
  EXPECT_EQ(c->idp.client_id, "linux-hosts");
  EXPECT_EQ(c->idp.timeout_seconds, 10);
  EXPECT_EQ(c->accounts.uid_min, 200000u);
  EXPECT_EQ(c->claims.groups.size(), 3u);
  EXPECT_EQ(c->audiences(), std::vector<std::string>{"linux-hosts"});
}

TEST(ConfigTest, UnknownKeyNamesFileLineAndKey) {
  auto c = parse_config(std::string(kMinimal) + "colour = blue\n", "x.conf");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kConfig);
  EXPECT_NE(c.error().detail.find("x.conf:4"), std::string::npos) << c.error().detail;
  EXPECT_NE(c.error().detail.find("colour"), std::string::npos);
}

TEST(ConfigTest, BadValueIsRefused) {
  auto c = parse_config(std::string(kMinimal) + "timeout = soon\n", "x.conf");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().detail.find("timeout"), std::string::npos);
  EXPECT_FALSE(parse_config(std::string(kMinimal) + "algorithms = RS256 none\n", "x"));
  EXPECT_FALSE(parse_config(std::string(kMinimal) + "algorithms = HS256\n", "x"));
  EXPECT_FALSE(parse_config(std::string(kMinimal) + "allow_http = maybe\n", "x"));
}

TEST(ConfigTest, HttpIssuerNeedsAllowHttp) {
  EXPECT_FALSE(parse_config("[idp]\nissuer = http://127.0.0.1:8080\nclient_id = c\n", "x"));
  EXPECT_TRUE(parse_config("[idp]\nissuer = http://127.0.0.1:8080\nclient_id = c\nallow_http = true\n", "x"));
}

TEST(ConfigTest, ServiceSectionOverridesAccess) {
  auto c = parse_config(std::string(kMinimal) +
                            "[access]\nallowed_groups = staff admin\nrequire = email_verified=true\n"
                            "[service:sudo]\nallowed_groups = admin\ngrant = password\n",
                        "x");
  ASSERT_TRUE(c) << c.error().detail;
  auto sudo = c->access_for("sudo");
  ASSERT_TRUE(sudo.allowed_groups);
  EXPECT_EQ(*sudo.allowed_groups, std::vector<std::string>{"admin"});
  ASSERT_TRUE(sudo.require);  // inherited from [access]
  EXPECT_EQ(sudo.require->at(0).first, "email_verified");
  EXPECT_EQ(c->grant_for("sudo"), GrantType::kPassword);
  EXPECT_EQ(c->grant_for("sshd"), GrantType::kAuto);
  EXPECT_EQ(c->access_for("sshd").allowed_groups->size(), 2u);
}

TEST(ConfigTest, GroupMapAndContinuationLines) {
  auto c = parse_config(std::string(kMinimal) + "[accounts]\ngroup_map = admin:sudo\n  staff:users\n", "x");
  ASSERT_TRUE(c) << c.error().detail;
  ASSERT_EQ(c->accounts.group_map.size(), 2u);
  EXPECT_EQ(c->accounts.group_map[1].second, "users");
  EXPECT_FALSE(parse_config(std::string(kMinimal) + "[accounts]\ngroup_map = admin\n", "x"));
}

TEST(ConfigTest, OverlongLineAndDuplicateKeyAreRefused) {
  EXPECT_FALSE(parse_config(std::string(kMinimal) + "scopes = " + std::string(300, 'a') + "\n", "x"));
  EXPECT_FALSE(parse_config(std::string(kMinimal) + "client_id = other\n", "x"));
  EXPECT_FALSE(parse_config(std::string("[idp]\nissuer = https://x\nclient_id = c\0zz\n", 40), "x"));
}

TEST(ConfigTest, MissingRequiredKeys) {
  EXPECT_FALSE(parse_config("[idp]\nclient_id = c\n", "x"));
  EXPECT_FALSE(parse_config("[idp]\nissuer = https://x\n", "x"));
}

TEST(ConfigTest, MissingFileIsConfigError) {
  auto c = load_config("/nonexistent/oidc.conf");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kConfig);
}

}  // namespace
}  // namespace oidc_sysauth
