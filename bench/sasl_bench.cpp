// Server-side OAUTHBEARER through the real libsasl2 (sasl_server_new / sasl_server_start,
// one thread) with our liboidc.so, against the test IdP's keys: first-seen tokens (each
// exchanged once) and one repeated token, beside the core's bare verify_jwt on the SAME
// tokens with the same JWKS. Tokens are minted by the IdP's admin API.
//
//   sasl_bench --env=IDP_ENV --plugin=DIR_WITH_liboidc.so --dir=WORKDIR [--tokens=600] [--seconds=1.5]
//   sasl_bench ... --mode=rotation      JWKS fetches over 10,000 exchanges across a key rotation
//                                       (cold process, empty disk cache)
#include <curl/curl.h>
#include <sasl/sasl.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <valgrind/callgrind.h>

#include "bench_http.hpp"
#include "bench_util.hpp"
#include "clock.hpp"
#include "idp_env.hpp"
#include "jose/jwt.hpp"

namespace oidc_sysauth::bench {
namespace {

using testing::IdpEnv;
using testing::idp_value;

std::string g_config, g_plugin_dir, g_conf_dir;

int getopt_cb(void*, const char*, const char* option, const char** result, unsigned* len) {
  if (option == nullptr || std::string_view(option) != "oidc_config") return SASL_FAIL;
  *result = g_config.c_str();
  if (len != nullptr) *len = static_cast<unsigned>(g_config.size());
  return SASL_OK;
}
int getpath_cb(void*, const char** path) {
  *path = g_plugin_dir.c_str();
  return SASL_OK;
}
int getconfpath_cb(void*, char** path) {
  *path = g_conf_dir.data();
  return SASL_OK;
}
using CallbackFn = int (*)(void);
template <typename F>
CallbackFn cb(F* f) {
  return reinterpret_cast<CallbackFn>(reinterpret_cast<void (*)()>(f));
}
const sasl_callback_t kCallbacks[] = {
    {SASL_CB_GETOPT, cb(&getopt_cb), nullptr},
    {SASL_CB_GETPATH, cb(&getpath_cb), nullptr},
    {SASL_CB_GETCONFPATH, cb(&getconfpath_cb), nullptr},
    {SASL_CB_LIST_END, nullptr, nullptr},
};



struct Idp {
  IdpEnv env;
  std::string admin, ca, issuer;
  std::string mint(int i) const {
    const nlohmann::json req{{"profile", "default"}, {"user", "alice"}, {"alg", "RS256"}, {"ttl", 3600},
                             {"claims", {{"jti", "bench-" + std::to_string(i)}}}};
    auto reply = nlohmann::json::parse(http("POST", admin + "/admin/token", "", req.dump()), nullptr, false);
    if (!reply.is_object() || !reply.contains("token")) die("admin/token gave no token");
    return reply["token"].get<std::string>();
  }
  double stat(const std::string& key) const {
    auto s = nlohmann::json::parse(http("GET", admin + "/admin/stats", ""), nullptr, false);
    return s.is_object() && s.contains(key) && s[key].is_number() ? s[key].get<double>() : 0;
  }
};

void setup(const Idp& idp, const std::string& dir, const std::string& plugin) {
  namespace fs = std::filesystem;
  fs::remove_all(dir);
  g_conf_dir = dir + "/conf";
  g_plugin_dir = dir + "/plugins";
  fs::create_directories(g_conf_dir);
  fs::create_directories(g_plugin_dir);
  fs::create_directories(dir + "/state");
  fs::create_directories(dir + "/cache");
  fs::create_symlink(plugin + "/liboidc.so", g_plugin_dir + "/liboidc.so");
  g_config = dir + "/oidc-sysauth.conf";
  std::ofstream(g_config) << "[idp]\nissuer = " << idp.issuer << "\nclient_id = linux-hosts\nca_file = " << idp.ca
                          << "\n[accounts]\nstate_dir = " << dir << "/state\ncache_dir = " << dir << "/cache\n";
  if (sasl_server_init(kCallbacks, "oidc-bench") != SASL_OK) die("sasl_server_init");
}

// One whole server-side exchange; true when it authenticated alice.
bool exchange(const std::string& token) {
  sasl_conn_t* conn = nullptr;
  if (sasl_server_new("smtp", "localhost", nullptr, "127.0.0.1;25", "127.0.0.1;40000", nullptr, 0, &conn) != SASL_OK)
    return false;
  // The client's message, as the server would receive it into one buffer (one allocation,
  // not the three temporaries of an operator+ chain: that is the simulated client's cost).
  constexpr std::string_view kHead = "n,a=alice,\x01host=localhost\x01port=25\x01" "auth=Bearer ";
  std::string msg;
  msg.reserve(kHead.size() + token.size() + 2);
  msg.append(kHead).append(token).append("\x01\x01");
  const char* out = nullptr;
  unsigned outlen = 0;
  int rc = sasl_server_start(conn, "OAUTHBEARER", msg.data(), static_cast<unsigned>(msg.size()), &out, &outlen);
  if (rc == SASL_CONTINUE) rc = sasl_server_step(conn, "\x01", 1, &out, &outlen);  // the error-challenge answer
  sasl_dispose(&conn);
  return rc == SASL_OK;
}

// --calls=K: K exchanges, untimed, inside callgrind's collection window. first=true uses
// K distinct tokens (first-seen), otherwise the already-seen token 0 K times.
[[gnu::noinline]] bool measured_exchanges(const std::vector<std::string>& tokens, long calls, bool first) {
  CALLGRIND_START_INSTRUMENTATION;
  CALLGRIND_TOGGLE_COLLECT;
  bool ok = true;
  for (long i = 0; i < calls; ++i) ok = exchange(tokens[first ? static_cast<std::size_t>(1 + i) : 0]) && ok;
  CALLGRIND_TOGGLE_COLLECT;
  CALLGRIND_STOP_INSTRUMENTATION;
  return ok;
}

std::string tamper(std::string t) {
  const auto pos = t.rfind('.') + 5;
  t[pos] = t[pos] == 'A' ? 'B' : 'A';
  return t;
}

int rotation(const Idp& idp, double jwks0) {
  // 10,000 exchanges from a cold process: 5,000 over 50 tokens of the current key, a
  // rotation (new kid, old key still published), 5,000 over 50 tokens of the new key.
  std::vector<std::string> before, after;
  for (int i = 0; i < 50; ++i) before.push_back(idp.mint(100000 + i));
  for (int i = 0; i < 5000; ++i) {
    if (!exchange(before[static_cast<std::size_t>(i % 50)])) die("rotation: exchange before the rotation failed");
  }
  http("POST", idp.admin + "/admin/rotate", "", R"({"profile":"default","alg":"RS256"})");
  for (int i = 0; i < 50; ++i) after.push_back(idp.mint(200000 + i));
  for (int i = 0; i < 5000; ++i) {
    if (!exchange(after[static_cast<std::size_t>(i % 50)])) die("rotation: exchange after the rotation failed");
  }
  emit("idp.jwks_per_10k_rotation", idp.stat("default jwks") - jwks0, "req");
  return 0;
}

int run(int argc, char** argv) {
  Idp idp;
  idp.env = testing::read_idp_env_file(arg(argc, argv, "env", ""));
  idp.admin = idp_value(idp.env, "IDP_ADMIN");
  idp.ca = idp_value(idp.env, "IDP_CA");
  idp.issuer = idp_value(idp.env, "IDP_ISSUER");
  const int n = static_cast<int>(arg_double(argc, argv, "tokens", 600));
  const double seconds = arg_double(argc, argv, "seconds", 1.5);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  // Counted from before the plugin loads: its init already fetches discovery and JWKS.
  const double jwks_cold = idp.stat("default jwks");
  setup(idp, arg(argc, argv, "dir", "/tmp/oidc-sasl-bench"), arg(argc, argv, "plugin", ""));
  if (arg(argc, argv, "mode", "") == "rotation") return rotation(idp, jwks_cold);

  std::vector<std::string> tokens;
  for (int i = 0; i <= n; ++i) tokens.push_back(idp.mint(i));
  // Correctness gate, and the warm-up that fetches discovery and JWKS.
  if (!exchange(tokens[0])) die("a genuine token was refused through libsasl2");
  if (exchange(tamper(tokens[1]))) die("libsasl2 + liboidc ACCEPTED A TAMPERED TOKEN");
  if (const long calls = static_cast<long>(arg_double(argc, argv, "calls", 0)); calls > 0) {
    return measured_exchanges(tokens, std::min<long>(calls, n), arg(argc, argv, "mode", "") == "first") ? 0 : 1;
  }

  // Bare verify_jwt on the same tokens, same keys (fetched from the IdP once).
  const auto disco = nlohmann::json::parse(http("GET", idp.issuer + "/.well-known/openid-configuration", idp.ca));
  auto keys = JwkSet::parse(http("GET", disco.value("jwks_uri", ""), idp.ca));
  if (!keys) die("JWKS: " + keys.error().detail);
  JwtPolicy policy;
  policy.issuer = idp.issuer;
  policy.audiences = {"linux-hosts"};
  policy.algorithms = {"RS256"};
  const SystemClock clock;
  if (verify_jwt(tamper(tokens[1]), *keys, policy, clock)) die("verify_jwt ACCEPTED A TAMPERED TOKEN");
  // Bare verify_jwt and first-seen exchanges on the same tokens, interleaved in blocks of
  // 50 (which of the two goes first alternates), each token verified once and exchanged
  // once: the two cores are shared, so both figures must see the same machine for their
  // ratio to mean anything. CPU time of this thread, summed per side.
  constexpr int kBlock = 50;
  double bare_cpu = 0, exchange_cpu = 0;
  for (int first = 1, block = 0; first <= n; first += kBlock, ++block) {
    const int last = std::min(n, first + kBlock - 1);
    auto bare = [&] {
      const double t0 = thread_cpu_seconds();
      for (int i = first; i <= last; ++i)
        if (!verify_jwt(tokens[static_cast<std::size_t>(i)], *keys, policy, clock)) die("verify_jwt refused a token");
      bare_cpu += thread_cpu_seconds() - t0;
    };
    auto exchanges = [&] {
      const double t0 = thread_cpu_seconds();
      for (int i = first; i <= last; ++i)
        if (!exchange(tokens[static_cast<std::size_t>(i)])) die("a first-seen token was refused");
      exchange_cpu += thread_cpu_seconds() - t0;
    };
    if (block % 2 == 0) {
      bare();
      exchanges();
    } else {
      exchanges();
      bare();
    }
  }
  emit("sasl.bare_verify", n / bare_cpu, "ops/s");
  emit("sasl.first_seen", n / exchange_cpu, "ops/s");
  // libsasl2's own share of every exchange, which no plugin can avoid: a connection object
  // made and disposed of (sasl_server_new + sasl_dispose, as a server does per client).
  emit("sasl.conn_only", ops_per_second([&](std::uint64_t) {
         sasl_conn_t* conn = nullptr;
         const bool ok = sasl_server_new("smtp", "localhost", nullptr, "127.0.0.1;25", "127.0.0.1;40000", nullptr, 0,
                                         &conn) == SASL_OK;
         sasl_dispose(&conn);
         return ok;
       }, seconds, 10'000'000, 256), "ops/s");
  emit("sasl.repeated", ops_per_second([&](std::uint64_t) { return exchange(tokens[0]); }, seconds, 10'000'000, 256),
       "ops/s");
  sasl_done();
  return 0;
}

}  // namespace
}  // namespace oidc_sysauth::bench

int main(int argc, char** argv) { return oidc_sysauth::bench::run(argc, argv); }
