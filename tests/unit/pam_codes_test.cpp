#include "pam_codes.hpp"

#include <gtest/gtest.h>
#include <security/pam_modules.h>

namespace oidc_sysauth {
namespace {

TEST(PamCodes, ExactMappingFromTheIssue) {
  EXPECT_EQ(pam_code_for(ErrorCode::kCredentialsRefused), PAM_AUTH_ERR);
  EXPECT_EQ(pam_code_for(ErrorCode::kTokenInvalid), PAM_AUTH_ERR);
  EXPECT_EQ(pam_code_for(ErrorCode::kUserUnknown), PAM_USER_UNKNOWN);
  EXPECT_EQ(pam_code_for(ErrorCode::kIdpUnavailable), PAM_AUTHINFO_UNAVAIL);
  EXPECT_EQ(pam_code_for(ErrorCode::kBadResponse), PAM_AUTHINFO_UNAVAIL);
  EXPECT_EQ(pam_code_for(ErrorCode::kPolicyDenied), PAM_PERM_DENIED);
  EXPECT_EQ(pam_code_for(ErrorCode::kAccountDisabled), PAM_PERM_DENIED);
  EXPECT_EQ(pam_code_for(ErrorCode::kConversation), PAM_CONV_ERR);
  EXPECT_EQ(pam_code_for(ErrorCode::kNoMemory), PAM_BUF_ERR);
  EXPECT_EQ(pam_code_for(ErrorCode::kConfig), PAM_SERVICE_ERR);
  EXPECT_EQ(pam_code_for(ErrorCode::kMisconfigured), PAM_SERVICE_ERR);
  EXPECT_EQ(pam_code_for(ErrorCode::kInternal), PAM_SERVICE_ERR);
}

TEST(PamCodes, SecondFactorRequiredIsNeverSuccess) {
  EXPECT_EQ(pam_code_for(ErrorCode::kSecondFactorRequired), PAM_AUTH_ERR);
  EXPECT_EQ(pam_code_for(ErrorCode::kTimeout), PAM_AUTH_ERR);
}

TEST(PamCodes, NoErrorCodeMapsToSuccessOrIgnore) {
  for (int i = 0; i <= static_cast<int>(ErrorCode::kInternal); ++i) {
    const int rc = pam_code_for(static_cast<ErrorCode>(i));
    EXPECT_NE(rc, PAM_SUCCESS) << i;
    EXPECT_NE(rc, PAM_IGNORE) << i;
  }
}

}  // namespace
}  // namespace oidc_sysauth
