// Discovery validation and caching (memory + disk), with a fake HTTP client and clock.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "fake_http.hpp"
#include "net/discovery.hpp"
#include "net/disk_cache.hpp"
#include "net/http_util.hpp"

namespace oidc_sysauth {
namespace {

using fake::FakeHttpClient;
using nlohmann::json;

constexpr const char* kIssuer = "https://idp.example.com/realms/corp";
constexpr const char* kUrl = "https://idp.example.com/realms/corp/.well-known/openid-configuration";

json good_doc(const std::string& issuer = kIssuer) {
  return json{{"issuer", issuer},
              {"token_endpoint", issuer + "/token"},
              {"jwks_uri", issuer + "/jwks"},
              {"userinfo_endpoint", issuer + "/me"},
              {"introspection_endpoint", issuer + "/introspect"},
              {"device_authorization_endpoint", issuer + "/device"},
              {"grant_types_supported", {"password", "refresh_token"}}};
}

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/oidc-net-test-XXXXXX";
    path = ::mkdtemp(tmpl);
    ::chmod(path.c_str(), 0755);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

TEST(DiscoveryParseTest, AcceptsAGoodDocument) {
  auto m = parse_provider_metadata(good_doc().dump(), kIssuer, false);
  ASSERT_TRUE(m) << m.error().detail;
  EXPECT_EQ(m->token_endpoint, std::string(kIssuer) + "/token");
  EXPECT_EQ(m->device_authorization_endpoint, std::string(kIssuer) + "/device");
  EXPECT_TRUE(m->supports_grant("password"));
  EXPECT_FALSE(m->supports_grant("urn:ietf:params:oauth:grant-type:device_code"));
}

TEST(DiscoveryParseTest, IssuerMustMatchExactly) {
  const std::vector<std::string> others = {std::string(kIssuer) + "/", "https://IDP.example.com/realms/corp",
                                           "https://idp.example.com/realms/corp2",
                                           "https://evil.example.com/realms/corp"};
  for (const auto& other : others) {
    auto m = parse_provider_metadata(good_doc(other).dump(), kIssuer, false);
    ASSERT_FALSE(m) << other;
    EXPECT_EQ(m.error().code, ErrorCode::kMisconfigured) << other;
    EXPECT_EQ(m.error().reason, "issuer_mismatch") << other;
  }
}

TEST(DiscoveryParseTest, EndpointsMustBeHttpsUnlessLoopbackAndAllowed) {
  json doc = good_doc();
  doc["token_endpoint"] = "http://idp.example.com/token";
  auto m = parse_provider_metadata(doc.dump(), kIssuer, true);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().reason, "insecure_url");

  const std::string http_issuer = "http://127.0.0.1:8080/default";
  json local = good_doc(http_issuer);
  EXPECT_FALSE(parse_provider_metadata(local.dump(), http_issuer, false));
  EXPECT_TRUE(parse_provider_metadata(local.dump(), http_issuer, true));
  local["jwks_uri"] = "http://10.1.2.3/jwks";
  EXPECT_FALSE(parse_provider_metadata(local.dump(), http_issuer, true));
}

TEST(DiscoveryParseTest, MissingOrMistypedFields) {
  for (const char* key : {"token_endpoint", "jwks_uri", "issuer"}) {
    json doc = good_doc();
    doc.erase(key);
    auto m = parse_provider_metadata(doc.dump(), kIssuer, false);
    ASSERT_FALSE(m) << key;
    EXPECT_EQ(m.error().code, ErrorCode::kBadResponse) << key;
  }
  json doc = good_doc();
  doc["grant_types_supported"] = 5;
  EXPECT_EQ(parse_provider_metadata(doc.dump(), kIssuer, false).error().code, ErrorCode::kBadResponse);
  EXPECT_FALSE(parse_provider_metadata("<html>", kIssuer, false));
  EXPECT_FALSE(parse_provider_metadata("[]", kIssuer, false));
  json no_grants = good_doc();
  no_grants.erase("grant_types_supported");
  auto m = parse_provider_metadata(no_grants.dump(), kIssuer, false);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->supports_grant("authorization_code"));  // RFC 8414 default
  EXPECT_FALSE(m->supports_grant("password"));
}

TEST(CacheTtlTest, MaxAgeBounded) {
  HttpResponse r;
  EXPECT_EQ(cache_ttl_seconds(r, 3600), 3600);
  r.headers["cache-control"] = "public, max-age=600";
  EXPECT_EQ(cache_ttl_seconds(r, 3600), 600);
  r.headers["cache-control"] = "max-age=5";
  EXPECT_EQ(cache_ttl_seconds(r, 3600), 60);
  r.headers["cache-control"] = "max-age=99999999999999999999";
  EXPECT_EQ(cache_ttl_seconds(r, 3600), 86400);
  r.headers["cache-control"] = "no-store";
  EXPECT_EQ(cache_ttl_seconds(r, 3600), 60);
  r.headers["cache-control"] = "s-maxage=100";
  EXPECT_EQ(cache_ttl_seconds(r, 7200), 7200);
  EXPECT_EQ(cache_ttl_seconds(HttpResponse{}, 10), 60);
}

class DiscoveryCacheTest : public ::testing::Test {
 protected:
  FakeClock clock;
  FakeHttpClient http;
  NullLogger log;
  TempDir dir;
};

TEST_F(DiscoveryCacheTest, MemoryCacheHonoursMaxAge) {
  DiskCache disk("", clock);
  DiscoveryCache cache(http, clock, disk, log, kIssuer, false, 3600);
  http.always("GET", kUrl, FakeHttpClient::json(200, good_doc().dump(), {{"cache-control", "max-age=120"}}));
  ASSERT_TRUE(cache.get());
  ASSERT_TRUE(cache.get());
  EXPECT_EQ(http.count("GET", kUrl), 1);
  clock.advance_seconds(119);
  ASSERT_TRUE(cache.get());
  EXPECT_EQ(http.count("GET", kUrl), 1);
  clock.advance_seconds(2);
  ASSERT_TRUE(cache.get());
  EXPECT_EQ(http.count("GET", kUrl), 2);
}

TEST_F(DiscoveryCacheTest, FetchErrorsAreClassified) {
  DiskCache disk("", clock);
  DiscoveryCache cache(http, clock, disk, log, kIssuer, false, 3600);
  http.on("GET", kUrl, FakeHttpClient::json(404, "not found"));
  http.on("GET", kUrl, FakeHttpClient::json(503, ""));
  http.on("GET", kUrl, FakeHttpClient::json(200, "garbage"));
  http.fail_with("GET", kUrl, ErrorCode::kIdpUnavailable, "timeout");
  http.on("GET", kUrl, FakeHttpClient::json(200, good_doc("https://other").dump()));
  EXPECT_EQ(cache.get().error().code, ErrorCode::kMisconfigured);
  EXPECT_EQ(cache.get().error().code, ErrorCode::kIdpUnavailable);
  EXPECT_EQ(cache.get().error().code, ErrorCode::kBadResponse);
  EXPECT_EQ(cache.get().error().code, ErrorCode::kIdpUnavailable);
  EXPECT_EQ(cache.get().error().reason, "issuer_mismatch");
}

TEST_F(DiscoveryCacheTest, DiskCacheServesAFreshProcessAndIsWritten0644) {
  DiskCache disk(dir.path, clock);
  http.always("GET", kUrl, FakeHttpClient::json(200, good_doc().dump(), {{"cache-control", "max-age=600"}}));
  {
    DiscoveryCache first(http, clock, disk, log, kIssuer, false, 3600);
    ASSERT_TRUE(first.get());
  }
  struct stat st {};
  ASSERT_EQ(::stat(disk.path_for("discovery", kUrl).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  DiscoveryCache second(http, clock, disk, log, kIssuer, false, 3600);
  auto m = second.get();
  ASSERT_TRUE(m);
  EXPECT_EQ((*m)->jwks_uri, std::string(kIssuer) + "/jwks");
  EXPECT_EQ(http.count("GET", kUrl), 1);  // the second "process" read the disk
  clock.advance_seconds(601);
  DiscoveryCache third(http, clock, disk, log, kIssuer, false, 3600);
  ASSERT_TRUE(third.get());
  EXPECT_EQ(http.count("GET", kUrl), 2);  // expired on disk: refetched
}

TEST_F(DiscoveryCacheTest, CorruptOrForeignCacheFileIsIgnoredAndRefetched) {
  DiskCache disk(dir.path, clock);
  http.always("GET", kUrl, FakeHttpClient::json(200, good_doc().dump()));
  const std::string path = disk.path_for("discovery", kUrl);
  const json foreign_doc = good_doc("https://evil.example.com");
  const std::string bad_envelopes[] = {
      "not json at all",
      json{{"version", 1}, {"kind", "discovery"}, {"url", "https://other/"}, {"fetched_at", clock.now_unix()},
           {"expires_at", clock.now_unix() + 600}, {"body", good_doc().dump()}}.dump(),
      json{{"version", 1}, {"kind", "discovery"}, {"url", kUrl}, {"fetched_at", clock.now_unix()},
           {"expires_at", clock.now_unix() + 600}, {"body", foreign_doc.dump()}}.dump(),
      json{{"version", 1}, {"kind", "discovery"}, {"url", kUrl}, {"fetched_at", clock.now_unix()},
           {"expires_at", clock.now_unix() + 10'000'000}, {"body", good_doc().dump()}}.dump(),
  };
  int expected_fetches = 0;
  for (const auto& content : bad_envelopes) {
    std::ofstream(path) << content;
    ::chmod(path.c_str(), 0644);
    DiscoveryCache cache(http, clock, disk, log, kIssuer, false, 3600);
    auto m = cache.get();
    ASSERT_TRUE(m) << m.error().detail;
    EXPECT_EQ((*m)->issuer, kIssuer);
    EXPECT_EQ(http.count("GET", kUrl), ++expected_fetches) << content;
  }
}

TEST_F(DiscoveryCacheTest, WorldWritableCacheFileOrDirectoryIsNotTrusted) {
  DiskCache disk(dir.path, clock);
  const std::string path = disk.path_for("discovery", kUrl);
  CachedDocument doc{good_doc().dump(), clock.now_unix(), clock.now_unix() + 600};
  ASSERT_TRUE(disk.store("discovery", kUrl, doc));
  ASSERT_TRUE(disk.load("discovery", kUrl));
  ::chmod(path.c_str(), 0666);
  EXPECT_EQ(disk.load("discovery", kUrl).error().code, ErrorCode::kCorrupt);
  ::chmod(path.c_str(), 0644);
  ::chmod(dir.path.c_str(), 0777);
  EXPECT_FALSE(disk.load("discovery", kUrl));
  EXPECT_FALSE(disk.store("discovery", kUrl, doc));
}

}  // namespace
}  // namespace oidc_sysauth
