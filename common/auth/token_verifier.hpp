// JWT verification against the IdP's published keys: discovery → JWKS → verify_jwt,
// with one rate-limited JWKS refetch when a token names a kid we do not have.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "clock.hpp"
#include "config.hpp"
#include "jose/jwt.hpp"
#include "net/discovery.hpp"
#include "net/jwks_cache.hpp"
#include "result.hpp"

namespace oidc_sysauth {

class TokenVerifier {
 public:
  TokenVerifier(const Config& config, DiscoveryCache& discovery, JwksCache& jwks, const Clock& clock);

  // An id token from our own grant: aud must contain client_id (azp = client_id when
  // aud has several values).
  Result<VerifiedJwt> verify_id_token(std::string_view token);
  // A bearer/access token: aud must contain one of `audiences` (default [idp] audience,
  // i.e. client_id when unset).
  Result<VerifiedJwt> verify_access_token(std::string_view token, std::vector<std::string> audiences = {});

 private:
  Result<VerifiedJwt> verify(std::string_view token, const JwtPolicy& policy);

  const Config& config_;
  // The bearer-token policy with the default audiences, built once: the config never
  // changes under a context, and building it copies three string lists per token.
  JwtPolicy access_policy_;
  DiscoveryCache& discovery_;
  JwksCache& jwks_;
  const Clock& clock_;
};

}  // namespace oidc_sysauth
