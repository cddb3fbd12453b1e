#include "store/id_alloc.hpp"

#include <charconv>
#include <string>

#include "store/store_format.hpp"

namespace oidc_sysauth::store {

std::uint32_t id_candidate(IdKind kind, std::string_view name, std::uint32_t probe, std::uint32_t uid_min,
                           std::uint32_t uid_max) noexcept {
  std::uint64_t h = fnv1a64(kind == IdKind::kUser ? "user:" : "group:");
  h = fnv1a64(name, h);
  if (probe > 0) {
    char digits[16];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, probe);
    (void)ec;  // 16 bytes always hold a u32
    h = fnv1a64(":", h);
    h = fnv1a64(std::string_view(digits, static_cast<std::size_t>(end - digits)), h);
  }
  const std::uint64_t span = static_cast<std::uint64_t>(uid_max) - uid_min + 1;
  return static_cast<std::uint32_t>(uid_min + h % span);
}

bool is_forbidden_id(std::uint32_t id) noexcept { return id == 0 || id == 65534 || id == 65535 || id == 0xFFFFFFFFu; }

Result<std::uint32_t> allocate_id(IdKind kind, std::string_view name, std::uint32_t uid_min, std::uint32_t uid_max,
                                  const std::function<bool(std::uint32_t)>& taken) {
  if (uid_min > uid_max || uid_min == 0) return fail(ErrorCode::kConfig, "uid_min must be > 0 and <= uid_max");
  for (std::uint32_t probe = 0; probe < kMaxProbes; ++probe) {
    std::uint32_t id = id_candidate(kind, name, probe, uid_min, uid_max);
    if (!is_forbidden_id(id) && !taken(id)) return id;
  }
  return fail(ErrorCode::kInternal,
              "no free id for '" + std::string(name) + "' after " + std::to_string(kMaxProbes) + " probes");
}

}  // namespace oidc_sysauth::store
