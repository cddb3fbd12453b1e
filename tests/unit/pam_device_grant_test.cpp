// The PAM flow over the real core (fake HTTP, fake clock): the grant is chosen per service
// before any password prompt ([service:sshd] grant = device, saslauthd and sudo the password
// grant), the device step shows the QR code and the code and ends in a prompt, and denied,
// expired and timed-out codes are refusals the person is told about.
#include <gtest/gtest.h>
#include <security/pam_modules.h>

#include <deque>

#include "fake_http.hpp"
#include "pam_flow.hpp"
#include "present/qr_presenter.hpp"
#include "token_forge.hpp"

namespace oidc_sysauth {
namespace {

using fake::FakeConversation;
using fake::FakeHttpClient;
using forge::ForgeKey;
using forge::ForgeKeyType;
using nlohmann::json;

const std::string kIssuer = "https://idp.test/realms/corp";
const std::string kToken = kIssuer + "/token";
const std::string kJwks = kIssuer + "/jwks";
const std::string kDevice = kIssuer + "/device";
const std::string kDiscovery = kIssuer + "/.well-known/openid-configuration";
const std::string kComplete = "https://idp.test/d?user_code=WXYZ-1234";

constexpr const char* kConfigText = R"([idp]
issuer = https://idp.test/realms/corp
client_id = linux-hosts
grant = password
device_timeout = 120

[service:sshd]
grant = device

[service:login]
grant = auto
)";

const ForgeKey& rsa() {
  static const ForgeKey k = ForgeKey::generate(ForgeKeyType::kRsa2048, "rsa-1");
  return k;
}

class Host final : public PamHost {
 public:
  Result<std::string> user() override { return user_name; }
  [[nodiscard]] std::string service() const override { return service_name; }
  Result<Secret> authtok() override {
    ++authtok_calls;
    return Secret(password);
  }
  Conversation& conversation() override { return conv; }
  Logger& logger() override { return log; }
  Result<Ok> keep(AuthOutcome value) override {
    outcome = std::move(value);
    return Ok{};
  }
  [[nodiscard]] const AuthOutcome* kept() const override { return outcome ? &*outcome : nullptr; }

  std::string user_name = "alice";
  std::string service_name = "sshd";
  std::string password = "alice-pw";
  int authtok_calls = 0;
  FakeConversation conv;
  NullLogger log;
  std::optional<AuthOutcome> outcome;
};

// The real OidcContext over fake HTTP, with the presenter the module installs.
class Deps final : public FlowDeps {
 public:
  explicit Deps(FakeHttpClient& http, FakeClock& clock) : http_(http), clock_(clock) {}
  Result<Config> load_config(const std::string&) override { return parse_config(kConfigText, "test.conf"); }
  Result<std::shared_ptr<OidcContext>> context(const Config& config) override {
    ContextOptions o;
    o.http = &http_;
    o.clock = &clock_;
    o.use_disk_cache = false;
    o.device_presenter = &presenter_;
    o.sleeper = [this](std::int64_t ms) {
      sleeps_ms.push_back(ms);
      clock_.advance_seconds((ms + 999) / 1000);
    };
    return OidcContext::create(config, o);
  }
  Result<std::unique_ptr<AccountStore>> open_store(const Config&) override {
    return fail(ErrorCode::kInternal, "not used: not root");
  }
  Result<bool> in_local_files(std::string_view) override { return false; }
  std::optional<std::uint32_t> resolved_uid(std::string_view) override { return std::nullopt; }
  [[nodiscard]] bool privileged() const override { return false; }

  std::vector<std::int64_t> sleeps_ms;

 private:
  FakeHttpClient& http_;
  FakeClock& clock_;
  QrDevicePresenter presenter_;
};

class DeviceFlow : public ::testing::Test {
 protected:
  void SetUp() override { discovery({"password", "urn:ietf:params:oauth:grant-type:device_code"}); }
  void discovery(const json& grants) {
    http.always("GET", kDiscovery,
                FakeHttpClient::json(200, json{{"issuer", kIssuer},
                                               {"token_endpoint", kToken},
                                               {"jwks_uri", kJwks},
                                               {"device_authorization_endpoint", kDevice},
                                               {"grant_types_supported", grants}}
                                              .dump()));
    http.always("GET", kJwks, FakeHttpClient::json(200, forge::jwks_json({&rsa()})));
  }
  Result<HttpResponse> tokens_for(const std::string& user) {
    json c = forge::standard_claims(kIssuer, "linux-hosts", clock.now_unix());
    c["sub"] = user + "-sub";
    c["preferred_username"] = user;
    const std::string id = forge::sign_jwt(rsa(), {{"alg", "RS256"}, {"kid", "rsa-1"}}, c);
    return FakeHttpClient::json(200, json{{"access_token", "at"}, {"id_token", id}, {"token_type", "Bearer"}}.dump());
  }
  // A code, `pending` answers, then the final one.
  void script_device(int pending, Result<HttpResponse> final_answer, int interval = 5) {
    http.on("POST", kDevice,
            FakeHttpClient::json(200, json{{"device_code", "dc"},
                                           {"user_code", "WXYZ-1234"},
                                           {"verification_uri", "https://idp.test/d"},
                                           {"verification_uri_complete", kComplete},
                                           {"expires_in", 600},
                                           {"interval", interval}}
                                          .dump()));
    for (int i = 0; i < pending; ++i)
      http.on("POST", kToken, FakeHttpClient::json(400, R"({"error":"authorization_pending"})"));
    http.on("POST", kToken, std::move(final_answer));
  }
  int auth() { return authenticate_flow(host, deps, args); }

  FakeClock clock;
  FakeHttpClient http;
  Host host;
  Deps deps{http, clock};
  PamArgs args;
};

TEST_F(DeviceFlow, SshdUsesTheDeviceGrantWithoutAPasswordPrompt) {
  script_device(2, tokens_for("alice"));
  host.conv.answers.push_back(std::string(""));  // an immediate Enter
  EXPECT_EQ(auth(), PAM_SUCCESS);
  EXPECT_EQ(host.authtok_calls, 0);
  ASSERT_TRUE(host.kept());
  EXPECT_EQ(host.kept()->identity.source, "device");
  ASSERT_EQ(host.conv.infos.size(), 2u);
  EXPECT_EQ(host.conv.infos[0], *render_qr_half_blocks(kComplete));
  EXPECT_NE(host.conv.infos[1].find("WXYZ-1234"), std::string::npos);
  ASSERT_EQ(host.conv.prompts.size(), 1u);  // the step ends in a prompt (sshd shows text with it)
  EXPECT_NE(host.conv.prompts[0].find("Press Enter"), std::string::npos);
  EXPECT_EQ(http.count("POST", kToken), 3);
  const std::string body = http.last("POST", kToken)->body;
  EXPECT_NE(body.find("device_code"), std::string::npos);
  EXPECT_EQ(body.find("password"), std::string::npos);
  for (auto ms : deps.sleeps_ms) EXPECT_GE(ms, 1);
}

TEST_F(DeviceFlow, SaslauthdAndSudoKeepThePasswordGrant) {
  for (const char* service : {"saslauthd", "sudo"}) {
    host = Host{};
    host.service_name = service;
    http.on("POST", kToken, tokens_for("alice"));
    EXPECT_EQ(auth(), PAM_SUCCESS) << service;
    EXPECT_EQ(host.authtok_calls, 1) << service;
    EXPECT_TRUE(host.conv.prompts.empty());
    EXPECT_NE(http.last("POST", kToken)->body.find("grant_type=password"), std::string::npos);
  }
  EXPECT_EQ(http.count("POST", kDevice), 0);
}

TEST_F(DeviceFlow, AutoFollowsDiscovery) {
  host.service_name = "login";  // grant = auto
  http.on("POST", kToken, tokens_for("alice"));
  EXPECT_EQ(auth(), PAM_SUCCESS);
  EXPECT_EQ(host.authtok_calls, 1);  // discovery lists the password grant

  http.clear();
  discovery({"authorization_code", "urn:ietf:params:oauth:grant-type:device_code"});
  host = Host{};
  host.service_name = "login";
  script_device(0, tokens_for("alice"));
  host.conv.answers.push_back(std::string(""));
  EXPECT_EQ(auth(), PAM_SUCCESS);
  EXPECT_EQ(host.authtok_calls, 0);
  EXPECT_EQ(host.kept()->identity.source, "device");
}

TEST_F(DeviceFlow, DeniedCodeIsAuthErrAndSaysSo) {
  script_device(1, FakeHttpClient::json(400, R"({"error":"access_denied"})"));
  host.conv.answers.push_back(std::string(""));
  EXPECT_EQ(auth(), PAM_AUTH_ERR);
  ASSERT_EQ(host.conv.errors.size(), 1u);
  EXPECT_EQ(host.conv.errors[0], "The login was denied in the browser.");
  EXPECT_EQ(host.kept(), nullptr);
}

TEST_F(DeviceFlow, ExpiredCodeIsAuthErrAndSaysSo) {
  script_device(1, FakeHttpClient::json(400, R"({"error":"expired_token"})"));
  host.conv.answers.push_back(std::string(""));
  EXPECT_EQ(auth(), PAM_AUTH_ERR);
  ASSERT_EQ(host.conv.errors.size(), 1u);
  EXPECT_EQ(host.conv.errors[0], "The code expired before the login was approved.");
}

TEST_F(DeviceFlow, OverallLimitEndsThePolling) {
  script_device(0, FakeHttpClient::json(400, R"({"error":"authorization_pending"})"));
  http.always("POST", kToken, FakeHttpClient::json(400, R"({"error":"authorization_pending"})"));
  host.conv.answers.push_back(std::string(""));
  const std::int64_t start = clock.now_monotonic_ms();
  EXPECT_EQ(auth(), PAM_AUTH_ERR);
  EXPECT_EQ(clock.now_monotonic_ms() - start, 120 * 1000);  // device_timeout = 120 s
  ASSERT_EQ(host.conv.errors.size(), 1u);
  EXPECT_EQ(host.conv.errors[0], "The login was not approved in time.");
  EXPECT_LE(http.count("POST", kToken), 120 / 5);  // never faster than the interval
}

TEST_F(DeviceFlow, SlowDownAddsFiveSecondsToTheInterval) {
  script_device(0, FakeHttpClient::json(400, R"({"error":"slow_down"})"), 2);
  http.on("POST", kToken, FakeHttpClient::json(400, R"({"error":"authorization_pending"})"));
  http.on("POST", kToken, tokens_for("alice"));
  host.conv.answers.push_back(std::string(""));
  const std::int64_t start = clock.now_monotonic_ms();
  EXPECT_EQ(auth(), PAM_SUCCESS);
  // Polls at 2 s (slow_down → 7 s), 9 s (pending), 16 s (approved).
  EXPECT_EQ(clock.now_monotonic_ms() - start, 16 * 1000);
}

TEST_F(DeviceFlow, ApproverMustBeTheUserWhoseNameWasTyped) {
  script_device(0, tokens_for("mallory"));
  host.conv.answers.push_back(std::string(""));
  EXPECT_EQ(auth(), PAM_AUTH_ERR);
  EXPECT_EQ(host.kept(), nullptr);
}

TEST_F(DeviceFlow, IdpDownBeforeTheCodeIsAuthinfoUnavail) {
  http.clear();
  http.always("GET", kDiscovery, FakeHttpClient::error(ErrorCode::kIdpUnavailable, "connect"));
  EXPECT_EQ(auth(), PAM_AUTHINFO_UNAVAIL);
  EXPECT_EQ(host.authtok_calls, 0);
  EXPECT_TRUE(host.conv.prompts.empty());
}

}  // namespace
}  // namespace oidc_sysauth
