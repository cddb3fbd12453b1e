// Small helpers shared by every IdP call: fetching a JSON document and deriving its
// cache lifetime from the response headers.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "http.hpp"
#include "result.hpp"

namespace oidc_sysauth {

inline constexpr std::int64_t kMinCacheTtlSeconds = 60;
inline constexpr std::int64_t kMaxCacheTtlSeconds = 86400;

// Cache-Control max-age clamped to [60 s, 1 day]; `no-store`/`no-cache` give the minimum;
// no usable header gives `default_ttl` (also clamped).
std::int64_t cache_ttl_seconds(const HttpResponse& response, std::int64_t default_ttl) noexcept;

// The error for a non-2xx answer to a GET of a metadata document (discovery, JWKS, Logto):
// 5xx/429 → kIdpUnavailable; 3xx → kBadResponse ("redirect refused"); others → kBadResponse.
Error status_error(const HttpResponse& response, std::string_view what);

struct JsonDocument {
  nlohmann::json json;
  std::string text;         // the raw body (public documents only: never used for token responses)
  std::int64_t ttl_seconds = 0;
};

// GET `url`, require 200 and a JSON object. `what` names the document in errors.
Result<JsonDocument> fetch_json_document(HttpClient& http, const std::string& url, std::string_view what,
                                         std::size_t max_bytes, std::int64_t default_ttl);

}  // namespace oidc_sysauth
