// The low-level SHA-256 API is deprecated in OpenSSL 3 but is the only allocation-free way
// to hash: EVP_Digest* allocates a provider context on every call, and the cache-hit path
// (target: over a million lookups per second) should cost a hash and a map probe, nothing else.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "jose/token_cache.hpp"

#include <openssl/sha.h>

#include <algorithm>
#include <cstring>

namespace oidc_sysauth {

TokenCache::TokenCache(const Clock& clock, Options options) : clock_(clock), options_(options) {}
TokenCache::TokenCache(const Clock& clock) : TokenCache(clock, Options{}) {}

TokenCache::Key TokenCache::key_for(std::string_view token) noexcept {
  Key key{};
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, token.data(), token.size());
  SHA256_Final(key.data(), &ctx);
  return key;
}

std::size_t TokenCache::KeyHash::operator()(const Key& key) const noexcept {
  std::size_t h = 0;
  std::memcpy(&h, key.data(), sizeof h);
  return h;
}

TokenCache::Value TokenCache::find(const Key& key) const {
  const std::int64_t now = clock_.now_unix();
  std::lock_guard lock(mutex_);
  const auto it = index_.find(key);
  if (it == index_.end()) {
    ++stats_.misses;
    return nullptr;
  }
  if (now >= it->second->expires) {
    lru_.erase(it->second);
    index_.erase(it);
    ++stats_.misses;
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);  // relinks the node: no allocation
  ++stats_.hits;
  return it->second->value;
}

TokenCache::Value TokenCache::insert(const Key& key, VerifiedJwt jwt) {
  const std::int64_t now = clock_.now_unix();
  const std::int64_t expires = std::min(jwt.exp, now + options_.max_ttl_seconds);
  if (options_.capacity == 0 || expires <= now) return nullptr;
  // Built outside the lock: the shared_ptr allocation need not hold up readers.
  Value value = std::make_shared<const VerifiedJwt>(std::move(jwt));
  std::lock_guard lock(mutex_);
  if (const auto it = index_.find(key); it != index_.end()) {
    it->second->value = value;
    it->second->expires = expires;
    lru_.splice(lru_.begin(), lru_, it->second);
    return value;
  }
  if (index_.size() >= options_.capacity) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
    ++stats_.evictions;
  }
  lru_.push_front(Entry{key, value, expires});
  try {
    index_.emplace(key, lru_.begin());
  } catch (...) {  // keep list and index in step if the map cannot grow
    lru_.pop_front();
    throw;
  }
  return value;
}

void TokenCache::clear() noexcept {
  std::lock_guard lock(mutex_);
  index_.clear();
  lru_.clear();
}

std::size_t TokenCache::size() const noexcept {
  std::lock_guard lock(mutex_);
  return index_.size();
}

TokenCache::Stats TokenCache::stats() const noexcept {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace oidc_sysauth
