// Never-seen users: the uid a name would get now, and whether NSS may answer for it
// before its first login ([accounts] provisional_users).
#pragma once

#include <cstdint>
#include <string_view>

#include "config.hpp"
#include "names.hpp"
#include "result.hpp"
#include "store/store_overlay.hpp"

namespace oidc_sysauth::store {

// The hash-and-probe uid (id_alloc.hpp) of a name not in the store, avoiding every id
// in the store (removed records included) and in the local files. The writer calls
// this same function, so a provisional uid equals the uid assigned at first login.
Result<std::uint32_t> predict_new_uid(const Overlay& view, const LocalAccounts& local, const AccountsConfig& accounts,
                                      std::string_view name);

// May NSS answer for `name` before it has logged in? Only if provisional_users is
// set, no [claims] uid is configured (the uid would then only be known after login),
// the name is valid, not reserved, and matches one of the fnmatch(3) patterns — either
// the local name itself or, with [idp] login_suffix set, name + login_suffix.
// The caller still checks the local files and the store.
bool provisional_allowed(const Config& config, std::string_view name);

}  // namespace oidc_sysauth::store
