// OpenID Provider metadata (<issuer>/.well-known/openid-configuration): fetched,
// validated (exact issuer, https endpoints), cached in memory and on disk with a TTL.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "clock.hpp"
#include "http.hpp"
#include "log.hpp"
#include "net/disk_cache.hpp"
#include "result.hpp"

namespace oidc_sysauth {

struct ProviderMetadata {
  std::string issuer;
  std::string token_endpoint;
  std::string jwks_uri;
  std::string userinfo_endpoint;               // may be empty
  std::string introspection_endpoint;          // may be empty
  std::string device_authorization_endpoint;   // may be empty
  std::string revocation_endpoint;             // may be empty
  std::vector<std::string> grant_types_supported;  // as listed
  bool grant_types_listed = false;             // false: RFC 8414 default (authorization_code, implicit)
  std::vector<std::string> token_endpoint_auth_methods;  // as listed (may be empty)

  // Listed, or the RFC 8414 default when the field is absent.
  [[nodiscard]] bool supports_grant(std::string_view grant) const;
};

// Validates a discovery document: issuer must equal `expected_issuer` byte for byte
// (kMisconfigured, reason "issuer_mismatch"); token_endpoint and jwks_uri required and
// every endpoint https (http only with allow_http and a loopback host) (kMisconfigured,
// reason "insecure_url"); wrong types → kBadResponse.
Result<ProviderMetadata> parse_provider_metadata(std::string_view body, std::string_view expected_issuer,
                                                 bool allow_http);

// "<issuer>/.well-known/openid-configuration" (one trailing slash of the issuer dropped).
std::string discovery_url_for(std::string_view issuer);

class DiscoveryCache {
 public:
  DiscoveryCache(HttpClient& http, const Clock& clock, const DiskCache& disk, Logger& log, std::string issuer,
                 bool allow_http, std::int64_t default_ttl);

  // Memory, then disk (re-validated), then network. Thread-safe.
  Result<std::shared_ptr<const ProviderMetadata>> get();
  // Drops the memory copy (tests, `doctor`).
  void invalidate();
  [[nodiscard]] const std::string& url() const noexcept { return url_; }

 private:
  Result<std::shared_ptr<const ProviderMetadata>> load_from_disk();
  Result<std::shared_ptr<const ProviderMetadata>> fetch();

  HttpClient& http_;
  const Clock& clock_;
  const DiskCache& disk_;
  Logger& log_;
  std::string issuer_;
  std::string url_;
  bool allow_http_;
  std::int64_t default_ttl_;
  std::mutex mutex_;
  std::shared_ptr<const ProviderMetadata> current_;
  std::int64_t expires_at_ = 0;
};

}  // namespace oidc_sysauth
