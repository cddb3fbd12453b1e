// Reads a PAM service file the way libpam does (@include, include, substack) and says
// whether pam_oidc.so sits where it works: in auth, and in account where it cannot be
// skipped by an earlier "sufficient" module.
#pragma once

#include <string>
#include <vector>

namespace oidc_sysauth::cli {

struct PamLine {
  std::string type;     // auth, account, session, password
  std::string control;  // required, [success=1 default=ignore], ...
  std::string module;   // pam_oidc.so
  std::string origin;   // file:line
};

// Lines of /etc/pam.d/<service> under `root`, includes expanded (depth-limited).
std::vector<PamLine> read_pam_stack(const std::string& root, const std::string& service);

struct StackVerdict {
  bool ok = false;
  std::string message;  // one line
  std::string fix;      // empty when ok
};

StackVerdict check_pam_stack(const std::vector<PamLine>& lines, const std::string& service);

}  // namespace oidc_sysauth::cli
