#include "pam_stack_check.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace oidc_sysauth::cli {
namespace {

constexpr int kMaxIncludeDepth = 8;

bool is_oidc(const std::string& module) {
  return module == "pam_oidc.so" || (module.size() > 12 && module.ends_with("/pam_oidc.so"));
}

void read_file(const std::string& root, const std::string& name, std::vector<PamLine>& out, int depth,
               const std::string& only_type) {
  if (depth > kMaxIncludeDepth) return;
  std::string path = root + (root.ends_with("/") ? "" : "/") + "etc/pam.d/" + name;
  std::ifstream in(path);
  std::string raw;
  int line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    if (auto hash = raw.find('#'); hash != std::string::npos) raw.erase(hash);
    std::istringstream words(raw);
    std::string type;
    if (!(words >> type)) continue;
    if (type == "@include") {
      std::string inc;
      words >> inc;
      read_file(root, inc, out, depth + 1, only_type);
      continue;
    }
    if (!type.empty() && type[0] == '-') type.erase(0, 1);  // "-auth": module may be absent
    if (!only_type.empty() && type != only_type) continue;
    std::string control, module;
    words >> std::ws;
    if (words.peek() == '[') {
      std::getline(words, control, ']');
      control += "]";
    } else {
      words >> control;
    }
    words >> module;
    if (control == "include" || control == "substack") {
      read_file(root, module, out, depth + 1, type);
      continue;
    }
    out.push_back({type, control, module, path + ":" + std::to_string(line_no)});
  }
}

// Number N of "success=N" in a bracketed control, or 0.
int success_jump(const std::string& control) {
  auto pos = control.find("success=");
  if (pos == std::string::npos) return 0;
  return std::atoi(control.c_str() + pos + 8);
}

// True when an earlier module of `type` can end the stack successfully, or jump over
// line `index`, so the module there would not run.
bool skippable(const std::vector<PamLine>& lines, std::size_t index, const std::string& type) {
  std::vector<std::size_t> same;  // positions of `type` lines, in order
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (lines[i].type == type) same.push_back(i);
  for (std::size_t k = 0; k < same.size() && same[k] < index; ++k) {
    const auto& c = lines[same[k]].control;
    if (c == "sufficient" || c.find("success=done") != std::string::npos || c.find("default=done") != std::string::npos)
      return true;
    // success=N skips the next N lines of this type: is `index` among them?
    const auto jump = static_cast<std::size_t>(success_jump(c));
    std::size_t skipped = 0;
    for (std::size_t m = k + 1; m < same.size() && skipped < jump; ++m, ++skipped)
      if (same[m] == index) return true;
  }
  return false;
}

}  // namespace

std::vector<PamLine> read_pam_stack(const std::string& root, const std::string& service) {
  std::vector<PamLine> lines;
  read_file(root, service, lines, 0, "");
  return lines;
}

StackVerdict check_pam_stack(const std::vector<PamLine>& lines, const std::string& service) {
  const std::string file = "/etc/pam.d/" + service;
  if (lines.empty()) return {false, file + " is missing or empty", "create it (see packaging/pam.d/oidc-" + service + ")"};
  std::size_t auth_at = lines.size(), account_at = lines.size();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!is_oidc(lines[i].module)) continue;
    if (lines[i].type == "auth" && auth_at == lines.size()) auth_at = i;
    if (lines[i].type == "account" && account_at == lines.size()) account_at = i;
  }
  if (auth_at == lines.size())
    return {false, file + ": pam_oidc.so is not in the auth stack", "run `pam-auth-update --enable oidc` or add it before pam_deny.so"};
  for (std::size_t i = 0; i < auth_at; ++i) {
    if (lines[i].type == "auth" && lines[i].module == "pam_deny.so" &&
        (lines[i].control == "required" || lines[i].control == "requisite"))
      return {false, file + ": pam_deny.so (" + lines[i].origin + ") comes before pam_oidc.so in auth", "move pam_oidc.so above it"};
  }
  if (account_at == lines.size())
    return {false, file + ": pam_oidc.so is not in the account stack: the access policy is never checked",
            "add `account required pam_oidc.so` (pam-auth-update --enable oidc does)"};
  const auto& acct = lines[account_at];
  if (acct.control == "sufficient" || acct.control == "optional" || skippable(lines, account_at, "account"))
    return {false, file + ": the account check of pam_oidc.so (" + acct.origin + ") can be skipped",
            "make it `account required pam_oidc.so` and place it before any sufficient module"};
  return {true, file + ": pam_oidc.so in auth and account (" + acct.control + ")", ""};
}

}  // namespace oidc_sysauth::cli
