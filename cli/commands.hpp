// The CLI's commands: options parsed in cli_main.cpp, work done in cmd_*.cpp.
#pragma once

#include <optional>
#include <string>

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

}  // namespace oidc_sysauth::cli
