#include "net/http_util.hpp"

#include <algorithm>
#include <cctype>

#include "jose/json_fields.hpp"

namespace oidc_sysauth {
namespace {

// "max-age=NNN" inside a Cache-Control value; -1 when absent or unparsable.
std::int64_t parse_max_age(std::string_view value) noexcept {
  constexpr std::string_view kKey = "max-age=";
  std::size_t pos = 0;
  while ((pos = value.find(kKey, pos)) != std::string_view::npos) {
    // Must start a directive: at the beginning or after ',' / ' ' (so "s-maxage=" is skipped).
    if (pos == 0 || value[pos - 1] == ',' || value[pos - 1] == ' ') break;
    pos += kKey.size();
  }
  if (pos == std::string_view::npos) return -1;
  std::size_t i = pos + kKey.size();
  if (i < value.size() && value[i] == '"') ++i;
  std::int64_t n = 0;
  std::size_t digits = 0;
  for (; i < value.size() && std::isdigit(static_cast<unsigned char>(value[i])) != 0; ++i, ++digits) {
    if (n > kMaxCacheTtlSeconds * 1000) continue;  // saturate instead of overflowing
    n = n * 10 + (value[i] - '0');
  }
  return digits == 0 ? -1 : n;
}

}  // namespace

std::int64_t cache_ttl_seconds(const HttpResponse& response, std::int64_t default_ttl) noexcept {
  std::int64_t ttl = default_ttl;
  auto it = response.headers.find("cache-control");
  if (it != response.headers.end()) {
    std::string value = it->second;
    std::transform(value.begin(), value.end(), value.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (value.find("no-store") != std::string::npos || value.find("no-cache") != std::string::npos) {
      ttl = kMinCacheTtlSeconds;
    } else if (auto max_age = parse_max_age(value); max_age >= 0) {
      ttl = max_age;
    }
  }
  return std::clamp(ttl, kMinCacheTtlSeconds, kMaxCacheTtlSeconds);
}

Error status_error(const HttpResponse& response, std::string_view what) {
  const std::string prefix = std::string(what) + ": HTTP " + std::to_string(response.status);
  if (response.status >= 500 || response.status == 429)
    return Error{ErrorCode::kIdpUnavailable, prefix, "http_" + std::to_string(response.status)};
  if (response.status >= 300 && response.status < 400)
    return Error{ErrorCode::kBadResponse, prefix + " (redirect refused)", "redirect"};
  return Error{ErrorCode::kBadResponse, prefix, "http_" + std::to_string(response.status)};
}

Result<JsonDocument> fetch_json_document(HttpClient& http, const std::string& url, std::string_view what,
                                         std::size_t max_bytes, std::int64_t default_ttl) {
  HttpRequest request;
  request.url = url;
  request.max_response_bytes = max_bytes;
  auto response = http.perform(request);
  if (!response) return std::unexpected(response.error());
  if (response->status != 200) return std::unexpected(status_error(*response, what));
  JsonLimits limits;
  limits.max_bytes = max_bytes;
  auto doc = parse_json_object(response->body.expose(), limits);
  if (!doc) return fail(ErrorCode::kBadResponse, std::string(what) + ": " + doc.error().detail, "bad_json");
  JsonDocument out;
  out.json = std::move(*doc);
  out.text = std::string(response->body.expose());
  out.ttl_seconds = cache_ttl_seconds(*response, default_ttl);
  return out;
}

}  // namespace oidc_sysauth
