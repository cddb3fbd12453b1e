// Module arguments from the PAM stack line: `auth ... pam_oidc.so config=/x debug token_login`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace oidc_sysauth {

struct PamArgs {
  std::string config_path;           // config=PATH; empty: kDefaultConfigPath
  bool debug = false;                // debug: log decisions at LOG_DEBUG (never secrets)
  bool use_first_pass = false;       // honoured by pam_get_authtok itself; kept for the debug log
  bool try_first_pass = false;       // idem
  bool token_login = false;          // the password may be a JWT (or an opaque token) naming the user
  bool ignore_unknown_user = false;  // users we do not manage: PAM_IGNORE instead of PAM_USER_UNKNOWN
  std::vector<std::string> unknown;  // logged once per call so typos in a stack are visible
};

// The one parser of module arguments. Never fails: unknown words are collected, not fatal,
// because a PAM stack line with a typo must not lock people out of a host.
PamArgs parse_pam_args(int argc, const char* const* argv);

// The config path to load (config= or the default).
[[nodiscard]] std::string config_path_of(const PamArgs& args);

}  // namespace oidc_sysauth
