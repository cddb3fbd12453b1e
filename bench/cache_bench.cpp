// Bearer-token verification through the core's front door, in-process (discovery and JWKS
// served by the unit tests' FakeHttpClient, so no network time is counted): first-seen
// tokens (each verified exactly once) and one repeated token (the verified-token cache).
//
// The headline figures use OidcContext::verify_bearer_shared, which is what production
// calls per connection (the SASL plugin's first_step): the cached identity is handed out
// read-only, no copy. verify_bearer (a copy of the Identity: PAM token_login, the CLI) is
// reported beside it as verify.cached_copy.ours.
//
//   cache_bench --seconds=1.5 [--tokens=3000] [--calls=K] [--path=shared|copy]
//
// Prints verify.cached.ours, verify.cached_copy.ours and verify.bearer_first.ours (ops/s).
// --calls=K verifies the repeated token K times inside `measured_cached` (for callgrind),
// untimed, through the path chosen by --path (default: shared, production's).
#include <memory>
#include <string>
#include <vector>

#include "auth/authenticator.hpp"
#include <valgrind/callgrind.h>

#include "bench_util.hpp"
#include "fake_http.hpp"
#include "token_forge.hpp"

namespace oidc_sysauth::bench {
namespace {

constexpr const char* kIssuer = "https://idp.bench.example/realms/corp";

std::shared_ptr<OidcContext> make_context(fake::FakeHttpClient& http, const forge::ForgeKey& key) {
  const std::string base = kIssuer;
  http.always("GET", base + "/.well-known/openid-configuration",
              fake::FakeHttpClient::json(200, nlohmann::json{{"issuer", kIssuer},
                                                             {"token_endpoint", base + "/token"},
                                                             {"jwks_uri", base + "/jwks"}}
                                                  .dump()));
  http.always("GET", base + "/jwks", fake::FakeHttpClient::json(200, forge::jwks_json({&key})));
  Config config;
  config.path = "bench.conf";
  config.idp.issuer = kIssuer;
  config.idp.client_id = "linux-hosts";
  ContextOptions options;
  options.http = &http;
  options.use_disk_cache = false;
  auto ctx = OidcContext::create(config, options);
  if (!ctx) die("OidcContext::create: " + ctx.error().detail);
  return *ctx;
}

std::string token_for(const forge::ForgeKey& key, int i) {
  const std::int64_t now = SystemClock().now_unix();
  auto claims = forge::standard_claims(kIssuer, "linux-hosts", now);
  claims["exp"] = now + 3600;
  claims["sub"] = "subject-" + std::to_string(i);
  claims["preferred_username"] = "user" + std::to_string(i % 500);
  claims["groups"] = nlohmann::json::array({"staff"});
  return forge::sign_jwt(key, {{"alg", "RS256"}, {"kid", key.kid()}, {"typ", "JWT"}}, claims);
}

[[gnu::noinline]] bool measured_cached(OidcContext& ctx, const std::string& token, long calls, bool copy) {
  CALLGRIND_START_INSTRUMENTATION;
  CALLGRIND_TOGGLE_COLLECT;
  bool ok = true;
  for (long i = 0; i < calls; ++i)
    ok = (copy ? ctx.verify_bearer(token).has_value() : ctx.verify_bearer_shared(token).has_value()) && ok;
  CALLGRIND_TOGGLE_COLLECT;
  CALLGRIND_STOP_INSTRUMENTATION;
  return ok;
}

int run(int argc, char** argv) {
  const double seconds = arg_double(argc, argv, "seconds", 1.5);
  const auto n = static_cast<int>(arg_double(argc, argv, "tokens", 3000));
  const long calls = static_cast<long>(arg_double(argc, argv, "calls", 0));

  const auto key = forge::ForgeKey::generate(forge::ForgeKeyType::kRsa2048, "bench-rsa");
  const auto impostor = forge::ForgeKey::generate(forge::ForgeKeyType::kRsa2048, "bench-rsa");
  fake::FakeHttpClient http;
  auto ctx = make_context(http, key);

  const std::string repeated = token_for(key, 0);
  if (!ctx->verify_bearer_shared(repeated)) die("verify_bearer_shared rejects a genuine token");
  if (ctx->verify_bearer_shared(token_for(impostor, 1))) die("verify_bearer_shared ACCEPTS A FORGED TOKEN");
  if (ctx->verify_bearer(token_for(impostor, 2))) die("verify_bearer ACCEPTS A FORGED TOKEN");
  std::fprintf(stderr, "gate: verify_bearer(_shared) accept the genuine token, reject forged ones\n");
  if (calls > 0) return measured_cached(*ctx, repeated, calls, arg(argc, argv, "path", "shared") == "copy") ? 0 : 1;

  emit("verify.cached.ours",
       ops_per_second([&](std::uint64_t) { return ctx->verify_bearer_shared(repeated).has_value(); }, seconds,
                      100'000'000, 1024),
       "ops/s");
  emit("verify.cached_copy.ours",
       ops_per_second([&](std::uint64_t) { return ctx->verify_bearer(repeated).has_value(); }, seconds, 100'000'000,
                      1024),
       "ops/s");

  // First-seen: every token once, never from the cache (one bounded pass, CPU time).
  std::vector<std::string> fresh;
  fresh.reserve(static_cast<std::size_t>(n));
  for (int i = 1; i <= n; ++i) fresh.push_back(token_for(key, 1000 + i));
  const double start = thread_cpu_seconds();
  for (const auto& t : fresh) {
    if (!ctx->verify_bearer_shared(t)) die("a first-seen token was rejected");
  }
  emit("verify.bearer_first.ours", static_cast<double>(n) / (thread_cpu_seconds() - start), "ops/s");
  return 0;
}

}  // namespace
}  // namespace oidc_sysauth::bench

int main(int argc, char** argv) { return oidc_sysauth::bench::run(argc, argv); }
