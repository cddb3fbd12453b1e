// Local account names: what a valid name is, which names are never ours, and how
// a login typed at a prompt becomes a local name. Part of oidc_light (NSS links it):
// no NSS calls here — local files are parsed directly (STYLE.md rule 9).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "result.hpp"

namespace oidc_sysauth {

inline constexpr const char* kLocalPasswdPath = "/etc/passwd";
inline constexpr const char* kLocalGroupPath = "/etc/group";

// [a-z_][a-z0-9_-]{0,31}: the portable subset shadow-utils accepts, without '$'
// and upper case, so a name means the same to every tool on the host.
bool is_valid_posix_name(std::string_view name) noexcept;

// System and well-known service names that an IdP user may never take, whether or
// not they exist on this host (a later package install would otherwise collide).
bool is_reserved_name(std::string_view name) noexcept;

// `[accounts] home` template: "%u" becomes the name, "%%" a percent sign.
std::string expand_home(std::string_view home_template, std::string_view name);

// Display names end up in the GECOS field: ':' and control characters would break
// the passwd line format, so they become spaces; capped at 255 bytes.
std::string sanitize_gecos(std::string_view display_name);

// Names and ids taken by the host's own files (never by NSS: fgetpwent_r/fgetgrent_r
// on files we open ourselves). Sorted, de-duplicated vectors for binary search.
struct LocalAccounts {
  std::vector<std::string> user_names;
  std::vector<std::string> group_names;
  std::vector<std::uint32_t> uids;
  std::vector<std::uint32_t> gids;
  std::vector<std::pair<std::string, std::uint32_t>> group_gids;  // group name → gid, sorted by name

  [[nodiscard]] bool has_name(std::string_view name) const;  // user or group name
  [[nodiscard]] bool has_id(std::uint32_t id) const;         // uid or gid
  [[nodiscard]] bool group_gid(std::string_view name, std::uint32_t& gid) const;
};

// Reads both files. A missing file counts as empty (a minimal container may lack
// /etc/group); any other error is kIo.
Result<LocalAccounts> read_local_accounts(const std::string& passwd_path, const std::string& group_path);

// Streaming check used on NSS's provisional path: is `name` a user or group in the
// local files? Errors count as "yes" (fail closed).
bool local_name_exists(std::string_view name, const char* passwd_path, const char* group_path) noexcept;

}  // namespace oidc_sysauth
