// Errors as values: every fallible core function returns Result<T>.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace oidc_sysauth {

// What went wrong, and therefore what the caller does next. Each face maps these
// through one table (pam/pam_codes.cpp, sasl/sasl_codes.cpp, nss/nss_entry.cpp).
enum class ErrorCode {
  kCredentialsRefused,    // IdP said no to password/code → PAM_AUTH_ERR, SASL_BADAUTH
  kSecondFactorRequired,  // IdP wants MFA → prompt for OTP or switch to device grant; never success
  kTokenInvalid,          // token failed verification (Error::reason says why) → PAM_AUTH_ERR, SASL_BADAUTH
  kIdpUnavailable,        // network error, timeout, TLS failure, 5xx → PAM_AUTHINFO_UNAVAIL, SASL_UNAVAIL
  kBadResponse,           // IdP answered garbage or missing fields → treated like unavailable
  kMisconfigured,         // invalid_client, issuer mismatch, unsupported grant → PAM_SERVICE_ERR, SASL_FAIL
  kConfig,                // config file unreadable/invalid (detail names file:line key) → PAM_SERVICE_ERR
  kUserUnknown,           // name not ours, invalid, local or reserved → PAM_USER_UNKNOWN / PAM_IGNORE
  kPolicyDenied,          // [access] / [service:*] refused → PAM_PERM_DENIED, SASL_BADAUTH
  kAccountDisabled,       // store says the account is disabled → PAM_PERM_DENIED
  kNotFound,              // lookup miss (store, cache) → NSS_STATUS_NOTFOUND
  kCorrupt,               // file failed validation → NSS_STATUS_UNAVAIL, rebuild or refuse
  kIo,                    // filesystem error (detail has strerror) → UNAVAIL
  kConversation,          // PAM conversation failed → PAM_CONV_ERR
  kInvalidArgument,       // caller passed something malformed (bad SASL message) → SASL_BADPROT
  kNoMemory,              // → PAM_BUF_ERR, SASL_NOMEM
  kTimeout,               // an overall limit (device grant) ran out → PAM_AUTH_ERR
  kInternal,              // a bug → PAM_SERVICE_ERR, SASL_FAIL
};

const char* error_code_name(ErrorCode code) noexcept;

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  // Human-readable, safe to log: never contains a secret or a whole token.
  std::string detail;
  // Short stable keyword for tests, the CLI and SASL error challenges,
  // e.g. "expired", "bad_signature", "unknown_key", "wrong_audience". May be empty.
  std::string reason;
};

template <typename T>
using Result = std::expected<T, Error>;

// Shorthand: return fail(ErrorCode::kIo, "open /x: No such file").
inline std::unexpected<Error> fail(ErrorCode code, std::string detail, std::string reason = {}) {
  return std::unexpected<Error>(Error{code, std::move(detail), std::move(reason)});
}

// For functions with nothing to return.
struct Ok {};

}  // namespace oidc_sysauth
