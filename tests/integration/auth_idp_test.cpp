// OidcContext::login / verify_bearer against the real test IdP: the password grant and each
// failure class, second factor, introspection, JWT access tokens, device grant, Logto.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>

#include "net/curl_http_client.hpp"
#include "net/discovery.hpp"
#include "net/oauth_client.hpp"
#include "net_idp_helpers.hpp"

namespace oidc_sysauth::testing {
namespace {

using nlohmann::json;

// Answers prompts from a script; a hook runs when a visible prompt appears (device grant).
class ScriptedConversation final : public Conversation {
 public:
  std::vector<std::string> hidden_answers;
  std::function<void()> on_visible_prompt;
  std::vector<std::string> infos;
  std::vector<std::string> prompts;
  bool is_interactive = true;

  Result<Secret> prompt_hidden(std::string_view p) override {
    prompts.emplace_back(p);
    if (hidden_answers.empty()) return fail(ErrorCode::kConversation, "no answer");
    Secret s(hidden_answers.front());
    hidden_answers.erase(hidden_answers.begin());
    return s;
  }
  Result<std::string> prompt_visible(std::string_view p) override {
    prompts.emplace_back(p);
    if (on_visible_prompt) on_visible_prompt();
    return std::string();
  }
  void info(std::string_view t) override { infos.emplace_back(t); }
  void error(std::string_view) override {}
  [[nodiscard]] bool interactive() const override { return is_interactive; }
};

LoginRequest request(const std::string& user, const std::string& password, const std::string& service = "sshd") {
  LoginRequest r;
  r.login_name = user;
  r.service = service;
  r.password = Secret(password);
  return r;
}

class AuthIdpTest : public ::testing::Test {
 protected:
  void SetUp() override { admin.clear_faults(); }
  void TearDown() override {
    admin.clear_faults();
    admin.post("/admin/device/interval", {{"interval", 1}});
  }
  IdpEnv env = read_idp_env();
  IdpAdmin admin{idp_value(env, "IDP_ADMIN")};
  ScriptedConversation conv;
};

TEST_F(AuthIdpTest, PasswordGrantSuccess) {
  Config c = default_config(env);
  c.accounts.group_map = {{"admin", "sudo"}};
  auto id = make_context(c)->login(request("alice", "alice-pw"), conv);
  ASSERT_TRUE(id) << id.error().detail;
  EXPECT_EQ(id->local_name, "alice");
  EXPECT_EQ(id->issuer, idp_value(env, "IDP_ISSUER"));
  EXPECT_FALSE(id->subject.empty());
  EXPECT_EQ(id->display_name, "Alice Liddell");
  EXPECT_EQ(id->idp_groups, std::vector<std::string>{"admin"});
  EXPECT_EQ(id->local_groups, std::vector<std::string>{"sudo"});
  EXPECT_EQ(id->source, "password");
  EXPECT_TRUE(check_access(c, *id, "sshd"));
}

TEST_F(AuthIdpTest, KeycloakShapedRolesAndClientSecretPost) {
  Config c = default_config(env, "IDP_KEYCLOAK_ISSUER");
  c.idp.client_auth = ClientAuth::kPost;
  c.claims.groups = {"realm_access.roles"};
  auto id = make_context(c)->login(request("bob", "bob-pw"), conv);
  ASSERT_TRUE(id) << id.error().detail;
  EXPECT_EQ(id->idp_groups, std::vector<std::string>{"staff"});
}

TEST_F(AuthIdpTest, EachFailureClass) {
  auto ctx = make_context(default_config(env));
  EXPECT_EQ(ctx->login(request("alice", "wrong"), conv).error().code, ErrorCode::kCredentialsRefused);
  EXPECT_EQ(ctx->login(request("carol", "carol-pw"), conv).error().code, ErrorCode::kCredentialsRefused);
  EXPECT_EQ(ctx->login(request("nobody", "x"), conv).error().code, ErrorCode::kCredentialsRefused);
  EXPECT_EQ(ctx->login(request("Mallory", "Mallory-pw"), conv).error().code, ErrorCode::kUserUnknown);
  auto root = ctx->login(request("root", "root-pw"), conv);
  ASSERT_FALSE(root);
  EXPECT_EQ(root.error().code, ErrorCode::kUserUnknown);  // the IdP's "root" never becomes local root

  ScratchDir dir;
  const std::string wrong_secret = dir.path + "/secret";
  std::FILE* f = std::fopen(wrong_secret.c_str(), "w");
  std::fputs("not-the-secret\n", f);
  std::fclose(f);
  ::chmod(wrong_secret.c_str(), 0600);
  Config bad = default_config(env);
  bad.idp.client_secret_file = wrong_secret;
  EXPECT_EQ(make_context(bad)->login(request("alice", "alice-pw"), conv).error().code, ErrorCode::kMisconfigured);

  admin.fault({{"path", "token"}, {"kind", "status"}, {"status", 502}, {"count", 1}});
  EXPECT_EQ(ctx->login(request("alice", "alice-pw"), conv).error().code, ErrorCode::kIdpUnavailable);
  admin.fault({{"path", "token"}, {"kind", "garbage"}, {"count", 1}});
  EXPECT_EQ(ctx->login(request("alice", "alice-pw"), conv).error().code, ErrorCode::kBadResponse);
}

TEST_F(AuthIdpTest, SecondFactor) {
  auto ctx = make_context(default_config(env));
  conv.is_interactive = false;
  EXPECT_EQ(ctx->login(request("dave", "dave-pw"), conv).error().code, ErrorCode::kSecondFactorRequired);
  conv.is_interactive = true;
  conv.hidden_answers = {"111111"};
  EXPECT_EQ(ctx->login(request("dave", "dave-pw"), conv).error().code, ErrorCode::kCredentialsRefused);
  conv.hidden_answers = {"246810"};
  auto id = ctx->login(request("dave", "dave-pw"), conv);
  ASSERT_TRUE(id) << id.error().detail;
  EXPECT_EQ(id->local_name, "dave");
}

TEST_F(AuthIdpTest, UidClaimIsAHint) {
  Config c = default_config(env);
  c.claims.uid = "uid";
  auto id = make_context(c)->login(request("erin", "erin-pw"), conv);
  ASSERT_TRUE(id) << id.error().detail;
  EXPECT_EQ(id->uid_hint, 250001u);
}

TEST_F(AuthIdpTest, OpaqueTokensThroughIntrospectionAndJwtAccessTokens) {
  Config c = default_config(env);
  c.idp.introspect_opaque = true;
  HttpClientOptions ho;
  ho.ca_file = c.idp.ca_file;
  auto http = make_curl_http_client(ho);
  ASSERT_TRUE(http);
  auto secret = read_secret_file(c.idp.client_secret_file);
  ASSERT_TRUE(secret);
  OAuthClient client(**http, ClientCredentials{c.idp.client_id, *secret, ClientAuth::kBasic});
  const std::string token_endpoint = c.idp.issuer + "/token";
  auto tokens = client.password_grant(token_endpoint, "alice", Secret("alice-pw"), GrantParams{"openid profile", "", {}});
  ASSERT_TRUE(tokens) << tokens.error().detail;
  auto ctx = make_context(c);
  auto id = ctx->verify_bearer(tokens->access_token.expose());
  ASSERT_TRUE(id) << id.error().detail;
  EXPECT_EQ(id->local_name, "alice");
  EXPECT_EQ(id->source, "introspection");
  EXPECT_EQ(make_context(c)->verify_bearer("made-up-opaque-token").error().code, ErrorCode::kTokenInvalid);

  auto jwt = client.password_grant(token_endpoint, "bob", Secret("bob-pw"),
                                   GrantParams{"openid profile", "urn:oidc-sysauth:es384", {}});
  ASSERT_TRUE(jwt) << jwt.error().detail;
  Config rs = default_config(env);
  rs.idp.audience = {"urn:oidc-sysauth:es384"};
  auto bob = make_context(rs)->verify_bearer(jwt->access_token.expose());
  ASSERT_TRUE(bob) << bob.error().detail;
  EXPECT_EQ(bob->local_name, "bob");
  EXPECT_EQ(make_context(default_config(env))->verify_bearer(jwt->access_token.expose()).error().reason,
            "wrong_audience");

  LoginRequest as_password = request("bob", std::string(jwt->access_token.expose()));
  as_password.token_login = true;
  EXPECT_TRUE(make_context(rs)->login(as_password, conv));
  LoginRequest wrong_user = request("alice", std::string(jwt->access_token.expose()));
  wrong_user.token_login = true;
  EXPECT_EQ(make_context(rs)->login(wrong_user, conv).error().reason, "name_mismatch");
}

void approve_last(const IdpAdmin& admin, const std::string& user, bool deny = false) {
  const auto last = admin.call("GET", "/admin/device/last");
  const std::string code = last.at("user_code").get<std::string>();
  if (deny) {
    admin.post("/admin/device/deny", {{"user_code", code}});
  } else {
    admin.post("/admin/device/approve", {{"user_code", code}, {"user", user}});
  }
}

TEST_F(AuthIdpTest, DeviceGrantLogin) {
  Config c = default_config(env);
  c.idp.grant = GrantType::kDevice;
  c.idp.device_timeout_seconds = 20;
  auto ctx = make_context(c);
  conv.on_visible_prompt = [&] { approve_last(admin, "alice"); };
  admin.fault({{"path", "token"}, {"kind", "status"}, {"status", 400}, {"body", {{"error", "slow_down"}}}, {"count", 1}});
  auto id = ctx->login(request("alice", ""), conv);
  ASSERT_TRUE(id) << id.error().detail;
  EXPECT_EQ(id->source, "device");
  ASSERT_FALSE(conv.infos.empty());
  EXPECT_NE(conv.infos[0].find("enter the code"), std::string::npos);

  conv.on_visible_prompt = [&] { approve_last(admin, "bob"); };
  EXPECT_EQ(ctx->login(request("alice", ""), conv).error().reason, "name_mismatch");
  conv.on_visible_prompt = [&] { approve_last(admin, "alice", /*deny=*/true); };
  EXPECT_EQ(ctx->login(request("alice", ""), conv).error().code, ErrorCode::kCredentialsRefused);
}

TEST_F(AuthIdpTest, DeviceGrantOverallLimit) {
  Config c = default_config(env);
  c.idp.grant = GrantType::kDevice;
  c.idp.device_timeout_seconds = 2;
  const auto start = std::chrono::steady_clock::now();
  auto r = make_context(c)->login(request("alice", ""), conv);  // nobody approves
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout);
  EXPECT_LT(seconds_since(start), 5.0);
}

Config logto_config(const IdpEnv& env) {
  Config c = default_config(env, "IDP_LOGTO_ISSUER");
  c.idp.grant = GrantType::kAuto;
  c.idp.password_check = PasswordCheck::kLogtoManagementApi;
  c.idp.management_endpoint = idp_value(env, "IDP_LOGTO_ENDPOINT");
  c.idp.management_client_id = idp_value(env, "IDP_LOGTO_M2M_CLIENT_ID");
  c.idp.management_client_secret_file = idp_value(env, "IDP_LOGTO_M2M_SECRET_FILE");
  c.idp.algorithms = {"ES384", "RS256"};
  c.claims.username = "username";
  c.claims.groups = {"roles"};
  c.accounts.group_map = {{"admin", "sudo"}};
  return c;
}

TEST_F(AuthIdpTest, LogtoManagementApiPasswordCheck) {
  auto ctx = make_context(logto_config(env));
  auto id = ctx->login(request("alice", "alice-pw"), conv);
  ASSERT_TRUE(id) << id.error().detail;
  EXPECT_EQ(id->issuer, idp_value(env, "IDP_LOGTO_ISSUER"));
  EXPECT_EQ(id->subject.size(), 12u);
  EXPECT_EQ(id->idp_groups, std::vector<std::string>{"admin"});
  EXPECT_EQ(id->local_groups, std::vector<std::string>{"sudo"});
  EXPECT_EQ(ctx->login(request("alice", "wrong"), conv).error().code, ErrorCode::kCredentialsRefused);
  EXPECT_EQ(ctx->login(request("carol", "carol-pw"), conv).error().reason, "suspended");
  EXPECT_EQ(ctx->login(request("nobody", "x"), conv).error().code, ErrorCode::kCredentialsRefused);
  admin.fault({{"path", "management"}, {"kind", "status"}, {"status", 503}});
  EXPECT_EQ(ctx->login(request("alice", "alice-pw"), conv).error().code, ErrorCode::kIdpUnavailable);
  admin.clear_faults();
  admin.fault({{"path", "management"}, {"kind", "drop"}});
  EXPECT_EQ(ctx->login(request("alice", "alice-pw"), conv).error().code, ErrorCode::kIdpUnavailable);
}

TEST_F(AuthIdpTest, LogtoAutoGrantFallsToDeviceForDeviceServices) {
  Config c = logto_config(env);
  c.idp.password_check = PasswordCheck::kGrant;
  auto ctx = make_context(c);
  auto choice = ctx->effective_grant("sshd");
  ASSERT_TRUE(choice) << choice.error().detail;
  EXPECT_EQ(choice->grant, GrantType::kDevice);  // Logto lists no password grant
  conv.on_visible_prompt = [&] { approve_last(admin, "alice"); };
  auto id = ctx->login(request("alice", ""), conv);
  ASSERT_TRUE(id) << id.error().detail;
  EXPECT_EQ(id->source, "device");
}

TEST_F(AuthIdpTest, MeasurePerLoginOverhead) {
  auto ctx = make_context(default_config(env));
  ASSERT_TRUE(ctx->login(request("alice", "alice-pw"), conv));  // warm: discovery, JWKS, TLS
  constexpr int kLogins = 20;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kLogins; ++i) ASSERT_TRUE(ctx->login(request("alice", "alice-pw"), conv));
  const double per_login_ms = seconds_since(start) * 1000.0 / kLogins;
  const auto cold_start = std::chrono::steady_clock::now();
  ASSERT_TRUE(make_context(default_config(env))->login(request("bob", "bob-pw"), conv));
  const double cold_ms = seconds_since(cold_start) * 1000.0;
  RecordProperty("warm_login_ms", std::to_string(per_login_ms));
  RecordProperty("cold_login_ms", std::to_string(cold_ms));
  std::printf("password login: %.1f ms warm (connection reused), %.1f ms cold (discovery+JWKS+TLS)\n",
              per_login_ms, cold_ms);
  EXPECT_LT(per_login_ms, 1000.0);
}

}  // namespace
}  // namespace oidc_sysauth::testing
