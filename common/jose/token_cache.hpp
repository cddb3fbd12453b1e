// A bounded, thread-safe cache of tokens that already passed verify_jwt, so a client that
// presents the same token again (IMAP reconnects, SASL bursts) costs a hash, not a signature.
//
// Keyed by SHA-256 of the token: the token itself is never stored, and a different token
// can only hit by a SHA-256 collision. Entries live until min(exp, insertion + max_ttl);
// at capacity the least recently used entry goes. Use one cache per (JWKS source, policy):
// a token verified under one policy must not hit under another. Call clear() when the
// key set changes (rotation, a dropped key) so nothing outlives its key.
//
//   TokenCache cache(clock, {.capacity = 10000, .max_ttl_seconds = 300});
//   const auto key = TokenCache::key_for(token);           // hash once
//   if (auto hit = cache.find(key)) return *hit;           // shared_ptr<const VerifiedJwt>
//   auto verified = verify_jwt(token, keys, policy, clock);
//   if (verified) cache.insert(key, std::move(*verified));
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "clock.hpp"
#include "jose/jwt.hpp"

namespace oidc_sysauth {

class TokenCache {
 public:
  using Key = std::array<unsigned char, 32>;  // SHA-256 of the token
  using Value = std::shared_ptr<const VerifiedJwt>;

  struct Options {
    std::size_t capacity = 10000;          // 0 disables the cache
    std::int64_t max_ttl_seconds = 300;    // never longer than this, whatever exp says
  };

  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t evictions = 0;  // capacity evictions (not expiries)
  };

  // `clock` must outlive the cache.
  TokenCache(const Clock& clock, Options options);
  explicit TokenCache(const Clock& clock);
  TokenCache(const TokenCache&) = delete;
  TokenCache& operator=(const TokenCache&) = delete;

  // SHA-256 of the token, computed without allocating.
  static Key key_for(std::string_view token) noexcept;

  // The verified token, or nullptr when absent or expired. Allocation-free.
  [[nodiscard]] Value find(const Key& key) const;
  [[nodiscard]] Value find(std::string_view token) const { return find(key_for(token)); }

  // Stores a verified token; returns what is stored (nullptr when it expires now or the
  // cache is disabled). Replaces an existing entry for the same key.
  Value insert(const Key& key, VerifiedJwt jwt);
  Value insert(std::string_view token, VerifiedJwt jwt) { return insert(key_for(token), std::move(jwt)); }

  void clear() noexcept;
  [[nodiscard]] std::size_t size() const noexcept;
  [[nodiscard]] Stats stats() const noexcept;

 private:
  struct Entry {
    Key key;
    Value value;
    std::int64_t expires;  // unix seconds; the entry is dead at and after this instant
  };
  using Lru = std::list<Entry>;  // front: most recently used
  // SHA-256 output is uniform: its first bytes are already a good hash.
  struct KeyHash {
    std::size_t operator()(const Key& key) const noexcept;
  };

  const Clock& clock_;
  Options options_;
  mutable std::mutex mutex_;
  mutable Lru lru_;
  mutable std::unordered_map<Key, Lru::iterator, KeyHash> index_;  // find() drops expired entries
  mutable Stats stats_;
};

}  // namespace oidc_sysauth
