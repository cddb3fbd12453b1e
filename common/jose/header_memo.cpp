#include "jose/header_memo.hpp"

namespace oidc_sysauth {

std::shared_ptr<const nlohmann::json> HeaderMemo::find(std::string_view encoded) const {
  if (encoded.size() > kMaxEncodedBytes) return nullptr;
  const std::lock_guard lock(mutex_);
  for (const auto& e : entries_) {
    if (e.header && e.encoded == encoded) return e.header;
  }
  return nullptr;
}

void HeaderMemo::add(std::string_view encoded, std::shared_ptr<const nlohmann::json> header) {
  if (encoded.size() > kMaxEncodedBytes || !header) return;
  std::string copy(encoded);  // allocate outside the lock
  const std::lock_guard lock(mutex_);
  for (const auto& e : entries_) {
    if (e.header && e.encoded == encoded) return;  // another thread was first
  }
  Entry& victim = entries_[next_];
  next_ = (next_ + 1) % kCapacity;
  victim.encoded = std::move(copy);
  victim.header = std::move(header);
}

}  // namespace oidc_sysauth
