// The README's per-IdP walkthroughs ("Which grant each IdP supports"): every ```ini block parses
// with the real parser, and each says what its prose says (which grant each service uses).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "config.hpp"

namespace oidc_sysauth {
namespace {

// heading ("Keycloak") → the ini block under it, from the README's IdP section only.
std::map<std::string, std::string> idp_blocks() {
  std::ifstream in(std::string(OIDC_SOURCE_DIR) + "/README.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string readme = text.str();
  const std::size_t start = readme.find("### Which grant each IdP supports");
  const std::size_t end = readme.find("\n## ", start);
  EXPECT_NE(start, std::string::npos);
  const std::string section = readme.substr(start, end - start);
  std::map<std::string, std::string> blocks;
  std::size_t pos = 0;
  while ((pos = section.find("\n#### ", pos)) != std::string::npos) {
    const std::size_t eol = section.find('\n', pos + 1);
    const std::string heading = section.substr(pos + 6, eol - pos - 6);
    const std::size_t next = section.find("\n#### ", eol);
    const std::size_t open = section.find("```ini\n", eol);
    if (open != std::string::npos && open < next) {
      const std::size_t close = section.find("```", open + 7);
      blocks[heading] = section.substr(open + 7, close - open - 7);
    }
    pos = eol;
  }
  return blocks;
}

Config parsed(const std::string& heading) {
  static const auto blocks = idp_blocks();
  auto it = blocks.find(heading);
  if (it == blocks.end()) {
    ADD_FAILURE() << "README has no ini block under '#### " << heading << "'";
    return Config{};
  }
  auto config = parse_config(it->second, "README.md " + heading);
  if (!config) {
    ADD_FAILURE() << config.error().detail;
    return Config{};
  }
  return *config;
}

TEST(ReadmeIdpConfigs, EveryBlockParses) {
  const auto blocks = idp_blocks();
  EXPECT_EQ(blocks.size(), 4u);
  for (const auto& [heading, block] : blocks) {
    auto config = parse_config(block, heading);
    EXPECT_TRUE(config) << heading << ": " << config.error().detail;
  }
}

TEST(ReadmeIdpConfigs, KeycloakUsesThePasswordGrantWithAnOtpPrompt) {
  const Config c = parsed("Keycloak");
  for (const char* service : {"sshd", "sudo", "saslauthd"}) EXPECT_EQ(c.grant_for(service), GrantType::kPassword);
  EXPECT_EQ(c.idp.second_factor, SecondFactor::kPrompt);
  EXPECT_EQ(c.idp.otp_field, "totp");
  EXPECT_EQ(c.claims.groups, std::vector<std::string>{"realm_access.roles"});
  ASSERT_TRUE(c.access_for("sudo").allowed_groups);
  EXPECT_EQ(*c.access_for("sudo").allowed_groups, std::vector<std::string>{"admin"});
}

TEST(ReadmeIdpConfigs, LogtoUsesTheDeviceGrantForSshAndTheManagementApiElsewhere) {
  const Config c = parsed("Logto");
  EXPECT_EQ(c.grant_for("sshd"), GrantType::kDevice);
  // Not device: OidcContext::effective_grant sends these through the Management API.
  EXPECT_EQ(c.grant_for("sudo"), GrantType::kAuto);
  EXPECT_EQ(c.grant_for("saslauthd"), GrantType::kAuto);
  EXPECT_EQ(c.idp.password_check, PasswordCheck::kLogtoManagementApi);
  EXPECT_EQ(c.idp.management_endpoint, "https://tenant.logto.app");
  EXPECT_EQ(c.idp.management_client_secret_file, "/etc/oidc-sysauth/logto-m2m-secret");
  EXPECT_EQ(c.idp.management_lookup, "username");
  EXPECT_EQ(c.idp.client_id, "<app id>");  // the inline comment is not part of the value
  EXPECT_EQ(c.claims.username, "username");
  EXPECT_EQ(c.claims.groups, std::vector<std::string>{"roles"});
  EXPECT_NE(c.idp.scopes.find("roles"), std::string::npos);  // Logto sends roles only with this scope
  EXPECT_TRUE(c.idp.resource.empty());                       // a resource would make userinfo refuse the access token
}

TEST(ReadmeIdpConfigs, EntraUsesTheDeviceGrantAndNeverAcceptsMfaRequired) {
  const Config c = parsed("Entra ID");
  for (const char* service : {"sshd", "sudo", "login"}) EXPECT_EQ(c.grant_for(service), GrantType::kDevice);
  EXPECT_EQ(c.idp.second_factor, SecondFactor::kDevice);
  EXPECT_EQ(c.idp.login_suffix, "@example.com");
  EXPECT_EQ(c.claims.groups, std::vector<std::string>{"roles"});
}

TEST(ReadmeIdpConfigs, ZitadelAndAuthentikUseTheDeviceGrant) {
  const Config c = parsed("Zitadel, Authentik");
  EXPECT_EQ(c.grant_for("sshd"), GrantType::kDevice);
  EXPECT_EQ(c.claims.groups, std::vector<std::string>{"urn:zitadel:iam:org:project:roles"});
}

}  // namespace
}  // namespace oidc_sysauth
