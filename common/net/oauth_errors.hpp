// Classification of IdP answers (issue 2 §3): PAM/SASL return codes and offline
// behaviour depend on getting this exactly right, so it lives in one place.
#pragma once

#include <string>
#include <string_view>

#include "http.hpp"
#include "result.hpp"

namespace oidc_sysauth {

// A non-200 answer of the token endpoint (any grant) or device authorization endpoint:
//   second factor (interaction_required, mfa_required, AADSTS50076/50079/...) → kSecondFactorRequired
//   invalid_client, unauthorized_client, unsupported_grant_type, invalid_scope,
//     invalid_target, 404/405                                              → kMisconfigured
//   400 invalid_grant / access_denied, any 401, any 403 (empty body too)   → kCredentialsRefused
//   5xx, 429                                                               → kIdpUnavailable
//   3xx, other 4xx, garbage                                                → kBadResponse
// Error::reason is the OAuth "error" value when there is one ("authorization_pending",
// "slow_down" ... for the device grant), else "http_<status>".
Error classify_token_error(const HttpResponse& response);

// True when an OAuth error/description pair means "a second factor is needed".
bool is_second_factor_error(std::string_view error, std::string_view description) noexcept;

// Server text made safe for a log line: printable ASCII, at most 200 bytes.
std::string sanitize_server_text(std::string_view text);

}  // namespace oidc_sysauth
