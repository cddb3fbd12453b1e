#include "store/provisional.hpp"

#include <fnmatch.h>

#include <string>

#include "store/id_alloc.hpp"

namespace oidc_sysauth::store {

Result<std::uint32_t> predict_new_uid(const Overlay& view, const LocalAccounts& local, const AccountsConfig& accounts,
                                      std::string_view name) {
  return allocate_id(IdKind::kUser, name, accounts.uid_min, accounts.uid_max,
                     [&](std::uint32_t id) { return local.has_id(id) || view.id_taken(id); });
}

bool provisional_allowed(const Config& config, std::string_view name) {
  if (config.accounts.provisional_users.empty() || !config.claims.uid.empty()) return false;
  if (!is_valid_posix_name(name) || is_reserved_name(name)) return false;
  // A pattern may name the local name ("ext-*") or the IdP login, i.e. the local name
  // with [idp] login_suffix appended ("*@example.com").
  const std::string n(name);
  const std::string login = config.idp.login_suffix.empty() ? std::string() : n + config.idp.login_suffix;
  for (const auto& pattern : config.accounts.provisional_users) {
    if (::fnmatch(pattern.c_str(), n.c_str(), 0) == 0) return true;
    if (!login.empty() && ::fnmatch(pattern.c_str(), login.c_str(), 0) == 0) return true;
  }
  return false;
}

}  // namespace oidc_sysauth::store
