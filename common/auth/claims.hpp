// Reading claims through the configured dotted paths ([claims] username, groups, uid,
// [access] require). Real IdPs put the same information in many shapes; see
// /work/shared/NOTES-IDP.md "Shapes real IdPs produce".
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oidc_sysauth {

inline constexpr std::size_t kMaxClaimPathSegments = 16;
inline constexpr std::size_t kMaxGroups = 1024;
inline constexpr std::size_t kMaxGroupNameBytes = 256;

// The value at `path` in `claims`, or nullptr. A key containing dots (URL-style claim
// names such as "https://example.com/roles") matches literally before the path is split,
// at every level: "realm_access.roles" finds {"realm_access":{"roles":[...]}} and also
// {"realm_access.roles": [...]}.
const nlohmann::json* find_claim(const nlohmann::json& claims, std::string_view path) noexcept;

// A claim as a list of strings:
//   ["a","b"] → a, b (non-string elements skipped)
//   "a b,c"   → a, b, c (space- or comma-separated)
//   {"a":{},"b":{}} → a, b (Zitadel's role object: the keys are the roles)
// Empty when absent or of another type.
std::vector<std::string> claim_strings(const nlohmann::json& claims, std::string_view path);

// A claim that must be one string; nullopt when absent or not a string.
std::optional<std::string> claim_string(const nlohmann::json& claims, std::string_view path);

// Appends every group found under `paths` to `out`, keeping first-seen order and dropping
// duplicates, empty names and names over kMaxGroupNameBytes; at most kMaxGroups.
void collect_groups(const nlohmann::json& claims, const std::vector<std::string>& paths,
                    std::vector<std::string>& out);

}  // namespace oidc_sysauth
