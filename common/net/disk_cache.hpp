// Public IdP documents (discovery, JWKS) kept under [accounts] cache_dir so that short-
// lived processes (every sudo, every su) do not refetch them. Nothing secret is stored.
//
// Trust rules: a file is read only if it and its directory are owned by root and not
// writable by group or others, and its envelope names the same kind and URL and has not
// expired; anything else is ignored (the caller refetches). Writes happen only when the
// directory is root-owned and we can write to it (root); temp file + fsync + rename, 0644.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "clock.hpp"
#include "result.hpp"

namespace oidc_sysauth {

struct CachedDocument {
  std::string body;            // the document exactly as fetched
  std::int64_t fetched_at = 0;   // unix seconds
  std::int64_t expires_at = 0;   // unix seconds
};

class DiskCache {
 public:
  // `dir` empty: disabled (every load misses, every store is a no-op).
  DiskCache(std::string dir, const Clock& clock) : dir_(std::move(dir)), clock_(clock) {}

  // kNotFound when absent or expired; kCorrupt when present but failing validation.
  [[nodiscard]] Result<CachedDocument> load(std::string_view kind, std::string_view url) const;
  // kIo when the directory is unsuitable or the write fails (callers just log it).
  [[nodiscard]] Result<Ok> store(std::string_view kind, std::string_view url, const CachedDocument& doc) const;

  [[nodiscard]] std::string path_for(std::string_view kind, std::string_view url) const;
  [[nodiscard]] bool enabled() const noexcept { return !dir_.empty(); }

 private:
  std::string dir_;
  const Clock& clock_;
};

}  // namespace oidc_sysauth
