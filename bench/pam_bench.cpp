// PAM password login in-process (pam_start_confdir + pam_authenticate + pam_end with our
// module) against the test IdP over https, beside a bare libcurl POST of the same password
// grant. Two modes:
//   keep-alive: one process, warm caches, the connection reused (ours: the core's pool;
//               curl: one easy handle);
//   new connection: every login in a fresh child process, as sshd does (ours: discovery
//               and JWKS from the disk cache; curl: a fresh handle), so TCP + TLS are new.
// Also counts the IdP's requests per warm login through its admin stats endpoint.
//
//   pam_bench --env=IDP_ENV_FILE --module=pam_oidc.so --dir=WORKDIR [--logins=40]
//
// Prints pam.<mode>.{login_ms,curl_ms,overhead_ms}, idp.pam_requests_per_login,
// idp.pam_requests_per_login_newproc.
#include <curl/curl.h>
#include <dlfcn.h>
#include <security/pam_appl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench_http.hpp"
#include "bench_util.hpp"
#include "idp_env.hpp"

namespace oidc_sysauth::bench {
namespace {

using testing::IdpEnv;
using testing::idp_value;

constexpr const char* kUser = "alice";
constexpr const char* kPassword = "alice-pw";



double idp_requests(const IdpEnv& env) {
  const auto stats = nlohmann::json::parse(http("GET", idp_value(env, "IDP_ADMIN") + "/admin/stats", ""), nullptr, false);
  double total = 0;
  if (!stats.is_object()) die("admin stats is not JSON");
  for (const auto& [k, v] : stats.items()) {
    if (k.rfind("default ", 0) == 0 && v.is_number()) total += v.get<double>();
  }
  return total;
}

// ---- ours: a PAM transaction with a conversation that answers the password ----
int conv(int n, const pam_message** msg, pam_response** resp, void*) {
  auto* r = static_cast<pam_response*>(calloc(static_cast<std::size_t>(n), sizeof(pam_response)));
  if (r == nullptr) return PAM_BUF_ERR;
  for (int i = 0; i < n; ++i) {
    if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON) r[i].resp = strdup(kPassword);
  }
  *resp = r;
  return PAM_SUCCESS;
}

struct Setup {
  std::string confdir;
};

bool pam_login(const Setup& s) {
  const pam_conv c{&conv, nullptr};
  pam_handle_t* pamh = nullptr;
  if (pam_start_confdir("oidc-bench", kUser, &c, s.confdir.c_str(), &pamh) != PAM_SUCCESS) return false;
  const int rc = pam_authenticate(pamh, 0);
  pam_end(pamh, rc);
  if (rc != PAM_SUCCESS) std::fprintf(stderr, "pam_authenticate: %s\n", pam_strerror(pamh, rc));
  return rc == PAM_SUCCESS;
}

// ---- the peer: the same grant with nothing around it ----
struct CurlGrant {
  std::string url, ca, body, user_pwd;
  bool post(CURL* c) const {
    std::string out;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_USERPWD, user_pwd.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_CAINFO, ca.c_str());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &append_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
    long status = 0;
    const bool ok = curl_easy_perform(c) == CURLE_OK && curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK;
    return ok && status == 200 && out.find("id_token") != std::string::npos;
  }
};

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Wall milliseconds of f; its CPU milliseconds go to *cpu_ms. The CPU figure is what our
// code costs the host, free of the IdP's time and of waiting for a busy machine's CPU.
double ms_of(const std::function<bool()>& f, double* cpu_ms) {
  const auto t = SteadyClock::now();
  const double c = process_cpu_seconds();
  if (!f()) die("a login failed during timing");
  *cpu_ms = (process_cpu_seconds() - c) * 1000;
  return seconds_since(t) * 1000;
}

// Runs f in a fresh child process and returns the milliseconds the child measured.
double in_child_ms(const std::function<bool()>& f, double* cpu_ms) {
  int fds[2];
  if (pipe(fds) != 0) die("pipe");
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    const auto t = SteadyClock::now();
    const double c = process_cpu_seconds();
    const bool ok = f();
    const double ms[2] = {ok ? seconds_since(t) * 1000 : -1, (process_cpu_seconds() - c) * 1000};
    (void)!write(fds[1], ms, sizeof ms);
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  double ms[2] = {-1, 0};
  if (read(fds[0], ms, sizeof ms) != static_cast<ssize_t>(sizeof ms)) ms[0] = -1;
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (ms[0] < 0) die("a login in a child process failed");
  *cpu_ms = ms[1];
  return ms[0];
}

Setup write_setup(const IdpEnv& env, const std::string& dir, const std::string& module) {
  namespace fs = std::filesystem;
  // A fresh store: the IdP's issuer URL carries its port, so last run's "alice" would be
  // another identity now, and the name would be refused as taken.
  fs::remove_all(dir);
  fs::create_directories(dir + "/pam");
  fs::create_directories(dir + "/state");
  fs::create_directories(dir + "/cache");
  const std::string conf = dir + "/oidc-sysauth.conf";
  std::ofstream(conf) << "[idp]\nissuer = " << idp_value(env, "IDP_ISSUER") << "\nclient_id = "
                      << idp_value(env, "IDP_CLIENT_ID") << "\nclient_secret_file = "
                      << idp_value(env, "IDP_CLIENT_SECRET_FILE") << "\nca_file = " << idp_value(env, "IDP_CA")
                      << "\n[accounts]\nstate_dir = " << dir << "/state\ncache_dir = " << dir << "/cache\n";
  fs::permissions(conf, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  std::ofstream(dir + "/pam/oidc-bench") << "auth required " << module << " config=" << conf << "\n";
  return Setup{dir + "/pam"};
}

long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string key;
  long v = 0;
  while (in >> key) {
    if (key == "VmRSS:" && in >> v) return v;
  }
  return 0;
}

// RSS a host process gains by loading a module (before anything else touched libcurl/OpenSSL).
void rss_of_module(const std::string& label, const std::string& path) {
  const long before = rss_kib();
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) die(std::string("dlopen: ") + dlerror());
  emit("rss." + label + ".load", static_cast<double>(rss_kib() - before), "KiB");
}

int run(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]).rfind("--rss-of=", 0) == 0) {  // --rss-of=LABEL:PATH, then exit
      const std::string v = argv[i] + 9;
      rss_of_module(v.substr(0, v.find(':')), v.substr(v.find(':') + 1));
      return 0;
    }
  }
  const IdpEnv env = testing::read_idp_env_file(arg(argc, argv, "env", ""));
  const std::string module = arg(argc, argv, "module", "");
  const std::string dir = arg(argc, argv, "dir", "/tmp/oidc-pam-bench");
  const int logins = static_cast<int>(arg_double(argc, argv, "logins", 40));
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const Setup setup = write_setup(env, dir, module);
  const std::string ca = idp_value(env, "IDP_CA");
  const std::string admin = idp_value(env, "IDP_ADMIN");

  const auto disco = nlohmann::json::parse(
      http("GET", idp_value(env, "IDP_ISSUER") + "/.well-known/openid-configuration", ca), nullptr, false);
  CurlGrant grant{disco.value("token_endpoint", ""), ca,
                  std::string("grant_type=password&username=") + kUser + "&password=" + kPassword +
                      "&scope=openid%20profile%20email",
                  idp_value(env, "IDP_CLIENT_ID") + ":" + idp_value(env, "IDP_CLIENT_SECRET")};
  if (!grant.post(curl_easy_init())) die("bare password grant failed");

  // Correctness first: a wrong password must fail through our module.
  {
    const pam_conv bad{[](int n, const pam_message**, pam_response** resp, void*) {
                         auto* r = static_cast<pam_response*>(calloc(static_cast<std::size_t>(n), sizeof(pam_response)));
                         for (int i = 0; i < n; ++i) r[i].resp = strdup("wrong-password");
                         *resp = r;
                         return PAM_SUCCESS;
                       },
                       nullptr};
    pam_handle_t* pamh = nullptr;
    pam_start_confdir("oidc-bench", kUser, &bad, setup.confdir.c_str(), &pamh);
    const int rc = pam_authenticate(pamh, 0);
    pam_end(pamh, rc);
    if (rc == PAM_SUCCESS) die("our module ACCEPTED A WRONG PASSWORD");
  }
  // Warm-up: caches (discovery, JWKS, disk cache), the account, the connection.
  for (int i = 0; i < 3; ++i) {
    if (!pam_login(setup)) die("warm-up login failed");
  }

  // keep-alive: ours and the bare POST alternate, so load from other processes hits both.
  // Every bare POST is exactly one IdP request; the rest of the count is ours.
  http("POST", admin + "/admin/stats/reset", "", "{}");
  const double before = idp_requests(env);
  std::vector<double> ours, bare, ours_cpu, bare_cpu;
  double cpu = 0;
  CURL* handle = curl_easy_init();
  for (int i = 0; i < logins; ++i) {
    ours.push_back(ms_of([&] { return pam_login(setup); }, &cpu));
    ours_cpu.push_back(cpu);
    bare.push_back(ms_of([&] { return grant.post(handle); }, &cpu));
    bare_cpu.push_back(cpu);
  }
  curl_easy_cleanup(handle);
  emit("idp.pam_requests_per_login", (idp_requests(env) - before - logins) / logins, "req");
  emit("pam.keepalive.login_ms", median(ours), "ms");
  emit("pam.keepalive.curl_ms", median(bare), "ms");
  emit("pam.keepalive.overhead_ms", median(ours) - median(bare), "ms");
  emit("pam.keepalive.cpu_ms", median(ours_cpu), "ms");
  emit("pam.keepalive.curl_cpu_ms", median(bare_cpu), "ms");
  emit("pam.keepalive.cpu_overhead_ms", median(ours_cpu) - median(bare_cpu), "ms");

  // new connection: every login in a fresh process (sshd forks per connection)
  ours.clear();
  bare.clear();
  ours_cpu.clear();
  bare_cpu.clear();
  const int fresh = std::max(5, logins / 2);
  const double before_new = idp_requests(env);
  for (int i = 0; i < fresh; ++i) {
    ours.push_back(in_child_ms([&] { return pam_login(setup); }, &cpu));
    ours_cpu.push_back(cpu);
    bare.push_back(in_child_ms([&] {
      CURL* c = curl_easy_init();
      const bool ok = grant.post(c);
      curl_easy_cleanup(c);
      return ok;
    }, &cpu));
    bare_cpu.push_back(cpu);
  }
  emit("idp.pam_requests_per_login_newproc", (idp_requests(env) - before_new - fresh) / fresh, "req");
  emit("pam.newconn.login_ms", median(ours), "ms");
  emit("pam.newconn.curl_ms", median(bare), "ms");
  emit("pam.newconn.overhead_ms", median(ours) - median(bare), "ms");
  emit("pam.newconn.cpu_ms", median(ours_cpu), "ms");
  emit("pam.newconn.curl_cpu_ms", median(bare_cpu), "ms");
  emit("pam.newconn.cpu_overhead_ms", median(ours_cpu) - median(bare_cpu), "ms");
  return 0;
}

}  // namespace
}  // namespace oidc_sysauth::bench

int main(int argc, char** argv) { return oidc_sysauth::bench::run(argc, argv); }
