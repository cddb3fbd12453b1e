#include "net/jwks_cache.hpp"

#include <algorithm>

#include "net/http_util.hpp"

namespace oidc_sysauth {
namespace {

constexpr std::size_t kMaxJwksBytes = 512 * 1024;
constexpr const char* kDiskKind = "jwks";

bool lost_a_key(const JwkSet* before, const JwkSet& after) {
  if (before == nullptr) return false;
  return std::any_of(before->keys().begin(), before->keys().end(),
                     [&after](const Jwk& k) { return !after.has_kid(k.kid); });
}

}  // namespace

bool RefetchLimiter::try_acquire(const std::string& key, std::int64_t now_ms, std::int64_t interval_ms) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = last_ms_.try_emplace(key, now_ms);
  if (inserted) return true;
  if (now_ms - it->second < interval_ms && now_ms >= it->second) return false;
  it->second = now_ms;
  return true;
}

RefetchLimiter& RefetchLimiter::process() {
  static RefetchLimiter* instance = new RefetchLimiter();  // intentionally leaked
  return *instance;
}

JwksCache::JwksCache(HttpClient& http, const Clock& clock, const DiskCache& disk, Logger& log,
                     std::int64_t default_ttl, RefetchLimiter* limiter)
    : http_(http),
      clock_(clock),
      disk_(disk),
      log_(log),
      default_ttl_(default_ttl),
      limiter_(limiter != nullptr ? *limiter : RefetchLimiter::process()) {}

void JwksCache::set_on_keys_dropped(std::function<void()> callback) {
  std::lock_guard lock(mutex_);
  on_dropped_ = std::move(callback);
}

void JwksCache::notify_dropped(bool dropped) {
  if (!dropped) return;
  std::function<void()> cb;
  {
    std::lock_guard lock(mutex_);
    cb = on_dropped_;
  }
  log_.log(LogLevel::kNotice, "IdP removed a signing key: cached token verifications dropped");
  if (cb) cb();
}

Result<std::shared_ptr<const JwkSet>> JwksCache::get(const std::string& jwks_uri) {
  bool dropped = false;
  Result<std::shared_ptr<const JwkSet>> result;
  {
    std::lock_guard lock(mutex_);
    if (uri_ != jwks_uri) {  // discovery changed jwks_uri: start over
      uri_ = jwks_uri;
      current_.reset();
      expires_at_ = 0;
    }
    if (current_ && clock_.now_unix() < expires_at_) return current_;
    if (!current_) {
      if (auto disk = load_disk_locked(jwks_uri)) return disk;
    }
    result = fetch_locked(jwks_uri, dropped);
    // Keys past their TTL still beat no keys when the IdP is briefly unreachable.
    if (!result && current_ && result.error().code == ErrorCode::kIdpUnavailable) {
      log_.log(LogLevel::kWarning, "JWKS refresh failed, using the previous keys: " + result.error().detail);
      return current_;
    }
  }
  notify_dropped(dropped);
  return result;
}

Result<std::shared_ptr<const JwkSet>> JwksCache::refresh_for_unknown_kid(const std::string& jwks_uri,
                                                                        std::string_view kid) {
  bool dropped = false;
  Result<std::shared_ptr<const JwkSet>> result;
  {
    std::lock_guard lock(mutex_);
    if (uri_ == jwks_uri && current_ && !kid.empty() && current_->has_kid(kid)) return current_;  // raced
    if (!limiter_.try_acquire(jwks_uri, clock_.now_monotonic_ms(), kJwksRefetchIntervalMs)) {
      if (uri_ == jwks_uri && current_) return current_;
      return fail(ErrorCode::kTokenInvalid, "unknown key id and JWKS refetch rate-limited", "unknown_key");
    }
    uri_ = jwks_uri;
    result = fetch_locked(jwks_uri, dropped);
  }
  notify_dropped(dropped);
  return result;
}

Result<std::shared_ptr<const JwkSet>> JwksCache::load_disk_locked(const std::string& jwks_uri) {
  auto cached = disk_.load(kDiskKind, jwks_uri);
  if (!cached) {
    if (cached.error().code == ErrorCode::kCorrupt)
      log_.log(LogLevel::kWarning, "ignoring JWKS cache: " + cached.error().detail);
    return std::unexpected(cached.error());
  }
  auto set = JwkSet::parse(cached->body, &log_);
  if (!set) {
    log_.log(LogLevel::kWarning, "ignoring JWKS cache " + disk_.path_for(kDiskKind, jwks_uri) + ": " +
                                     set.error().detail);
    return std::unexpected(set.error());
  }
  current_ = std::make_shared<const JwkSet>(std::move(*set));
  expires_at_ = cached->expires_at;
  return current_;
}

Result<std::shared_ptr<const JwkSet>> JwksCache::fetch_locked(const std::string& jwks_uri, bool& dropped) {
  auto doc = fetch_json_document(http_, jwks_uri, "JWKS", kMaxJwksBytes, default_ttl_);
  if (!doc) return std::unexpected(doc.error());
  auto set = JwkSet::parse(doc->text, &log_);
  if (!set) return fail(ErrorCode::kBadResponse, "JWKS: " + set.error().detail, "bad_jwks");
  dropped = lost_a_key(current_.get(), *set);
  const std::int64_t now = clock_.now_unix();
  current_ = std::make_shared<const JwkSet>(std::move(*set));
  expires_at_ = now + doc->ttl_seconds;
  if (auto stored = disk_.store(kDiskKind, jwks_uri, CachedDocument{doc->text, now, expires_at_}); !stored) {
    if (log_.debug_enabled()) log_.log(LogLevel::kDebug, "JWKS not cached on disk: " + stored.error().detail);
  }
  return current_;
}

}  // namespace oidc_sysauth
