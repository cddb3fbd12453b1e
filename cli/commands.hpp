// The CLI's commands: options parsed in cli_main.cpp, work done in cmd_*.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "auth/authenticator.hpp"
#include "config.hpp"
#include "output.hpp"

namespace oidc_sysauth::cli {

struct GlobalOptions {
  std::string config_path = kDefaultConfigPath;
  bool config_given = false;  // --config: a scratch config need not be root-owned
  bool json = false;
  bool verbose = false;
};

struct TokenOptions {
  std::string token = "-";  // "-" reads standard input
  std::string jwks_file;    // offline verification
  std::string issuer;
  std::string audience;
  std::string service;      // also evaluate the access policy for this service
};

struct LoginOptions {
  std::string user;
  bool password_stdin = false;
  bool apply = false;
  bool token = false;  // the "password" is a token (token_login)
  std::string service = "login";
};

struct AccountsOptions {
  std::string action;  // list, show, add, remove, disable, enable
  std::string name;
  std::string subject;  // add --subject
  bool forget = false;  // remove --forget
};

struct CacheOptions {
  std::string action;  // show, refresh, clear
};

struct DoctorOptions {
  std::string token;  // optional test token: are the claim paths present?
  std::string root = "/";  // where to find etc/ (tests point it at a scratch tree)
  std::string config_path;  // filled from GlobalOptions
};

int run_token_verify(const GlobalOptions& g, const TokenOptions& o, Output& out);
int run_token_inspect(const GlobalOptions& g, const TokenOptions& o, Output& out);
int run_login(const GlobalOptions& g, const LoginOptions& o, Output& out);
int run_accounts(const GlobalOptions& g, const AccountsOptions& o, Output& out);
int run_cache(const GlobalOptions& g, const CacheOptions& o, Output& out);
int run_doctor(const GlobalOptions& g, const DoctorOptions& o, Output& out);

// Shared by commands: loads the config named by --config (or the default), printing the
// error and returning nullopt when it cannot.
std::optional<Config> load_config_for_cli(const GlobalOptions& g, Output& out);

// Reads a token argument: "-" means standard input (first line, trimmed).
std::string read_token_argument(const std::string& arg);

// Unix seconds as UTC text: "2026-11-23", or with the time "2026-11-23 16:54:38 UTC".
std::string format_utc(std::int64_t unix_seconds, bool with_time);

// The core opened for one command. Heap-allocated so the logger it hands the context
// keeps its address for the context's whole life.
class CliCore {
 public:
  // nullptr after printing why; `rc` then holds the exit code.
  static std::unique_ptr<CliCore> open(const Config& config, bool verbose, Output& out, int& rc,
                                       DeviceGrantPresenter* presenter = nullptr, bool disk_cache = true);
  CliCore(const CliCore&) = delete;
  CliCore& operator=(const CliCore&) = delete;
  [[nodiscard]] OidcContext& context() const noexcept { return *context_; }
  [[nodiscard]] std::shared_ptr<OidcContext> shared() const noexcept { return context_; }

 private:
  explicit CliCore(bool verbose) : logger_(verbose) {}
  StderrLogger logger_;
  std::shared_ptr<OidcContext> context_;
};

}  // namespace oidc_sysauth::cli
