#include "pam_codes.hpp"

#include <security/pam_modules.h>

namespace oidc_sysauth {

// A switch without `default`, so -Wswitch (an error in CI) flags any new ErrorCode.
// One row per code (clang-format off): it reads as the table it is.
int pam_code_for(ErrorCode code) noexcept {
  // clang-format off
  switch (code) {
    case ErrorCode::kCredentialsRefused: return PAM_AUTH_ERR;
    case ErrorCode::kSecondFactorRequired: return PAM_AUTH_ERR;  // MFA not completed is never success
    case ErrorCode::kTokenInvalid: return PAM_AUTH_ERR;
    case ErrorCode::kTimeout: return PAM_AUTH_ERR;               // device grant not approved in time
    case ErrorCode::kInvalidArgument: return PAM_AUTH_ERR;       // malformed credentials from the user
    case ErrorCode::kIdpUnavailable: return PAM_AUTHINFO_UNAVAIL;
    case ErrorCode::kBadResponse: return PAM_AUTHINFO_UNAVAIL;
    case ErrorCode::kUserUnknown: return PAM_USER_UNKNOWN;
    case ErrorCode::kNotFound: return PAM_USER_UNKNOWN;
    case ErrorCode::kPolicyDenied: return PAM_PERM_DENIED;
    case ErrorCode::kAccountDisabled: return PAM_PERM_DENIED;
    case ErrorCode::kConversation: return PAM_CONV_ERR;
    case ErrorCode::kNoMemory: return PAM_BUF_ERR;
    // Local problems an administrator must fix; never AUTHINFO_UNAVAIL, which some stacks
    // treat as "skip this module".
    case ErrorCode::kMisconfigured: return PAM_SERVICE_ERR;
    case ErrorCode::kConfig: return PAM_SERVICE_ERR;
    case ErrorCode::kCorrupt: return PAM_SERVICE_ERR;
    case ErrorCode::kIo: return PAM_SERVICE_ERR;
    case ErrorCode::kInternal: return PAM_SERVICE_ERR;
  }
  // clang-format on
  return PAM_SERVICE_ERR;
}

}  // namespace oidc_sysauth
