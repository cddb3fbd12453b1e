// JWKS cache: TTL, unknown-kid refetch at most once per 30 s, dropped keys clear the
// verified-token cache; TokenVerifier's one refetch on rotation.
#include <gtest/gtest.h>

#include <atomic>

#include "auth/token_verifier.hpp"
#include "fake_http.hpp"
#include "net/discovery.hpp"
#include "net/jwks_cache.hpp"
#include "token_forge.hpp"

namespace oidc_sysauth {
namespace {

using fake::FakeHttpClient;
using forge::ForgeKey;
using forge::ForgeKeyType;
using nlohmann::json;

constexpr const char* kIssuer = "https://idp.example.com";
constexpr const char* kJwksUri = "https://idp.example.com/jwks";
constexpr const char* kDiscoveryUrl = "https://idp.example.com/.well-known/openid-configuration";

const ForgeKey& key_a() {
  static const ForgeKey k = ForgeKey::generate(ForgeKeyType::kP256, "key-a");
  return k;
}
const ForgeKey& key_b() {
  static const ForgeKey k = ForgeKey::generate(ForgeKeyType::kP256, "key-b");
  return k;
}

class JwksCacheTest : public ::testing::Test {
 protected:
  FakeClock clock;
  FakeHttpClient http;
  NullLogger log;
  DiskCache disk{"", clock};
  RefetchLimiter limiter;  // per test: the process-wide one would couple tests
  JwksCache cache{http, clock, disk, log, 3600, &limiter};
};

TEST_F(JwksCacheTest, CachesForTheTtl) {
  http.always("GET", kJwksUri, FakeHttpClient::json(200, forge::jwks_json({&key_a()}), {{"cache-control", "max-age=300"}}));
  ASSERT_TRUE(cache.get(kJwksUri));
  clock.advance_seconds(299);
  ASSERT_TRUE(cache.get(kJwksUri));
  EXPECT_EQ(http.count("GET", kJwksUri), 1);
  clock.advance_seconds(2);
  ASSERT_TRUE(cache.get(kJwksUri));
  EXPECT_EQ(http.count("GET", kJwksUri), 2);
}

TEST_F(JwksCacheTest, StaleKeysServeWhileTheIdpIsDown) {
  http.on("GET", kJwksUri, FakeHttpClient::json(200, forge::jwks_json({&key_a()})));
  ASSERT_TRUE(cache.get(kJwksUri));
  clock.advance_seconds(4000);
  http.fail_with("GET", kJwksUri, ErrorCode::kIdpUnavailable, "timeout");
  auto keys = cache.get(kJwksUri);
  ASSERT_TRUE(keys);
  EXPECT_TRUE((*keys)->has_kid("key-a"));
}

TEST_F(JwksCacheTest, UnknownKidRefetchIsRateLimitedTo30Seconds) {
  http.always("GET", kJwksUri, FakeHttpClient::json(200, forge::jwks_json({&key_a()})));
  ASSERT_TRUE(cache.get(kJwksUri));
  ASSERT_TRUE(cache.refresh_for_unknown_kid(kJwksUri, "nope-1"));
  EXPECT_EQ(http.count("GET", kJwksUri), 2);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(cache.refresh_for_unknown_kid(kJwksUri, "nope-" + std::to_string(i)));
  EXPECT_EQ(http.count("GET", kJwksUri), 2);
  clock.advance_seconds(29);
  ASSERT_TRUE(cache.refresh_for_unknown_kid(kJwksUri, "nope-x"));
  EXPECT_EQ(http.count("GET", kJwksUri), 2);
  clock.advance_seconds(1);
  ASSERT_TRUE(cache.refresh_for_unknown_kid(kJwksUri, "nope-y"));
  EXPECT_EQ(http.count("GET", kJwksUri), 3);
}

TEST_F(JwksCacheTest, RateLimitIsSharedBetweenCachesUsingOneLimiter) {
  JwksCache other(http, clock, disk, log, 3600, &limiter);
  http.always("GET", kJwksUri, FakeHttpClient::json(200, forge::jwks_json({&key_a()})));
  ASSERT_TRUE(cache.refresh_for_unknown_kid(kJwksUri, "x"));
  ASSERT_TRUE(other.get(kJwksUri));  // a plain get is not rate-limited
  ASSERT_TRUE(other.refresh_for_unknown_kid(kJwksUri, "y"));
  EXPECT_EQ(http.count("GET", kJwksUri), 2);
}

TEST_F(JwksCacheTest, DroppedKeyClearsTheTokenCache) {
  std::atomic<int> cleared{0};
  cache.set_on_keys_dropped([&] { ++cleared; });
  http.on("GET", kJwksUri, FakeHttpClient::json(200, forge::jwks_json({&key_a(), &key_b()})));
  http.on("GET", kJwksUri, FakeHttpClient::json(200, forge::jwks_json({&key_a(), &key_b()})));
  http.on("GET", kJwksUri, FakeHttpClient::json(200, forge::jwks_json({&key_b()})));
  ASSERT_TRUE(cache.get(kJwksUri));
  ASSERT_TRUE(cache.refresh_for_unknown_kid(kJwksUri, "c"));
  EXPECT_EQ(cleared, 0);
  clock.advance_seconds(31);
  ASSERT_TRUE(cache.refresh_for_unknown_kid(kJwksUri, "c"));
  EXPECT_EQ(cleared, 1);
}

TEST_F(JwksCacheTest, GarbageJwksIsABadResponse) {
  http.on("GET", kJwksUri, FakeHttpClient::json(200, R"({"keys":"no"})"));
  EXPECT_EQ(cache.get(kJwksUri).error().code, ErrorCode::kBadResponse);
  http.on("GET", kJwksUri, FakeHttpClient::json(500, ""));
  EXPECT_EQ(cache.get(kJwksUri).error().code, ErrorCode::kIdpUnavailable);
}

TEST_F(JwksCacheTest, VerifierRefetchesOnceWhenTheIdpRotates) {
  Config config;
  config.idp.issuer = kIssuer;
  config.idp.client_id = "linux-hosts";
  DiscoveryCache discovery(http, clock, disk, log, kIssuer, false, 3600);
  http.always("GET", kDiscoveryUrl,
              FakeHttpClient::json(200, json{{"issuer", kIssuer},
                                             {"token_endpoint", std::string(kIssuer) + "/token"},
                                             {"jwks_uri", kJwksUri}}.dump()));
  http.on("GET", kJwksUri, FakeHttpClient::json(200, forge::jwks_json({&key_a()})));
  http.always("GET", kJwksUri, FakeHttpClient::json(200, forge::jwks_json({&key_a(), &key_b()})));
  TokenVerifier verifier(config, discovery, cache, clock);
  auto claims = forge::standard_claims(kIssuer, "linux-hosts", clock.now_unix());
  auto old_token = forge::sign_jwt(key_a(), {{"alg", "ES256"}, {"kid", "key-a"}}, claims);
  auto new_token = forge::sign_jwt(key_b(), {{"alg", "ES256"}, {"kid", "key-b"}}, claims);
  ASSERT_TRUE(verifier.verify_id_token(old_token));
  auto rotated = verifier.verify_id_token(new_token);
  ASSERT_TRUE(rotated) << rotated.error().detail;
  EXPECT_EQ(http.count("GET", kJwksUri), 2);
  auto bogus = forge::sign_jwt(ForgeKey::generate(ForgeKeyType::kP256, "key-z"), {{"alg", "ES256"}, {"kid", "key-z"}}, claims);
  auto refused = verifier.verify_id_token(bogus);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, "unknown_key");
  EXPECT_EQ(http.count("GET", kJwksUri), 2);  // rate-limited: within 30 s of the last refetch
}

}  // namespace
}  // namespace oidc_sysauth
