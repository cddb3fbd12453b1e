#include "result.hpp"

namespace oidc_sysauth {

const char* error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kCredentialsRefused: return "credentials refused";
    case ErrorCode::kSecondFactorRequired: return "second factor required";
    case ErrorCode::kTokenInvalid: return "token invalid";
    case ErrorCode::kIdpUnavailable: return "identity provider unavailable";
    case ErrorCode::kBadResponse: return "bad response from identity provider";
    case ErrorCode::kMisconfigured: return "misconfigured";
    case ErrorCode::kConfig: return "configuration error";
    case ErrorCode::kUserUnknown: return "user unknown";
    case ErrorCode::kPolicyDenied: return "access denied by policy";
    case ErrorCode::kAccountDisabled: return "account disabled";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kCorrupt: return "corrupt data";
    case ErrorCode::kIo: return "i/o error";
    case ErrorCode::kConversation: return "conversation error";
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kNoMemory: return "out of memory";
    case ErrorCode::kTimeout: return "timed out";
    case ErrorCode::kInternal: return "internal error";
  }
  return "unknown error";
}

}  // namespace oidc_sysauth
