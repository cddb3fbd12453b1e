#include "auth/verified_token_cache.hpp"

#include <openssl/evp.h>

#include <array>

namespace oidc_sysauth {
namespace {

std::string token_key(std::string_view token) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(token.data(), token.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) return {};
  return std::string(reinterpret_cast<const char*>(digest.data()), length);
}

}  // namespace

std::optional<Identity> VerifiedTokenCache::find(std::string_view token, std::int64_t now_unix) {
  const std::string key = token_key(token);
  if (key.empty()) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (now_unix >= it->second.valid_until) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.identity;
}

void VerifiedTokenCache::put(std::string_view token, const Identity& identity, std::int64_t valid_until_unix,
                             std::int64_t now_unix) {
  if (valid_until_unix <= now_unix) return;
  const std::string key = token_key(token);
  if (key.empty()) return;
  std::lock_guard lock(mutex_);
  if (entries_.size() >= max_entries_) {
    for (auto it = entries_.begin(); it != entries_.end();) {  // drop the expired first
      it = it->second.valid_until <= now_unix ? entries_.erase(it) : std::next(it);
    }
    if (entries_.size() >= max_entries_) entries_.clear();  // still full: start over (bounded memory)
  }
  entries_[key] = Entry{identity, valid_until_unix};
}

void VerifiedTokenCache::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

std::size_t VerifiedTokenCache::size() {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace oidc_sysauth
