// The low-level SHA-256 API is deprecated in OpenSSL 3 but is the one way to hash without
// allocating: EVP_Digest creates and frees a digest context (and looks the provider up) on
// every call, ~4 k instructions on a path that runs once per SASL connection. It runs the
// same assembly (SHA-NI where the CPU has it).
#define OPENSSL_SUPPRESS_DEPRECATED
#include "auth/verified_token_cache.hpp"

#include <openssl/sha.h>

namespace oidc_sysauth {

VerifiedTokenCache::VerifiedTokenCache(std::size_t max_entries) : max_entries_(max_entries) {
  entries_.reserve(max_entries_);  // buckets for the bound up front: no rehash while the cache fills
}

VerifiedTokenCache::~VerifiedTokenCache() = default;

std::optional<VerifiedTokenCache::Key> VerifiedTokenCache::key_for(std::string_view token) const {
  static_assert(std::tuple_size_v<Key> == SHA256_DIGEST_LENGTH);
  Key key{};
  SHA256_CTX ctx;
  if (SHA256_Init(&ctx) != 1 || SHA256_Update(&ctx, token.data(), token.size()) != 1 ||
      SHA256_Final(key.data(), &ctx) != 1)
    return std::nullopt;
  return key;
}

std::shared_ptr<const Identity> VerifiedTokenCache::find(const Key& key, std::int64_t now_unix) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  if (now_unix >= it->second.valid_until) {
    entries_.erase(it);
    return nullptr;
  }
  return it->second.identity;
}

void VerifiedTokenCache::put(const Key& key, std::shared_ptr<const Identity> identity, std::int64_t valid_until_unix,
                             std::int64_t now_unix) {
  if (valid_until_unix <= now_unix || !identity) return;
  std::lock_guard lock(mutex_);
  if (entries_.size() >= max_entries_) {
    std::erase_if(entries_, [now_unix](const auto& e) { return e.second.valid_until <= now_unix; });  // expired first
    if (entries_.size() >= max_entries_) entries_.clear();  // still full: start over (bounded memory)
  }
  entries_.insert_or_assign(key, Entry{std::move(identity), valid_until_unix});
}

std::shared_ptr<const Identity> VerifiedTokenCache::find(std::string_view token, std::int64_t now_unix) {
  const auto key = key_for(token);
  return key ? find(*key, now_unix) : nullptr;
}

void VerifiedTokenCache::put(std::string_view token, const Identity& identity, std::int64_t valid_until_unix,
                             std::int64_t now_unix) {
  if (const auto key = key_for(token))
    put(*key, std::make_shared<const Identity>(identity), valid_until_unix, now_unix);
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
