// Calls to the IdP's OAuth endpoints: token (password, refresh, client credentials,
// device code), device authorization, introspection, userinfo. Client authentication per
// [idp] client_auth. Every answer is classified by net/oauth_errors.hpp.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "config.hpp"
#include "http.hpp"
#include "result.hpp"
#include "secret.hpp"

namespace oidc_sysauth {

struct ClientCredentials {
  std::string client_id;
  Secret secret;                        // empty: public client
  ClientAuth method = ClientAuth::kAuto;  // kAuto: basic with a secret, none without
};

struct TokenResponse {
  Secret access_token;
  Secret id_token;       // may be empty
  Secret refresh_token;  // may be empty
  std::string token_type;
  std::string scope;
  std::int64_t expires_in = 0;  // 0 when absent
};

// Optional parts of a token request.
struct GrantParams {
  std::string scope;
  std::string resource;                                    // RFC 8707, omitted when empty
  std::vector<std::pair<std::string, Secret>> extra;       // e.g. {"totp", "123456"}
};

struct DeviceAuthorization {
  Secret device_code;
  std::string user_code;
  std::string verification_uri;
  std::string verification_uri_complete;  // may be empty
  std::int64_t expires_in = 0;            // seconds
  std::int64_t interval = 5;              // seconds
};

class OAuthClient {
 public:
  OAuthClient(HttpClient& http, ClientCredentials credentials, std::size_t max_response_bytes = 256 * 1024)
      : http_(http), credentials_(std::move(credentials)), max_bytes_(max_response_bytes) {}

  Result<TokenResponse> password_grant(const std::string& token_endpoint, std::string_view username,
                                       const Secret& password, const GrantParams& params);
  Result<TokenResponse> refresh(const std::string& token_endpoint, const Secret& refresh_token,
                                const GrantParams& params);
  Result<TokenResponse> client_credentials(const std::string& token_endpoint, const GrantParams& params);
  // One poll of the device grant; pending/slow_down come back as errors whose reason is
  // the OAuth error ("authorization_pending", "slow_down", "access_denied", "expired_token").
  Result<TokenResponse> device_token(const std::string& token_endpoint, const Secret& device_code);
  Result<DeviceAuthorization> device_authorize(const std::string& endpoint, const GrantParams& params);
  // RFC 7662. The JSON answer ("active" etc.) is returned unchecked; 401/403 → kMisconfigured.
  Result<nlohmann::json> introspect(const std::string& endpoint, const Secret& token);
  // GET with the access token as bearer; 401/403 → kTokenInvalid.
  Result<nlohmann::json> userinfo(const std::string& endpoint, const Secret& access_token);

  [[nodiscard]] const std::string& client_id() const noexcept { return credentials_.client_id; }

 private:
  using Fields = std::vector<std::pair<std::string, Secret>>;
  Result<HttpResponse> post_form(const std::string& url, Fields fields);
  Result<TokenResponse> token_request(const std::string& url, Fields fields);
  static void add_params(Fields& fields, const GrantParams& params);

  HttpClient& http_;
  ClientCredentials credentials_;
  std::size_t max_bytes_;
};

// Parses a 200 token answer. access_token required; token_type, when present, must be
// Bearer (any case); expires_in an integer in range. kBadResponse otherwise.
Result<TokenResponse> parse_token_response(std::string_view body);

// Secret-holding JSON gets its strings wiped before it is freed.
void wipe_json_strings(nlohmann::json& doc) noexcept;

}  // namespace oidc_sysauth
