// The one ErrorCode → SASL_* table (sasl/sasl_codes.cpp): what Postfix makes of each
// (SASL_BADAUTH → 535, SASL_UNAVAIL → 454) is the contract with the mail client.
#include <gtest/gtest.h>

#include <cstdarg>
#include <string>

#include "sasl_plugin.hpp"

namespace oidc_sysauth::sasl {
namespace {

TEST(SaslCodes, RefusalsAreBadauth) {
  for (auto code : {ErrorCode::kTokenInvalid, ErrorCode::kCredentialsRefused, ErrorCode::kPolicyDenied,
                    ErrorCode::kUserUnknown, ErrorCode::kAccountDisabled})
    EXPECT_EQ(sasl_code_for(code), SASL_BADAUTH) << error_code_name(code);
}

TEST(SaslCodes, IdpTroubleIsTemporary) {
  EXPECT_EQ(sasl_code_for(ErrorCode::kIdpUnavailable), SASL_UNAVAIL);
  EXPECT_EQ(sasl_code_for(ErrorCode::kBadResponse), SASL_UNAVAIL);
}

TEST(SaslCodes, ProtocolMemoryAndTheRest) {
  EXPECT_EQ(sasl_code_for(ErrorCode::kInvalidArgument), SASL_BADPROT);
  EXPECT_EQ(sasl_code_for(ErrorCode::kNoMemory), SASL_NOMEM);
  for (auto code :
       {ErrorCode::kMisconfigured, ErrorCode::kConfig, ErrorCode::kInternal, ErrorCode::kIo, ErrorCode::kCorrupt,
        ErrorCode::kNotFound, ErrorCode::kTimeout, ErrorCode::kConversation, ErrorCode::kSecondFactorRequired})
    EXPECT_EQ(sasl_code_for(code), SASL_FAIL) << error_code_name(code);
}

// The logging helpers format with snprintf and hand libsasl only "%s": a message full of
// printf directives must arrive verbatim.
std::string g_logged;
void fake_log(sasl_conn_t*, int, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  EXPECT_STREQ(fmt, "%s");
  g_logged = va_arg(ap, const char*);
  va_end(ap);
}

TEST(SaslLogging, PreformattedLineOnly) {
  sasl_utils_t utils{};
  utils.log = &fake_log;
  log_line(&utils, SASL_LOG_ERR, "token %s %n %.*s");
  EXPECT_EQ(g_logged, "oidc-sysauth: token %s %n %.*s");
  SaslLogger logger(&utils, false);
  logger.log(LogLevel::kDebug, "dropped");
  EXPECT_EQ(g_logged, "oidc-sysauth: token %s %n %.*s");
  logger.log(LogLevel::kWarning, "kept");
  EXPECT_EQ(g_logged, "oidc-sysauth: kept");
}

}  // namespace
}  // namespace oidc_sysauth::sasl
