#include "net/discovery.hpp"

#include <algorithm>

#include "jose/json_fields.hpp"
#include "net/http_util.hpp"
#include "net/url.hpp"

namespace oidc_sysauth {
namespace {

constexpr std::size_t kMaxDiscoveryBytes = 256 * 1024;
constexpr const char* kDiskKind = "discovery";

// Reads an endpoint URL field; `required` decides whether absence is an error.
Result<std::string> read_endpoint(const nlohmann::json& doc, std::string_view key, bool required, bool allow_http) {
  auto value = read_optional_string(doc, key);
  if (!value) return fail(ErrorCode::kBadResponse, "discovery: " + value.error().detail, "bad_discovery");
  if (!*value || (*value)->empty()) {
    if (required) return fail(ErrorCode::kBadResponse, "discovery: " + std::string(key) + " missing", "bad_discovery");
    return std::string();
  }
  if (auto ok = check_endpoint_url(**value, allow_http); !ok)
    return fail(ErrorCode::kMisconfigured, "discovery " + std::string(key) + ": " + ok.error().detail,
                ok.error().reason);
  return std::move(**value);
}

Result<std::vector<std::string>> read_list(const nlohmann::json& doc, std::string_view key, bool& listed) {
  auto value = read_optional_string_list(doc, key);
  if (!value) return fail(ErrorCode::kBadResponse, "discovery: " + value.error().detail, "bad_discovery");
  listed = value->has_value();
  return value->value_or(std::vector<std::string>{});
}

}  // namespace

bool ProviderMetadata::supports_grant(std::string_view grant) const {
  if (!grant_types_listed) return grant == "authorization_code" || grant == "implicit";
  return std::find(grant_types_supported.begin(), grant_types_supported.end(), grant) != grant_types_supported.end();
}

std::string discovery_url_for(std::string_view issuer) {
  std::string base(issuer);
  if (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/.well-known/openid-configuration";
}

Result<ProviderMetadata> parse_provider_metadata(std::string_view body, std::string_view expected_issuer,
                                                 bool allow_http) {
  auto doc = parse_json_object(body, JsonLimits{kMaxDiscoveryBytes, 16});
  if (!doc) return fail(ErrorCode::kBadResponse, "discovery: " + doc.error().detail, "bad_discovery");
  auto issuer = read_string(*doc, "issuer");
  if (!issuer) return fail(ErrorCode::kBadResponse, "discovery: " + issuer.error().detail, "bad_discovery");
  if (*issuer != expected_issuer)
    return fail(ErrorCode::kMisconfigured,
                "discovery issuer '" + *issuer + "' differs from configured '" + std::string(expected_issuer) + "'",
                "issuer_mismatch");
  ProviderMetadata m;
  m.issuer = std::move(*issuer);
  struct Field {
    const char* key;
    std::string* out;
    bool required;
  };
  const Field fields[] = {{"token_endpoint", &m.token_endpoint, true},
                          {"jwks_uri", &m.jwks_uri, true},
                          {"userinfo_endpoint", &m.userinfo_endpoint, false},
                          {"introspection_endpoint", &m.introspection_endpoint, false},
                          {"device_authorization_endpoint", &m.device_authorization_endpoint, false},
                          {"revocation_endpoint", &m.revocation_endpoint, false}};
  for (const Field& f : fields) {
    auto v = read_endpoint(*doc, f.key, f.required, allow_http);
    if (!v) return std::unexpected(v.error());
    *f.out = std::move(*v);
  }
  auto grants = read_list(*doc, "grant_types_supported", m.grant_types_listed);
  if (!grants) return std::unexpected(grants.error());
  m.grant_types_supported = std::move(*grants);
  bool ignored = false;
  auto methods = read_list(*doc, "token_endpoint_auth_methods_supported", ignored);
  if (!methods) return std::unexpected(methods.error());
  m.token_endpoint_auth_methods = std::move(*methods);
  return m;
}

DiscoveryCache::DiscoveryCache(HttpClient& http, const Clock& clock, const DiskCache& disk, Logger& log,
                               std::string issuer, bool allow_http, std::int64_t default_ttl)
    : http_(http),
      clock_(clock),
      disk_(disk),
      log_(log),
      issuer_(std::move(issuer)),
      url_(discovery_url_for(issuer_)),
      allow_http_(allow_http),
      default_ttl_(default_ttl) {}

void DiscoveryCache::invalidate() {
  std::lock_guard lock(mutex_);
  current_.reset();
  expires_at_ = 0;
}

Result<std::shared_ptr<const ProviderMetadata>> DiscoveryCache::get() {
  std::lock_guard lock(mutex_);
  const std::int64_t now = clock_.now_unix();
  if (current_ && now < expires_at_) return current_;
  if (auto from_disk = load_from_disk()) return from_disk;
  return fetch();
}

Result<std::shared_ptr<const ProviderMetadata>> DiscoveryCache::load_from_disk() {
  auto cached = disk_.load(kDiskKind, url_);
  if (!cached) {
    if (cached.error().code == ErrorCode::kCorrupt)
      log_.log(LogLevel::kWarning, "ignoring discovery cache: " + cached.error().detail);
    return std::unexpected(cached.error());
  }
  // A cached document is re-validated exactly like a fresh one (issuer included).
  auto meta = parse_provider_metadata(cached->body, issuer_, allow_http_);
  if (!meta) {
    log_.log(LogLevel::kWarning, "ignoring discovery cache " + disk_.path_for(kDiskKind, url_) + ": " +
                                     meta.error().detail);
    return std::unexpected(meta.error());
  }
  current_ = std::make_shared<const ProviderMetadata>(std::move(*meta));
  expires_at_ = cached->expires_at;
  return current_;
}

Result<std::shared_ptr<const ProviderMetadata>> DiscoveryCache::fetch() {
  auto doc = fetch_json_document(http_, url_, "discovery", kMaxDiscoveryBytes, default_ttl_);
  if (!doc) {
    // 404 here almost always means a wrong issuer in the config.
    if (doc.error().reason == "http_404")
      return fail(ErrorCode::kMisconfigured, doc.error().detail + " (is [idp] issuer right?)", "issuer_mismatch");
    return std::unexpected(doc.error());
  }
  auto meta = parse_provider_metadata(doc->text, issuer_, allow_http_);
  if (!meta) return std::unexpected(meta.error());
  const std::int64_t now = clock_.now_unix();
  current_ = std::make_shared<const ProviderMetadata>(std::move(*meta));
  expires_at_ = now + doc->ttl_seconds;
  if (auto stored = disk_.store(kDiskKind, url_, CachedDocument{doc->text, now, expires_at_}); !stored) {
    if (log_.debug_enabled()) log_.log(LogLevel::kDebug, "discovery not cached on disk: " + stored.error().detail);
  }
  return current_;
}

}  // namespace oidc_sysauth
