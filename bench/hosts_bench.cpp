// IdP load when many hosts start at once: COUNT processes, each a "host" with a cold cache
// (its own empty cache_dir), build the core's OidcContext and verify one bearer token,
// which needs discovery and the JWKS. At most CONCURRENCY run at the same time. The IdP's
// admin stats say how many discovery and JWKS requests it served.
//
//   hosts_bench --env=IDP_ENV --dir=WORKDIR [--hosts=1000] [--concurrency=50]
//
// Prints idp.hosts<COUNT>.{discovery,jwks,token} (requests) and idp.hosts<COUNT>.seconds.
#include <curl/curl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "auth/authenticator.hpp"
#include "bench_http.hpp"
#include "bench_util.hpp"
#include "idp_env.hpp"

namespace oidc_sysauth::bench {
namespace {



// One cold host. Runs in a child; returns its exit status.
int host(const testing::IdpEnv& env, const std::string& cache_dir, const std::string& token) {
  Config config;
  config.path = "hosts-bench.conf";
  config.idp.issuer = testing::idp_value(env, "IDP_ISSUER");
  config.idp.client_id = "linux-hosts";
  config.idp.ca_file = testing::idp_value(env, "IDP_CA");
  config.accounts.cache_dir = cache_dir;
  config.accounts.state_dir = cache_dir;
  ContextOptions options;
  options.use_disk_cache = true;
  auto ctx = OidcContext::create(config, options);
  if (!ctx) return 3;
  return (*ctx)->verify_bearer(token) ? 0 : 4;
}

int run(int argc, char** argv) {
  const auto env = testing::read_idp_env_file(arg(argc, argv, "env", ""));
  const std::string dir = arg(argc, argv, "dir", "/tmp/oidc-hosts-bench");
  const int hosts = static_cast<int>(arg_double(argc, argv, "hosts", 1000));
  const int concurrency = static_cast<int>(arg_double(argc, argv, "concurrency", 50));
  const std::string admin_url = testing::idp_value(env, "IDP_ADMIN");
  curl_global_init(CURL_GLOBAL_DEFAULT);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  auto reply = nlohmann::json::parse(
      http("POST", admin_url + "/admin/token", "", R"({"profile":"default","user":"alice","alg":"RS256","ttl":3600})"),
      nullptr, false);
  if (!reply.is_object() || !reply.contains("token")) die("admin/token gave no token");
  const std::string token = reply["token"].get<std::string>();
  const auto stats = [&] { return nlohmann::json::parse(http("GET", admin_url + "/admin/stats", ""), nullptr, false); };
  const auto before = stats();

  const auto start = SteadyClock::now();
  int running = 0, started = 0, failed = 0;
  while (started < hosts || running > 0) {
    if (started < hosts && running < concurrency) {
      const std::string cache = dir + "/host" + std::to_string(started);
      std::filesystem::create_directories(cache);
      const pid_t pid = fork();
      if (pid == 0) _exit(host(env, cache, token));
      if (pid < 0) die("fork");
      ++started;
      ++running;
      continue;
    }
    int status = 0;
    if (wait(&status) > 0) {
      --running;
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
    }
  }
  const double seconds = seconds_since(start);
  const auto after = stats();
  const std::string p = "idp.hosts" + std::to_string(hosts) + ".";
  for (const char* what : {"discovery", "jwks", "token"}) {
    const std::string key = std::string("default ") + what;
    emit(p + what, after.value(key, 0.0) - before.value(key, 0.0), "req");
  }
  emit(p + "seconds", seconds, "s");
  emit(p + "failed", failed, "hosts");
  std::filesystem::remove_all(dir);
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace oidc_sysauth::bench

int main(int argc, char** argv) { return oidc_sysauth::bench::run(argc, argv); }
