// oidc-sysauth: diagnose, test a login, verify a token, manage shadow accounts.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "commands.hpp"

namespace oidc_sysauth::cli {
namespace {

int dispatch(int argc, char** argv) {
  CLI::App app{"oidc-sysauth: Linux logins through an OpenID Connect identity provider"};
  app.require_subcommand(1);
  app.fallthrough();  // --json, --config, --verbose also after the subcommand
  app.set_version_flag("--version", std::string("oidc-sysauth ") + OIDC_VERSION);
  GlobalOptions g;
  app.add_option("--config", g.config_path, "configuration file")->default_val(kDefaultConfigPath);
  app.add_flag("--json", g.json, "machine-readable output");
  app.add_flag("-v,--verbose", g.verbose, "explain what is being done");

  DoctorOptions doctor;
  auto* doctor_cmd = app.add_subcommand("doctor", "check configuration, IdP, NSS, PAM and SASL set-up");
  doctor_cmd->add_option("--token", doctor.token, "a token to check the configured claim paths against ('-': stdin)");
  doctor_cmd->add_option("--root", doctor.root, "check files under this directory instead of / (testing)");

  LoginOptions login;
  auto* login_cmd = app.add_subcommand("login", "log a user in through the core exactly as PAM would");
  login_cmd->add_option("user", login.user, "login name")->required();
  login_cmd->add_flag("--password-stdin", login.password_stdin, "read the password from standard input");
  login_cmd->add_flag("--token", login.token, "the password is an access/id token");
  login_cmd->add_option("--service", login.service, "PAM service whose policy applies")->default_val("login");
  login_cmd->add_flag("--apply", login.apply, "write the shadow account to the store");

  TokenOptions token;
  auto* token_cmd = app.add_subcommand("token", "verify or inspect a token");
  token_cmd->require_subcommand(1);
  token_cmd->fallthrough();
  auto* verify_cmd = token_cmd->add_subcommand("verify", "verify a token as the SASL plugin does");
  verify_cmd->add_option("token", token.token, "the token, or - for standard input")->default_val("-");
  verify_cmd->add_option("--jwks", token.jwks_file, "verify offline against this JWKS file");
  verify_cmd->add_option("--issuer", token.issuer, "expected issuer (with --jwks)");
  verify_cmd->add_option("--audience", token.audience, "accepted audience (with --jwks)");
  verify_cmd->add_option("--service", token.service, "also check the access policy of this service");
  auto* inspect_cmd = token_cmd->add_subcommand("inspect", "decode a token WITHOUT verifying it");
  inspect_cmd->add_option("token", token.token, "the token, or - for standard input")->default_val("-");

  AccountsOptions accounts;
  auto* accounts_cmd = app.add_subcommand("accounts", "list and manage shadow accounts");
  accounts_cmd->add_option("action", accounts.action, "list | show | add | remove | disable | enable")
      ->required()
      ->check(CLI::IsMember({"list", "show", "add", "remove", "disable", "enable"}));
  accounts_cmd->add_option("name", accounts.name, "local account name");
  accounts_cmd->add_option("--subject", accounts.subject, "add: the IdP subject (sub) of a never-seen user");
  accounts_cmd->add_flag("--forget", accounts.forget, "remove: also release the uid");

  CacheOptions cache;
  auto* cache_cmd = app.add_subcommand("cache", "discovery and JWKS caches");
  cache_cmd->add_option("action", cache.action, "show | refresh | clear")
      ->required()
      ->check(CLI::IsMember({"show", "refresh", "clear"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  g.config_given = app.get_option("--config")->count() > 0;
  Output out(g.json, g.verbose);
  if (*doctor_cmd) return run_doctor(g, doctor, out);  // cmd_doctor.cpp
  if (*login_cmd) return run_login(g, login, out);
  if (*verify_cmd) return run_token_verify(g, token, out);
  if (*inspect_cmd) return run_token_inspect(g, token, out);
  if (*accounts_cmd) return run_accounts(g, accounts, out);
  if (*cache_cmd) return run_cache(g, cache, out);
  return kExitUsage;
}

}  // namespace
}  // namespace oidc_sysauth::cli

int main(int argc, char** argv) {
  try {
    return oidc_sysauth::cli::dispatch(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "oidc-sysauth: internal error: " << e.what() << "\n";
    return oidc_sysauth::cli::kExitUsage;
  }
}
