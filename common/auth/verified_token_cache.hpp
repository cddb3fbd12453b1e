// Identities of bearer tokens already verified, keyed by SHA-256 of the token (the token
// itself is never kept), until the token's exp (introspection results: at most 60 s, so
// a revocation takes effect quickly). Cleared when the IdP drops a signing key.
// Entries are shared read-only: a hit costs one hash, one lookup and a reference count,
// never a copy of the identity's claims.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "identity.hpp"

namespace oidc_sysauth {

class VerifiedTokenCache {
 public:
  using Key = std::array<unsigned char, 32>;  // SHA-256 of the token

  explicit VerifiedTokenCache(std::size_t max_entries = 1024);
  ~VerifiedTokenCache();
  VerifiedTokenCache(const VerifiedTokenCache&) = delete;
  VerifiedTokenCache& operator=(const VerifiedTokenCache&) = delete;

  // nullopt when hashing fails (the caller then neither reads nor fills the cache).
  [[nodiscard]] std::optional<Key> key_for(std::string_view token) const;
  // nullptr when absent or expired.
  [[nodiscard]] std::shared_ptr<const Identity> find(const Key& key, std::int64_t now_unix);
  void put(const Key& key, std::shared_ptr<const Identity> identity, std::int64_t valid_until_unix,
           std::int64_t now_unix);

  // Token-taking forms (hash, then the above).
  [[nodiscard]] std::shared_ptr<const Identity> find(std::string_view token, std::int64_t now_unix);
  void put(std::string_view token, const Identity& identity, std::int64_t valid_until_unix, std::int64_t now_unix);

  void clear();
  [[nodiscard]] std::size_t size();

 private:
  struct Entry {
    std::shared_ptr<const Identity> identity;
    std::int64_t valid_until = 0;
  };
  // The key is already a uniform digest of a verified token: its first bytes are the hash.
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept {
      std::size_t h = 0;
      std::memcpy(&h, k.data(), sizeof h);
      return h;
    }
  };
  std::mutex mutex_;
  std::size_t max_entries_;
  std::unordered_map<Key, Entry, KeyHash> entries_;
};

}  // namespace oidc_sysauth
