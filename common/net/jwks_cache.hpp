// The IdP's signing keys (jwks_uri), cached in memory and on disk like discovery.
// An unknown kid triggers at most one refetch per 30 s per jwks_uri per process, so a
// stream of tokens with made-up kids cannot turn us into a traffic amplifier.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "clock.hpp"
#include "http.hpp"
#include "jose/jwt.hpp"
#include "log.hpp"
#include "net/disk_cache.hpp"
#include "result.hpp"

namespace oidc_sysauth {

inline constexpr std::int64_t kJwksRefetchIntervalMs = 30'000;

// Remembers when each key set was last refetched because of an unknown kid.
class RefetchLimiter {
 public:
  // True (and recorded) when no refetch of `key` happened in the last `interval_ms`.
  bool try_acquire(const std::string& key, std::int64_t now_ms, std::int64_t interval_ms);
  // The one instance shared by every context in this process (never destroyed: no
  // destructor runs inside a host process at exit).
  static RefetchLimiter& process();

 private:
  std::mutex mutex_;
  std::map<std::string, std::int64_t> last_ms_;
};

class JwksCache {
 public:
  // `limiter` nullptr: RefetchLimiter::process().
  JwksCache(HttpClient& http, const Clock& clock, const DiskCache& disk, Logger& log, std::int64_t default_ttl,
            RefetchLimiter* limiter = nullptr);

  // Called (outside the cache's lock) when a fetched set no longer holds a key the
  // previous set had: tokens verified with that key must not stay cached.
  void set_on_keys_dropped(std::function<void()> callback);

  // Memory, then disk, then network. Thread-safe.
  Result<std::shared_ptr<const JwkSet>> get(const std::string& jwks_uri);

  // A token named `kid` and our set lacks it: refetch unless rate-limited. Returns the
  // current set either way (the caller retries verification once with it).
  Result<std::shared_ptr<const JwkSet>> refresh_for_unknown_kid(const std::string& jwks_uri, std::string_view kid);

 private:
  Result<std::shared_ptr<const JwkSet>> fetch_locked(const std::string& jwks_uri, bool& dropped);
  Result<std::shared_ptr<const JwkSet>> load_disk_locked(const std::string& jwks_uri);
  void notify_dropped(bool dropped);

  HttpClient& http_;
  const Clock& clock_;
  const DiskCache& disk_;
  Logger& log_;
  std::int64_t default_ttl_;
  RefetchLimiter& limiter_;
  std::mutex mutex_;
  std::string uri_;
  std::shared_ptr<const JwkSet> current_;
  std::int64_t expires_at_ = 0;
  std::function<void()> on_dropped_;
};

}  // namespace oidc_sysauth
