// oidc-sysauth doctor: one line per check, each failure with its fix. Exit 0 only when
// nothing is wrong.
#include <sys/stat.h>

#include <ctime>
#include <fstream>
#include <sstream>

#include "auth/authenticator.hpp"
#include "commands.hpp"
#include "doctor_checks.hpp"
#include "net/curl_http_client.hpp"
#include "pam_stack_check.hpp"
#include "store/account_store.hpp"

namespace oidc_sysauth::cli {

void Doctor::report(const std::string& check, std::string_view status, const std::string& message,
                    const std::string& fix) {
  if (status == "FAIL") ++failures_;
  out_.verdict(status, message, fix);
  nlohmann::json j = {{"check", check}, {"status", std::string(status)}, {"message", message}};
  if (!fix.empty()) j["fix"] = fix;
  results_.push_back(std::move(j));
}

std::string Doctor::path(const std::string& absolute) const {
  if (options_.root == "/" || options_.root.empty()) return absolute;
  return options_.root + absolute;
}

void Doctor::check_file_mode(const std::string& check, const std::string& file, bool secret) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    report(check, "FAIL", file + " does not exist", secret ? "create it with the client secret, mode 0600 root:root" : "");
    return;
  }
  const unsigned perm = st.st_mode & 07777;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", perm);
  if (st.st_uid != 0) {
    report(check, "FAIL", file + " is owned by uid " + std::to_string(st.st_uid), "chown root " + file);
  } else if (secret && !(perm == 0600 || perm == 0400 || (st.st_gid != 0 && (perm == 0640 || perm == 0440)))) {
    report(check, "FAIL", file + " has mode " + mode + ", unsafe for a secret", "chmod 0600 " + file);
  } else if (!secret && (perm & 022) != 0) {
    report(check, "FAIL", file + " is writable by group or others (mode " + mode + ")", "chmod 0644 " + file);
  } else {
    report(check, "ok", file + " owned by root, mode " + mode);
  }
}

void Doctor::check_config_file() {
  check_file_mode("config-mode", options_.config_path, false);
  auto config = load_config(options_.config_path, /*trust_owner=*/true);
  if (!config) {
    report("config", "FAIL", config.error().detail, "fix the line named above; every key is in oidc-sysauth.conf(5)");
    return;
  }
  report("config", "ok", options_.config_path + " parses; issuer " + config->idp.issuer);
  config_ = std::move(*config);
  if (!config_->idp.client_secret_file.empty()) {
    check_file_mode("client-secret", config_->idp.client_secret_file, true);
  } else {
    report("client-secret", "ok", "no client secret configured (public client)");
  }
}

void Doctor::check_idp() {
  HttpClientOptions http_options;
  http_options.ca_file = config_->idp.ca_file;
  http_options.timeout_seconds = config_->idp.timeout_seconds;
  http_options.allow_http_loopback = config_->idp.allow_http;
  auto http = make_curl_http_client(http_options);
  if (!http) {
    report("discovery", "FAIL", http.error().detail);
    return;
  }
  HttpRequest request;
  request.url = config_->idp.issuer + "/.well-known/openid-configuration";
  request.headers = {"Accept: application/json"};
  auto response = (*http)->perform(request);
  if (!response) {
    report("discovery", "FAIL", "cannot reach " + request.url + ": " + response.error().detail,
           "check the issuer URL, the network path and (TLS errors) ca_file");
    return;
  }
  if (response->status != 200) {
    report("discovery", "FAIL", request.url + " answered HTTP " + std::to_string(response->status),
           "the issuer URL is probably wrong (Keycloak: .../realms/NAME, Logto: .../oidc)");
    return;
  }
  check_clock_skew(*response);
  int rc = kExitOk;
  core_ = CliCore::open(*config_, out_.verbose(), out_, rc, nullptr, /*disk_cache=*/false);
  if (!core_) {
    report("discovery", "FAIL", "the core could not start (see above)");
    return;
  }
  auto loaded = core_->context().preload();
  if (!loaded) {
    report("discovery", "FAIL", loaded.error().detail, "the issuer must equal discovery's \"issuer\" exactly");
    return;
  }
  report("discovery", "ok", "discovery and JWKS fetched over verified TLS; issuer matches");
  context_ = core_->shared();
}

void Doctor::check_clock_skew(const HttpResponse& response) {
  auto it = response.headers.find("date");
  if (it == response.headers.end()) {
    report("clock", "warn", "the IdP sent no Date header; clock skew not checked");
    return;
  }
  std::tm tm{};
  if (strptime(it->second.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) == nullptr) {
    report("clock", "warn", "unreadable Date header from the IdP: " + it->second);
    return;
  }
  const auto idp_time = static_cast<long long>(timegm(&tm));
  const long long skew = static_cast<long long>(std::time(nullptr)) - idp_time;
  if (skew > 30 || skew < -30) {
    report("clock", "FAIL", "this host's clock is " + std::to_string(skew) + " s off the IdP's",
           "enable time synchronisation (systemd-timesyncd or chrony): tokens are checked with 60 s leeway");
  } else {
    report("clock", "ok", "clock within " + std::to_string(skew < 0 ? -skew : skew) + " s of the IdP");
  }
}

void Doctor::check_nsswitch() {
  std::ifstream in(path("/etc/nsswitch.conf"));
  if (!in) {
    report("nsswitch", "FAIL", "/etc/nsswitch.conf is missing");
    return;
  }
  std::map<std::string, std::string> db;
  std::string line;
  while (std::getline(in, line)) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(" \t"));
    db[name] = line.substr(colon + 1);
  }
  for (const std::string name : {"passwd", "group", "shadow"}) {
    const std::string& sources = db[name];
    auto files = sources.find("files");
    auto oidc = sources.find("oidc");
    if (oidc == std::string::npos) {
      report("nsswitch-" + name, "FAIL", "nsswitch.conf: " + name + " does not list oidc",
             "append oidc to the " + name + " line (after files): shadow accounts are invisible");
    } else if (files == std::string::npos || files > oidc) {
      report("nsswitch-" + name, "FAIL", "nsswitch.conf: oidc comes before files for " + name,
             "put files first so local accounts always win");
    } else {
      report("nsswitch-" + name, "ok", "nsswitch.conf: " + name + ":" + sources);
    }
  }
}

void Doctor::check_pam() {
  for (const std::string service : {"sshd", "sudo"}) {
    auto verdict = check_pam_stack(read_pam_stack(options_.root, service), service);
    report("pam-" + service, verdict.ok ? "ok" : "FAIL", verdict.message, verdict.fix);
  }
}

void Doctor::check_sasl() {
  struct Server {
    const char* name;
    const char* binary;
    const char* conf;
  };
  for (const Server s : {Server{"postfix", "/usr/sbin/postfix", "/etc/postfix/sasl/smtpd.conf"},
                         Server{"slapd", "/usr/sbin/slapd", "/etc/ldap/sasl2/slapd.conf"}}) {
    struct stat st {};
    if (::stat(path(s.binary).c_str(), &st) != 0) continue;  // server not installed
    std::ifstream in(path(s.conf));
    std::stringstream text;
    text << in.rdbuf();
    const std::string conf = text.str();
    if (conf.empty()) {
      report("sasl-" + std::string(s.name), "warn", std::string(s.name) + " is installed but " + s.conf + " is missing",
             "see README \"SASL\" to let it accept OAUTHBEARER");
    } else if (conf.find("OAUTHBEARER") == std::string::npos && conf.find("XOAUTH2") == std::string::npos) {
      report("sasl-" + std::string(s.name), "warn", std::string(s.conf) + " offers neither OAUTHBEARER nor XOAUTH2",
             "add them to mech_list");
    } else {
      report("sasl-" + std::string(s.name), "ok", std::string(s.conf) + " offers OAuth mechanisms");
    }
  }
}

void Doctor::check_store() {
  SystemClock clock;
  auto store = AccountStore::open(*config_, clock);
  if (!store) {
    report("store", "FAIL", "account store: " + store.error().detail, "run as root; check " + config_->accounts.state_dir);
    return;
  }
  auto records = (*store)->list();
  if (!records) {
    report("store", "FAIL", "account store unreadable: " + records.error().detail,
           "move the file aside; accounts are re-created at the next login with the same uids");
    return;
  }
  std::map<std::uint32_t, std::string> uids;
  for (const auto& r : *records) {
    if (!r.removed && (r.uid < config_->accounts.uid_min || r.uid > config_->accounts.uid_max))
      report("store", "warn", r.name + " has uid " + std::to_string(r.uid) + " outside uid_min..uid_max",
             "the range was changed after the account was made; that is allowed but unusual");
    if (auto [it, inserted] = uids.emplace(r.uid, r.name); !inserted) {
      report("store", "FAIL", "uid " + std::to_string(r.uid) + " is shared by " + it->second + " and " + r.name,
             "report a bug; remove one with `oidc-sysauth accounts remove`");
      return;
    }
  }
  report("store", "ok", "account store readable: " + std::to_string(records->size()) + " accounts");
}

int Doctor::run() {
  out_.line(out_.bold("oidc-sysauth doctor") + " (" + options_.config_path + ")");
  check_config_file();
  if (config_) {
    check_idp();
    if (!options_.token.empty()) check_token_claims();
    check_grants();
    check_store();
  }
  check_nsswitch();
  check_pam();
  check_sasl();
  out_.emit_json({{"ok", failures_ == 0}, {"failures", failures_}, {"checks", results_}});
  out_.line(failures_ == 0 ? "everything checked is fine" : std::to_string(failures_) + " problem(s) found");
  return failures_ == 0 ? kExitOk : kExitRejected;
}

int run_doctor(const GlobalOptions& g, const DoctorOptions& o, Output& out) {
  DoctorOptions options = o;
  options.config_path = g.config_path;
  Doctor doctor(options, out);
  return doctor.run();
}

}  // namespace oidc_sysauth::cli
