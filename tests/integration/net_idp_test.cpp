// The network half of the core against the real test IdP over https: discovery and its
// caches, key rotation, TLS failures, http:// rules, faults within timeout + 1 s, the
// response cap, and environment variables that must change nothing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "auth/oidc_context_impl.hpp"
#include "net/curl_http_client.hpp"
#include "net_idp_helpers.hpp"

namespace oidc_sysauth::testing {
namespace {

using nlohmann::json;

class NetIdpTest : public ::testing::Test {
 protected:
  void SetUp() override { admin.clear_faults(); }
  void TearDown() override { admin.clear_faults(); }
  IdpEnv env = read_idp_env();
  IdpAdmin admin{idp_value(env, "IDP_ADMIN")};
  std::string issuer = idp_value(env, "IDP_ISSUER");
};

int stat_count(const json& stats, const std::string& key) { return stats.contains(key) ? stats[key].get<int>() : 0; }

TEST_F(NetIdpTest, DiscoveryIsValidatedAndCachedOnDisk) {
  ScratchDir cache;
  Config c = default_config(env);
  c.accounts.cache_dir = cache.path + "/cache";
  ContextOptions with_disk;
  const int before = stat_count(admin.stats(), "default discovery");
  auto first = make_context(c, with_disk);
  ASSERT_TRUE(first->preload());
  ASSERT_TRUE(first->preload());
  EXPECT_EQ(stat_count(admin.stats(), "default discovery"), before + 1);
  // A new "process" (new context) reads discovery and JWKS from the disk cache.
  const int jwks_before = stat_count(admin.stats(), "default jwks");
  auto second = make_context(c, with_disk);
  ASSERT_TRUE(second->preload());
  EXPECT_EQ(stat_count(admin.stats(), "default discovery"), before + 1);
  EXPECT_EQ(stat_count(admin.stats(), "default jwks"), jwks_before);
  EXPECT_TRUE(std::filesystem::exists(c.accounts.cache_dir));
}

TEST_F(NetIdpTest, IssuerMismatchIsMisconfiguration) {
  Config c = default_config(env);
  c.idp.issuer = issuer + "/";  // the IdP says it without the slash
  auto r = make_context(c)->preload();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kMisconfigured);
}

std::string mint(const IdpAdmin& admin, const std::string& alg = "RS256") {
  return admin.post("/admin/token", {{"profile", "default"}, {"user", "alice"}, {"alg", alg}, {"aud", "linux-hosts"},
                                     {"ttl", 600}})["token"].get<std::string>();
}

TEST_F(NetIdpTest, KeyRotationMidRun) {
  FakeClock clock(SystemClock().now_unix());  // real wall time, a monotonic clock we can move
  ContextOptions o = no_disk();
  o.clock = &clock;
  auto ctx = make_context(default_config(env), o);
  const std::string old_token = mint(admin);
  ASSERT_TRUE(ctx->verify_bearer(old_token));
  admin.post("/admin/rotate", {{"profile", "default"}, {"alg", "RS256"}});
  const std::string new_token = mint(admin);
  auto rotated = ctx->verify_bearer(new_token);
  ASSERT_TRUE(rotated) << rotated.error().detail;  // unknown kid → one refetch
  ASSERT_TRUE(ctx->verify_bearer(old_token));     // the old key is still published
  admin.post("/admin/drop-old-keys", {{"profile", "default"}});
  clock.advance_seconds(31);  // past the refetch rate limit
  admin.post("/admin/rotate", {{"profile", "default"}, {"alg", "RS256"}});
  const std::string newest = mint(admin);
  ASSERT_TRUE(ctx->verify_bearer(newest));  // refetch shows the first key gone
  auto dropped = ctx->verify_bearer(old_token);
  ASSERT_FALSE(dropped) << "a token signed by a dropped key still verified (cache not cleared?)";
  EXPECT_EQ(dropped.error().reason, "unknown_key");
  ASSERT_TRUE(ctx->verify_bearer(new_token));
  auto fresh = make_context(default_config(env));
  EXPECT_FALSE(fresh->verify_bearer(old_token));
  EXPECT_TRUE(fresh->verify_bearer(newest));
}

TEST_F(NetIdpTest, TlsFailuresAreRefused) {
  for (const char* key : {"IDP_UNTRUSTED_ISSUER", "IDP_BADNAME_ISSUER"}) {
    auto r = make_context(default_config(env, key))->preload();
    ASSERT_FALSE(r) << key;
    EXPECT_EQ(r.error().code, ErrorCode::kIdpUnavailable) << key;
    EXPECT_EQ(r.error().reason, "tls") << key << ": " << r.error().detail;
  }
  Config no_ca = default_config(env);
  no_ca.idp.ca_file.clear();  // the system store does not know the test CA
  auto r = make_context(no_ca)->preload();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "tls");
}

TEST_F(NetIdpTest, HttpOnlyWhenAllowedAndLoopback) {
  Config c = default_config(env, "IDP_HTTP_ISSUER");
  auto refused = OidcContext::create(c, no_disk());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, "insecure_url");
  c.idp.allow_http = true;
  auto ok = make_context(c)->preload();
  EXPECT_TRUE(ok) << ok.error().detail;

  HttpClientOptions options;
  options.allow_http_loopback = false;
  auto strict = make_curl_http_client(options);
  ASSERT_TRUE(strict);
  HttpRequest get;
  get.url = idp_value(env, "IDP_HTTP_ISSUER") + "/.well-known/openid-configuration";
  EXPECT_EQ((*strict)->perform(get).error().reason, "insecure_url");
  options.allow_http_loopback = true;
  auto lax = make_curl_http_client(options);
  ASSERT_TRUE(lax);
  get.url = "http://192.0.2.1/x";  // not loopback: refused before any connection
  EXPECT_EQ((*lax)->perform(get).error().reason, "insecure_url");
  get.url = "ftp://127.0.0.1/x";
  EXPECT_FALSE((*lax)->perform(get));
}

TEST_F(NetIdpTest, RedirectsAreNotFollowed) {
  admin.fault({{"path", "discovery"}, {"kind", "redirect"}, {"location", "https://127.0.0.1:1/elsewhere"}});
  auto r = make_context(default_config(env))->preload();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kBadResponse);
  EXPECT_EQ(r.error().reason, "redirect");
}

TEST_F(NetIdpTest, HundredMegabyteResponseIsCappedCheaply) {
  auto rss_kb = [] {
    std::ifstream statm("/proc/self/statm");
    long pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * (::sysconf(_SC_PAGESIZE) / 1024);
  };
  const long before = rss_kb();
  admin.fault({{"path", "discovery"}, {"kind", "huge"}, {"bytes", 100 * 1024 * 1024}});
  const auto start = std::chrono::steady_clock::now();
  auto r = make_context(default_config(env))->preload();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kIdpUnavailable);
  EXPECT_EQ(r.error().reason, "too_large") << r.error().detail;
  EXPECT_LT(seconds_since(start), 3.0);
  EXPECT_LT(rss_kb() - before, 20 * 1024) << "memory grew by more than 20 MB";
}

TEST_F(NetIdpTest, EachFaultGivesItsClassWithinTimeoutPlusOneSecond) {
  struct Case {
    json fault;
    ErrorCode code;
  };
  const Case cases[] = {
      {{{"path", "token"}, {"kind", "delay"}, {"ms", 6000}}, ErrorCode::kIdpUnavailable},
      {{{"path", "token"}, {"kind", "trickle"}, {"ms", 200}, {"bytes", 100}}, ErrorCode::kIdpUnavailable},
      {{{"path", "token"}, {"kind", "drop"}}, ErrorCode::kIdpUnavailable},
      {{{"path", "token"}, {"kind", "status"}, {"status", 503}}, ErrorCode::kIdpUnavailable},
      {{{"path", "token"}, {"kind", "status"}, {"status", 500}, {"body", "<html>oops</html>"}}, ErrorCode::kIdpUnavailable},
      {{{"path", "token"}, {"kind", "status"}, {"status", 403}, {"body", ""}}, ErrorCode::kCredentialsRefused},
      {{{"path", "token"}, {"kind", "status"}, {"status", 401}, {"body", ""}}, ErrorCode::kCredentialsRefused},
      {{{"path", "token"}, {"kind", "garbage"}}, ErrorCode::kBadResponse},
      {{{"path", "token"}, {"kind", "huge"}}, ErrorCode::kIdpUnavailable},
      {{{"path", "token"}, {"kind", "redirect"}}, ErrorCode::kBadResponse},
  };
  Config c = default_config(env);
  auto ctx = make_context(c);
  ASSERT_TRUE(ctx->preload());
  for (const auto& tc : cases) {
    admin.clear_faults();
    json spec = tc.fault;
    spec["count"] = 1;
    admin.fault(spec);
    LoginRequest req;
    req.login_name = "alice";
    req.service = "sshd";
    req.password = Secret("alice-pw");
    struct Silent : Conversation {
      Result<Secret> prompt_hidden(std::string_view) override { return fail(ErrorCode::kConversation, "none"); }
      Result<std::string> prompt_visible(std::string_view) override { return fail(ErrorCode::kConversation, "none"); }
      void info(std::string_view) override {}
      void error(std::string_view) override {}
    } conv;
    const auto start = std::chrono::steady_clock::now();
    auto r = ctx->login(req, conv);
    const double elapsed = seconds_since(start);
    ASSERT_FALSE(r) << spec.dump();
    EXPECT_EQ(r.error().code, tc.code) << spec.dump() << " → " << error_code_name(r.error().code) << ": "
                                       << r.error().detail;
    EXPECT_LT(elapsed, c.idp.timeout_seconds + 1.0) << spec.dump();
  }
}

// Restores an environment variable at scope exit.
struct EnvOverride {
  std::string name;
  std::optional<std::string> old;
  EnvOverride(std::string n, const std::string& value) : name(std::move(n)) {
    if (const char* v = std::getenv(name.c_str())) old = v;
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  ~EnvOverride() {
    if (old) ::setenv(name.c_str(), old->c_str(), 1);
    else ::unsetenv(name.c_str());
  }
};

TEST_F(NetIdpTest, ProxyAndCaEnvironmentVariablesChangeNothing) {
  const std::string ca = idp_value(env, "IDP_CA");
  std::vector<std::unique_ptr<EnvOverride>> vars;
  for (const char* proxy : {"https_proxy", "HTTPS_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"})
    vars.push_back(std::make_unique<EnvOverride>(proxy, "http://127.0.0.1:9"));  // nothing listens there
  vars.push_back(std::make_unique<EnvOverride>("NO_PROXY", ""));
  vars.push_back(std::make_unique<EnvOverride>("SSL_CERT_FILE", ca));
  vars.push_back(std::make_unique<EnvOverride>("CURL_CA_BUNDLE", ca));
  vars.push_back(std::make_unique<EnvOverride>("SSL_CERT_DIR", std::filesystem::path(ca).parent_path().string()));
  auto with_ca = make_context(default_config(env))->preload();
  EXPECT_TRUE(with_ca) << "a proxy variable was honoured: " << with_ca.error().detail;
  Config no_ca = default_config(env);
  no_ca.idp.ca_file.clear();
  auto without = make_context(no_ca)->preload();
  ASSERT_FALSE(without) << "SSL_CERT_FILE / CURL_CA_BUNDLE made the test CA trusted";
  EXPECT_EQ(without.error().reason, "tls");
  Config http = default_config(env, "IDP_HTTP_ISSUER");
  http.idp.allow_http = true;
  EXPECT_TRUE(make_context(http)->preload());
}

TEST_F(NetIdpTest, SslKeyLogFileInTheEnvironmentIsRefused) {
  EnvOverride keylog("SSLKEYLOGFILE", "/tmp/oidc-keylog-should-not-exist");
  auto r = OidcContext::create(default_config(env), no_disk());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "environment");
  EXPECT_FALSE(std::filesystem::exists("/tmp/oidc-keylog-should-not-exist"));
}

}  // namespace
}  // namespace oidc_sysauth::testing
