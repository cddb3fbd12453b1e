// The one table from the core's ErrorCode to a PAM return code.
#pragma once

#include "result.hpp"

namespace oidc_sysauth {

int pam_code_for(ErrorCode code) noexcept;

}  // namespace oidc_sysauth
