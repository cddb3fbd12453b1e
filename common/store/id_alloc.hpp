// Fleet-consistent uid/gid allocation without a server (FORMAT.md, "Allocating ids").
// Pure functions: the writer and the NSS provisional path call the same code, so a
// provisional uid equals the uid the account gets at its first login.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "result.hpp"

namespace oidc_sysauth::store {

enum class IdKind { kUser, kGroup };

// Probes tried before giving up (the range would have to be almost full).
inline constexpr std::uint32_t kMaxProbes = 4096;

// Candidate number `probe` for `name`:
//   key(0) = "user:" name            (or "group:" name)
//   key(k) = "user:" name ":" k      (k in decimal, no leading zeros), k >= 1
//   id     = uid_min + FNV-1a-64(key) mod (uid_max - uid_min + 1)
// Requires uid_min <= uid_max.
std::uint32_t id_candidate(IdKind kind, std::string_view name, std::uint32_t probe, std::uint32_t uid_min,
                           std::uint32_t uid_max) noexcept;

// Ids never handed out whatever the range: 0, 65534 (nobody), 65535 and 2^32-1
// (the (uid_t)-1 "no change" sentinel of chown/setreuid).
bool is_forbidden_id(std::uint32_t id) noexcept;

// The first candidate (probe 0, 1, 2, ...) that is neither forbidden nor `taken`.
// kInternal after kMaxProbes candidates.
Result<std::uint32_t> allocate_id(IdKind kind, std::string_view name, std::uint32_t uid_min, std::uint32_t uid_max,
                                  const std::function<bool(std::uint32_t)>& taken);

}  // namespace oidc_sysauth::store
