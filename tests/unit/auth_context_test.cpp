// OidcContext end to end over a FakeHttpClient: password grant with id-token verification,
// second factors, device grant inside login(), token-as-password, introspection, Logto.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "auth/authenticator.hpp"
#include "fake_http.hpp"
#include "token_forge.hpp"

namespace oidc_sysauth {
namespace {

using fake::FakeConversation;
using fake::FakeHttpClient;
using forge::ForgeKey;
using forge::ForgeKeyType;
using nlohmann::json;

constexpr const char* kIssuer = "https://idp.test/realms/corp";
const std::string kBase = kIssuer;
const std::string kToken = kBase + "/token";
const std::string kJwks = kBase + "/jwks";
const std::string kDevice = kBase + "/device";
const std::string kIntrospect = kBase + "/introspect";
const std::string kUserinfo = kBase + "/me";
const std::string kDiscovery = kBase + "/.well-known/openid-configuration";

const ForgeKey& rsa() {
  static const ForgeKey k = ForgeKey::generate(ForgeKeyType::kRsa2048, "rsa-1");
  return k;
}

class ContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config.path = "test.conf";
    config.idp.issuer = kIssuer;
    config.idp.client_id = "linux-hosts";
    http.always("GET", kDiscovery,
                FakeHttpClient::json(200, json{{"issuer", kIssuer},
                                               {"token_endpoint", kToken},
                                               {"jwks_uri", kJwks},
                                               {"userinfo_endpoint", kUserinfo},
                                               {"introspection_endpoint", kIntrospect},
                                               {"device_authorization_endpoint", kDevice},
                                               {"grant_types_supported", discovery_grants}}
                                              .dump()));
    http.always("GET", kJwks, FakeHttpClient::json(200, forge::jwks_json({&rsa()})));
  }
  std::shared_ptr<OidcContext> context() {
    ContextOptions o;
    o.http = &http;
    o.clock = &clock;
    o.use_disk_cache = false;
    o.sleeper = [this](std::int64_t ms) { clock.advance_seconds((ms + 999) / 1000); };
    auto c = OidcContext::create(config, o);
    EXPECT_TRUE(c) << c.error().detail;
    return *c;
  }
  json claims(const std::string& user, const std::string& aud = "linux-hosts") {
    json c = forge::standard_claims(kIssuer, aud, clock.now_unix());
    c["sub"] = user + "-sub";
    c["preferred_username"] = user;
    c["groups"] = {"staff"};
    return c;
  }
  std::string id_token(const json& c) { return forge::sign_jwt(rsa(), {{"alg", "RS256"}, {"kid", "rsa-1"}}, c); }
  Result<HttpResponse> token_answer(const std::string& id) {
    return FakeHttpClient::json(200, json{{"access_token", "opaque-at"}, {"id_token", id}, {"token_type", "Bearer"},
                                          {"expires_in", 300}}.dump());
  }
  LoginRequest request(const std::string& user, const std::string& password, const std::string& service = "sshd") {
    LoginRequest r;
    r.login_name = user;
    r.service = service;
    r.password = Secret(password);
    return r;
  }

  json discovery_grants = {"password", "urn:ietf:params:oauth:grant-type:device_code"};
  Config config;
  FakeClock clock;
  FakeHttpClient http;
  FakeConversation conv;
};

TEST_F(ContextTest, PasswordGrantVerifiesTheIdToken) {
  http.on("POST", kToken, token_answer(id_token(claims("alice"))));
  auto id = context()->login(request("alice", "alice-pw"), conv);
  ASSERT_TRUE(id) << id.error().detail;
  EXPECT_EQ(id->local_name, "alice");
  EXPECT_EQ(id->subject, "alice-sub");
  EXPECT_EQ(id->source, "password");
  EXPECT_EQ(id->idp_groups, std::vector<std::string>{"staff"});
  EXPECT_EQ(http.count("GET", kUserinfo), 0);  // the id token had everything
  EXPECT_NE(http.last("POST", kToken)->body.find("username=alice&password=alice-pw"), std::string::npos);
}

TEST_F(ContextTest, ForgedOrForeignIdTokensAreNeverTrusted) {
  const auto other = ForgeKey::generate(ForgeKeyType::kRsa2048, "rsa-1");  // same kid, other key
  json wrong_aud = claims("alice", "another-client");
  json expired = claims("alice");
  expired["exp"] = clock.now_unix() - 3600;
  const std::string tokens[] = {forge::sign_jwt(other, {{"alg", "RS256"}, {"kid", "rsa-1"}}, claims("alice")),
                                forge::unsecured_jwt(claims("alice")), id_token(wrong_aud), id_token(expired)};
  auto ctx = context();
  for (const auto& t : tokens) {
    http.on("POST", kToken, token_answer(t));
    auto id = ctx->login(request("alice", "pw"), conv);
    ASSERT_FALSE(id);
    EXPECT_EQ(id.error().code, ErrorCode::kTokenInvalid) << id.error().detail;
  }
}

TEST_F(ContextTest, IdpAuthenticatingSomeoneElseIsRefused) {
  http.on("POST", kToken, token_answer(id_token(claims("bob"))));
  auto id = context()->login(request("alice", "pw"), conv);
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().reason, "name_mismatch");
}

TEST_F(ContextTest, LoginSuffixIsSentToTheIdp) {
  config.idp.login_suffix = "@example.com";
  json c = claims("alice");
  c["preferred_username"] = "alice@example.com";
  http.on("POST", kToken, token_answer(id_token(c)));
  auto id = context()->login(request("alice", "pw"), conv);
  ASSERT_TRUE(id) << id.error().detail;
  EXPECT_NE(http.last("POST", kToken)->body.find("username=alice%40example.com"), std::string::npos);
}

TEST_F(ContextTest, FailureClassesPassThrough) {
  auto ctx = context();
  http.on("POST", kToken, FakeHttpClient::json(400, R"({"error":"invalid_grant"})"));
  EXPECT_EQ(ctx->login(request("alice", "x"), conv).error().code, ErrorCode::kCredentialsRefused);
  http.on("POST", kToken, FakeHttpClient::json(403, ""));
  EXPECT_EQ(ctx->login(request("alice", "x"), conv).error().code, ErrorCode::kCredentialsRefused);
  http.on("POST", kToken, FakeHttpClient::json(503, ""));
  EXPECT_EQ(ctx->login(request("alice", "x"), conv).error().code, ErrorCode::kIdpUnavailable);
  http.on("POST", kToken, FakeHttpClient::json(401, R"({"error":"invalid_client"})"));
  EXPECT_EQ(ctx->login(request("alice", "x"), conv).error().code, ErrorCode::kMisconfigured);
  http.on("POST", kToken, FakeHttpClient::json(200, "{garbage"));
  EXPECT_EQ(ctx->login(request("alice", "x"), conv).error().code, ErrorCode::kBadResponse);
  EXPECT_EQ(ctx->login(request("Alice", "x"), conv).error().code, ErrorCode::kUserUnknown);
  EXPECT_EQ(ctx->login(request("alice", ""), conv).error().code, ErrorCode::kCredentialsRefused);
}

TEST_F(ContextTest, OtpPromptAndRetry) {
  http.on("POST", kToken, FakeHttpClient::json(400, R"({"error":"interaction_required"})"));
  http.on("POST", kToken, token_answer(id_token(claims("dave"))));
  conv.answers.push_back(std::string("246810"));
  auto id = context()->login(request("dave", "dave-pw"), conv);
  ASSERT_TRUE(id) << id.error().detail;
  ASSERT_EQ(conv.prompts.size(), 1u);
  EXPECT_NE(http.last("POST", kToken)->body.find("&totp=246810"), std::string::npos);
}

TEST_F(ContextTest, WrongOtpIsARefusalNeverSuccess) {
  http.on("POST", kToken, FakeHttpClient::json(400, R"({"error":"interaction_required"})"));
  http.on("POST", kToken, FakeHttpClient::json(400, R"({"error":"interaction_required"})"));
  conv.answers.push_back(std::string("000000"));
  auto id = context()->login(request("dave", "dave-pw"), conv);
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().code, ErrorCode::kCredentialsRefused);
  EXPECT_EQ(id.error().reason, "otp_refused");
}

TEST_F(ContextTest, SecondFactorRefusedWhenConfiguredOrNonInteractive) {
  config.idp.second_factor = SecondFactor::kRefuse;
  http.on("POST", kToken, FakeHttpClient::json(400, R"({"error":"invalid_grant","error_description":"AADSTS50076: MFA"})"));
  EXPECT_EQ(context()->login(request("dave", "pw"), conv).error().code, ErrorCode::kSecondFactorRequired);
  config.idp.second_factor = SecondFactor::kPrompt;
  conv.is_interactive = false;
  http.on("POST", kToken, FakeHttpClient::json(400, R"({"error":"mfa_required"})"));
  EXPECT_EQ(context()->login(request("dave", "pw"), conv).error().code, ErrorCode::kSecondFactorRequired);
  EXPECT_TRUE(conv.prompts.empty());
}

void script_device(FakeHttpClient& http, const std::string& final_body, long final_status = 200) {
  http.on("POST", kDevice,
          FakeHttpClient::json(200, R"({"device_code":"dc","user_code":"WXYZ-1234","verification_uri":"https://idp.test/d",)"
                                    R"("expires_in":600,"interval":5})"));
  http.on("POST", kToken, FakeHttpClient::json(400, R"({"error":"authorization_pending"})"));
  http.on("POST", kToken, FakeHttpClient::json(400, R"({"error":"slow_down"})"));
  http.on("POST", kToken, FakeHttpClient::json(final_status, final_body));
}

TEST_F(ContextTest, SecondFactorSwitchesToDeviceGrantWhenConfigured) {
  config.idp.second_factor = SecondFactor::kDevice;
  http.on("POST", kToken, FakeHttpClient::json(400, R"({"error":"interaction_required"})"));
  script_device(http, json{{"access_token", "at"}, {"id_token", id_token(claims("dave"))}}.dump());
  conv.answers.push_back(std::string(""));
  auto id = context()->login(request("dave", "pw"), conv);
  ASSERT_TRUE(id) << id.error().detail;
  EXPECT_EQ(id->source, "device");
}

TEST_F(ContextTest, DeviceGrantShowsCodeEndsInAPromptAndChecksTheApprover) {
  config.idp.grant = GrantType::kDevice;
  script_device(http, json{{"access_token", "at"}, {"id_token", id_token(claims("alice"))}}.dump());
  conv.answers.push_back(std::string(""));
  auto id = context()->login(request("alice", ""), conv);
  ASSERT_TRUE(id) << id.error().detail;
  ASSERT_EQ(conv.infos.size(), 1u);
  EXPECT_NE(conv.infos[0].find("WXYZ-1234"), std::string::npos);
  EXPECT_NE(conv.infos[0].find("https://idp.test/d"), std::string::npos);
  ASSERT_EQ(conv.prompts.size(), 1u);
  EXPECT_NE(conv.prompts[0].find("Press Enter"), std::string::npos);

  script_device(http, json{{"access_token", "at"}, {"id_token", id_token(claims("bob"))}}.dump());
  conv.answers.push_back(std::string(""));
  EXPECT_EQ(context()->login(request("alice", ""), conv).error().reason, "name_mismatch");

  script_device(http, R"({"error":"access_denied"})", 400);
  conv.answers.push_back(std::string(""));
  EXPECT_EQ(context()->login(request("alice", ""), conv).error().code, ErrorCode::kCredentialsRefused);
}

TEST_F(ContextTest, AutoGrantPicksFromDiscovery) {
  discovery_grants = {"authorization_code", "urn:ietf:params:oauth:grant-type:device_code"};
  http.clear();
  SetUp();
  auto ctx = context();
  auto choice = ctx->effective_grant("sshd");
  ASSERT_TRUE(choice);
  EXPECT_EQ(choice->grant, GrantType::kDevice);
  config.services["saslauthd"].grant = GrantType::kPassword;
  EXPECT_EQ(context()->effective_grant("saslauthd")->grant, GrantType::kPassword);
}

TEST_F(ContextTest, TokenAsPasswordRequiresTheSameUser) {
  auto ctx = context();
  LoginRequest r = request("alice", id_token(claims("alice")));
  r.token_login = true;
  auto id = ctx->login(r, conv);
  ASSERT_TRUE(id) << id.error().detail;
  EXPECT_EQ(id->source, "token");
  EXPECT_EQ(http.count("POST", kToken), 0);
  LoginRequest other = request("alice", id_token(claims("bob")));
  other.token_login = true;
  EXPECT_EQ(ctx->login(other, conv).error().reason, "name_mismatch");
}

TEST_F(ContextTest, VerifyBearerCachesUntilExpiry) {
  auto ctx = context();
  const std::string t = id_token(claims("alice"));
  ASSERT_TRUE(ctx->verify_bearer(t));
  ASSERT_TRUE(ctx->verify_bearer(t));
  EXPECT_EQ(http.count("GET", kJwks), 1);
  clock.advance_seconds(400);  // past exp (now + 300) and past leeway
  auto late = ctx->verify_bearer(t);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().reason, "expired");
}

// A JWS whose parts are not canonical base64url (a changed trailing bit that decodes to the
// same bytes, a padding '=', a character outside the alphabet) is refused on both routes:
// with introspection off (no shape pre-check: verify_jwt's decoding refuses it) and on
// (the shape check sends it to introspection, which does not know it).
TEST_F(ContextTest, NonCanonicalJwtEncodingsAreRefused) {
  const std::string good = id_token(claims("alice"));
  const auto last_dot = good.rfind('.');
  const std::string signature = good.substr(last_dot + 1);
  ASSERT_EQ(signature.size() % 4, 2u);  // RS256: 256 bytes → 342 characters, 4 spare low bits
  std::string flipped = good;
  const char last = flipped.back();
  flipped.back() = last == 'A' ? 'B' : static_cast<char>(last + 1);  // same 2 data bits: same bytes when decoded leniently
  const std::string variants[] = {flipped, good + "==", good.substr(0, last_dot + 1) + "*" + signature.substr(1),
                                  good.substr(0, good.find('.')) + ".." + signature};
  for (const bool introspect : {false, true}) {
    config.idp.introspect_opaque = introspect;
    config.idp.client_secret_file.clear();
    http.always("POST", kIntrospect, FakeHttpClient::json(200, R"({"active":false})"));
    auto ctx = context();
    ASSERT_TRUE(ctx->verify_bearer_shared(good)) << "introspect=" << introspect;
    for (const auto& v : variants) {
      auto r = ctx->verify_bearer_shared(v);
      EXPECT_FALSE(r) << "introspect=" << introspect << " accepted " << v;
      if (!r) {
        EXPECT_EQ(r.error().code, ErrorCode::kTokenInvalid) << r.error().detail;
      }
    }
  }
}

TEST_F(ContextTest, ConcurrentVerificationsShareOneContext) {
  auto ctx = context();
  std::vector<std::string> tokens;
  for (const char* user : {"alice", "bob", "carol", "dave"}) tokens.push_back(id_token(claims(user)));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) ok += ctx->verify_bearer(tokens[static_cast<std::size_t>((t + i) % 4)]) ? 1 : 0;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok, 400);
  EXPECT_EQ(http.count("GET", kDiscovery), 1);
  EXPECT_EQ(http.count("GET", kJwks), 1);
}

TEST_F(ContextTest, OpaqueTokensNeedIntrospection) {
  auto ctx = context();
  EXPECT_EQ(ctx->verify_bearer("opaque-token").error().code, ErrorCode::kTokenInvalid);
  config.idp.introspect_opaque = true;
  config.idp.client_secret_file.clear();
  auto ictx = context();
  const auto exp = clock.now_unix() + 300;
  http.on("POST", kIntrospect, FakeHttpClient::json(200, json{{"active", true}, {"sub", "alice-sub"}, {"iss", kIssuer},
                                                              {"exp", exp}, {"client_id", "linux-hosts"}}.dump()));
  http.on("GET", kUserinfo, FakeHttpClient::json(200, json{{"sub", "alice-sub"}, {"preferred_username", "alice"}}.dump()));
  auto id = ictx->verify_bearer("opaque-token");
  ASSERT_TRUE(id) << id.error().detail;
  EXPECT_EQ(id->local_name, "alice");
  EXPECT_EQ(id->source, "introspection");
  http.on("POST", kIntrospect, FakeHttpClient::json(200, R"({"active":false})"));
  EXPECT_EQ(ictx->verify_bearer("other-token").error().reason, "inactive");
  http.on("POST", kIntrospect, FakeHttpClient::json(200, json{{"active", true}, {"sub", "x"}, {"iss", "https://evil"}}.dump()));
  EXPECT_EQ(ictx->verify_bearer("third-token").error().reason, "wrong_issuer");
  http.on("POST", kIntrospect, FakeHttpClient::json(200, json{{"active", true}, {"sub", "alice-sub"}, {"aud", "other"}}.dump()));
  EXPECT_EQ(ictx->verify_bearer("fourth-token").error().reason, "wrong_audience");
  http.on("POST", kIntrospect, FakeHttpClient::json(200, json{{"active", true}, {"sub", "alice-sub"}, {"client_id", "thunderbird"}}.dump()));
  EXPECT_EQ(ictx->verify_bearer("other-client-token").error().reason, "wrong_audience");
  http.on("POST", kIntrospect, FakeHttpClient::json(200, json{{"active", true}, {"sub", "alice-sub"}, {"client_id", "linux-hosts"},
                                                              {"token_type", "refresh_token"}}.dump()));
  EXPECT_EQ(ictx->verify_bearer("refresh-token").error().reason, "wrong_token_type");
  http.on("POST", kIntrospect, FakeHttpClient::json(200, json{{"active", true}, {"sub", "alice-sub"}, {"client_id", "linux-hosts"}}.dump()));
  http.on("GET", kUserinfo, FakeHttpClient::json(200, json{{"sub", "mallory-sub"}, {"preferred_username", "alice"}}.dump()));
  EXPECT_EQ(ictx->verify_bearer("fifth-token").error().reason, "userinfo_sub_mismatch");
}

TEST_F(ContextTest, MissingClaimsComeFromUserinfo) {
  json c = claims("alice");
  c.erase("groups");
  c.erase("preferred_username");
  http.on("POST", kToken, token_answer(id_token(c)));
  http.on("GET", kUserinfo,
          FakeHttpClient::json(200, json{{"sub", "alice-sub"}, {"preferred_username", "alice"}, {"roles", "admin ops"}}.dump()));
  auto id = context()->login(request("alice", "pw"), conv);
  ASSERT_TRUE(id) << id.error().detail;
  EXPECT_EQ(id->idp_groups, (std::vector<std::string>{"admin", "ops"}));
  EXPECT_EQ(http.last("GET", kUserinfo)->authorization, "Bearer opaque-at");
}

TEST_F(ContextTest, JwtAccessTokenClaimsAreUsedOnlyWhenVerified) {
  config.idp.resource = "urn:rs";
  json c = claims("alice");
  c.erase("groups");
  json at = claims("alice", "urn:rs");
  at["roles"] = {"admin"};
  http.on("POST", kToken, FakeHttpClient::json(200, json{{"access_token", id_token(at)}, {"id_token", id_token(c)}}.dump()));
  auto id = context()->login(request("alice", "pw"), conv);
  ASSERT_TRUE(id) << id.error().detail;
  EXPECT_EQ(id->idp_groups, (std::vector<std::string>{"staff", "admin"}));  // groups + roles of the access token
  EXPECT_EQ(http.count("GET", kUserinfo), 0);
  EXPECT_NE(http.last("POST", kToken)->body.find("resource=urn%3Ars"), std::string::npos);
}

struct SecretFile {
  std::string dir;
  std::string path;
  explicit SecretFile(const std::string& value) {
    char tmpl[] = "/tmp/oidc-secret-XXXXXX";
    dir = ::mkdtemp(tmpl);
    path = dir + "/secret";
    std::ofstream(path) << value << "\n";
    ::chmod(path.c_str(), 0600);
  }
  ~SecretFile() { std::filesystem::remove_all(dir); }
};

TEST_F(ContextTest, LogtoManagementApiFlow) {
  SecretFile m2m("m2m-secret");
  config.idp.password_check = PasswordCheck::kLogtoManagementApi;
  config.idp.management_endpoint = "https://idp.test/logto";
  config.idp.management_client_id = "m2m";
  config.idp.management_client_secret_file = m2m.path;
  config.claims.username = "username";
  config.claims.groups = {"roles"};
  const std::string search = "https://idp.test/logto/api/users?search.username=alice&mode.username=exact&isCaseSensitive=true&page_size=5";
  const std::string verify = "https://idp.test/logto/api/users/u123/password/verify";
  const std::string roles = "https://idp.test/logto/api/users/u123/roles";
  http.on("POST", kToken, FakeHttpClient::json(200, R"({"access_token":"m2m-at","expires_in":3600})"));
  http.always("GET", search, FakeHttpClient::json(200, R"([{"id":"u123","username":"alice","name":"Alice","isSuspended":false}])"));
  http.on("POST", verify, FakeHttpClient::json(204, ""));
  http.always("GET", roles, FakeHttpClient::json(200, R"([{"id":"r1","name":"admin"}])"));
  auto ctx = context();
  auto id = ctx->login(request("alice", "alice-pw"), conv);
  ASSERT_TRUE(id) << id.error().detail;
  EXPECT_EQ(id->issuer, kIssuer);
  EXPECT_EQ(id->subject, "u123");
  EXPECT_EQ(id->source, "logto");
  EXPECT_EQ(id->idp_groups, std::vector<std::string>{"admin"});
  EXPECT_EQ(http.last("POST", verify)->body, R"({"password":"alice-pw"})");
  EXPECT_EQ(http.last("POST", verify)->authorization, "Bearer m2m-at");
  EXPECT_NE(http.last("POST", kToken)->body.find("grant_type=client_credentials"), std::string::npos);
  EXPECT_NE(http.last("POST", kToken)->body.find("resource=https%3A%2F%2Fdefault.logto.app%2Fapi"), std::string::npos);

  http.on("POST", verify, FakeHttpClient::json(422, R"({"code":"session.invalid_credentials"})"));
  EXPECT_EQ(ctx->login(request("alice", "wrong"), conv).error().code, ErrorCode::kCredentialsRefused);
  EXPECT_EQ(http.count("POST", kToken), 1);  // M2M token cached
  http.on("POST", verify, FakeHttpClient::json(503, ""));
  EXPECT_EQ(ctx->login(request("alice", "x"), conv).error().code, ErrorCode::kIdpUnavailable);
  http.on("GET", search, FakeHttpClient::json(200, R"([{"id":"u123","username":"alice","isSuspended":true}])"));
  EXPECT_EQ(ctx->login(request("alice", "alice-pw"), conv).error().reason, "suspended");
  http.on("GET", search, FakeHttpClient::json(200, R"([{"id":"u9","username":"alicex"}])"));
  EXPECT_EQ(ctx->login(request("alice", "alice-pw"), conv).error().reason, "unknown_user");
  clock.advance_seconds(3600);
  http.on("POST", kToken, FakeHttpClient::json(401, R"({"error":"invalid_client"})"));
  EXPECT_EQ(ctx->login(request("alice", "alice-pw"), conv).error().code, ErrorCode::kMisconfigured);
}

}  // namespace
}  // namespace oidc_sysauth
