// Claims (from whichever tokens/answers a flow produced) → the Identity every face uses.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "config.hpp"
#include "identity.hpp"
#include "result.hpp"

namespace oidc_sysauth {

// Layers `extra` under `base`: keys `base` lacks are copied in; `base` wins on conflicts.
// Used to fill an id token's gaps from a JWT access token, userinfo or introspection.
void merge_claims_under(nlohmann::json& base, const nlohmann::json& extra);

struct IdentityInput {
  nlohmann::json claims;           // merged claims
  std::string expected_issuer;     // claims "iss" must equal it (Logto API: set, and no "iss" needed)
  bool issuer_from_claims = true;  // false: take expected_issuer as the issuer (Logto Management API)
  std::string source;              // Identity::source
  std::int64_t expires_at = 0;
};

// Requires issuer and subject; maps the username claim to a local name
// (local_name_for_login: suffix stripped, POSIX name, and never a reserved name →
// kUserUnknown); flattens and maps groups; range-checks the uid claim
// (kPolicyDenied "uid_out_of_range"). A missing username claim is kMisconfigured
// ("missing_claim") so the admin learns the claim path is wrong.
Result<Identity> build_identity(const Config& config, IdentityInput input);

}  // namespace oidc_sysauth
