// Identities of bearer tokens already verified, keyed by SHA-256 of the token (the token
// itself is never kept), until the token's exp (introspection results: at most 60 s, so
// a revocation takes effect quickly). Cleared when the IdP drops a signing key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "identity.hpp"

namespace oidc_sysauth {

class VerifiedTokenCache {
 public:
  explicit VerifiedTokenCache(std::size_t max_entries = 1024) : max_entries_(max_entries) {}

  [[nodiscard]] std::optional<Identity> find(std::string_view token, std::int64_t now_unix);
  void put(std::string_view token, const Identity& identity, std::int64_t valid_until_unix, std::int64_t now_unix);
  void clear();
  [[nodiscard]] std::size_t size();

 private:
  struct Entry {
    Identity identity;
    std::int64_t valid_until = 0;
  };
  std::mutex mutex_;
  std::size_t max_entries_;
  std::map<std::string, Entry> entries_;
};

}  // namespace oidc_sysauth
