// RFC 8628 polling state machine with a FakeClock: nothing here sleeps for real.
#include <gtest/gtest.h>

#include "fake_http.hpp"
#include "net/device_grant.hpp"

namespace oidc_sysauth {
namespace {

using fake::FakeHttpClient;

constexpr const char* kDevice = "https://idp/device";
constexpr const char* kToken = "https://idp/token";

class DeviceGrantTest : public ::testing::Test {
 protected:
  void SetUp() override {
    http.on("POST", kDevice,
            FakeHttpClient::json(200, R"({"device_code":"dc","user_code":"ABCD-EFGH","verification_uri":"https://idp/d",)"
                                      R"("verification_uri_complete":"https://idp/d?c=ABCD-EFGH","expires_in":600,"interval":5})"));
  }
  Result<DeviceGrant> start(std::int64_t overall = 300) {
    return DeviceGrant::start(client, clock, kDevice, kToken, GrantParams{"openid", "", {}}, overall);
  }
  Sleeper sleeper() {
    return [this](std::int64_t ms) {
      slept_ms += ms;
      clock.advance_seconds((ms + 999) / 1000);
    };
  }
  void pending(int n) {
    for (int i = 0; i < n; ++i) http.on("POST", kToken, FakeHttpClient::json(400, R"({"error":"authorization_pending"})"));
  }

  FakeClock clock;
  FakeHttpClient http;
  OAuthClient client{http, ClientCredentials{"c", Secret("s"), ClientAuth::kBasic}};
  std::int64_t slept_ms = 0;
};

TEST_F(DeviceGrantTest, StartParsesTheCode) {
  auto g = start();
  ASSERT_TRUE(g) << g.error().detail;
  EXPECT_EQ(g->authorization().user_code, "ABCD-EFGH");
  EXPECT_EQ(g->authorization().verification_uri_complete, "https://idp/d?c=ABCD-EFGH");
  EXPECT_EQ(g->interval_seconds(), 5);
  EXPECT_EQ(http.last("POST", kDevice)->body, "scope=openid");
}

TEST_F(DeviceGrantTest, PendingThenApproved) {
  auto g = start();
  ASSERT_TRUE(g);
  pending(3);
  http.on("POST", kToken, FakeHttpClient::json(200, R"({"access_token":"at","id_token":"it"})"));
  auto tokens = g->wait(sleeper());
  ASSERT_TRUE(tokens) << tokens.error().detail;
  EXPECT_EQ(tokens->id_token.expose(), "it");
  EXPECT_EQ(http.count("POST", kToken), 4);
  EXPECT_EQ(slept_ms, 4 * 5000);  // first poll only after one interval
  EXPECT_EQ(http.last("POST", kToken)->body, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=dc");
}

TEST_F(DeviceGrantTest, PollOnceNeverPollsEarly) {
  auto g = start();
  ASSERT_TRUE(g);
  auto early = g->poll_once();
  ASSERT_TRUE(early);
  EXPECT_FALSE(*early);
  EXPECT_EQ(http.count("POST", kToken), 0);
}

TEST_F(DeviceGrantTest, SlowDownAddsFiveSeconds) {
  auto g = start();
  ASSERT_TRUE(g);
  http.on("POST", kToken, FakeHttpClient::json(400, R"({"error":"slow_down"})"));
  http.on("POST", kToken, FakeHttpClient::json(400, R"({"error":"slow_down"})"));
  http.on("POST", kToken, FakeHttpClient::json(200, R"({"access_token":"at"})"));
  ASSERT_TRUE(g->wait(sleeper()));
  EXPECT_EQ(g->interval_seconds(), 15);
  EXPECT_EQ(slept_ms, 5000 + 10000 + 15000);
}

TEST_F(DeviceGrantTest, AccessDeniedIsARefusal) {
  auto g = start();
  ASSERT_TRUE(g);
  pending(1);
  http.on("POST", kToken, FakeHttpClient::json(400, R"({"error":"access_denied"})"));
  auto r = g->wait(sleeper());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCredentialsRefused);
  EXPECT_EQ(r.error().reason, "access_denied");
}

TEST_F(DeviceGrantTest, ExpiredTokenIsATimeout) {
  auto g = start();
  ASSERT_TRUE(g);
  http.on("POST", kToken, FakeHttpClient::json(400, R"({"error":"expired_token"})"));
  auto r = g->wait(sleeper());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(r.error().reason, "expired_token");
}

TEST_F(DeviceGrantTest, OverallLimitEndsTheWait) {
  auto g = start(/*overall=*/30);
  ASSERT_TRUE(g);
  http.always("POST", kToken, FakeHttpClient::json(400, R"({"error":"authorization_pending"})"));
  auto r = g->wait(sleeper());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(r.error().reason, "device_timeout");
  EXPECT_LE(http.count("POST", kToken), 6);
  EXPECT_LE(slept_ms, 31'000);
}

TEST_F(DeviceGrantTest, TransientNetworkErrorsAreRetriedThenReported) {
  auto g = start();
  ASSERT_TRUE(g);
  http.fail_with("POST", kToken, ErrorCode::kIdpUnavailable, "timeout");
  http.on("POST", kToken, FakeHttpClient::json(200, R"({"access_token":"at"})"));
  ASSERT_TRUE(g->wait(sleeper()));
  http.on("POST", kDevice, FakeHttpClient::json(200, R"({"device_code":"d2","user_code":"U","verification_uri":"https://idp/d","expires_in":600})"));
  auto g3 = start();
  ASSERT_TRUE(g3);
  for (int i = 0; i < 3; ++i) http.fail_with("POST", kToken, ErrorCode::kIdpUnavailable, "timeout");
  auto r = g3->wait(sleeper());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kIdpUnavailable);
}

TEST_F(DeviceGrantTest, StartErrors) {
  http.clear();
  http.on("POST", kDevice, FakeHttpClient::json(400, R"({"error":"unauthorized_client"})"));
  EXPECT_EQ(start().error().code, ErrorCode::kMisconfigured);
  http.on("POST", kDevice, FakeHttpClient::json(200, R"({"user_code":"x"})"));
  EXPECT_EQ(start().error().code, ErrorCode::kBadResponse);
  EXPECT_EQ(DeviceGrant::start(client, clock, "", kToken, {}, 300).error().code, ErrorCode::kMisconfigured);
}

}  // namespace
}  // namespace oidc_sysauth
