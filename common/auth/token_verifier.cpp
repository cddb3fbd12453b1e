#include "auth/token_verifier.hpp"

namespace oidc_sysauth {

TokenVerifier::TokenVerifier(const Config& config, DiscoveryCache& discovery, JwksCache& jwks, const Clock& clock)
    : config_(config), discovery_(discovery), jwks_(jwks), clock_(clock) {
  access_policy_.issuer = config_.idp.issuer;
  access_policy_.audiences = config_.audiences();
  access_policy_.algorithms = config_.idp.algorithms;
}

Result<VerifiedJwt> TokenVerifier::verify(std::string_view token, const JwtPolicy& policy) {
  auto meta = discovery_.get();
  if (!meta) return std::unexpected(meta.error());
  auto keys = jwks_.get((*meta)->jwks_uri);
  if (!keys) return std::unexpected(keys.error());
  auto verified = verify_jwt(token, **keys, policy, clock_);
  if (verified || verified.error().reason != "unknown_key") return verified;
  // The IdP may have rotated keys since we fetched them: one rate-limited refetch.
  std::string kid;
  if (auto header = decode_jwt_unverified(token); header && header->header.is_object()) {
    if (auto it = header->header.find("kid"); it != header->header.end() && it->is_string()) kid = it->get<std::string>();
  }
  auto refreshed = jwks_.refresh_for_unknown_kid((*meta)->jwks_uri, kid);
  if (!refreshed) {
    if (refreshed.error().code == ErrorCode::kTokenInvalid) return std::unexpected(refreshed.error());
    return std::unexpected(verified.error());  // refetch failed: the token still names an unknown key
  }
  if (refreshed->get() == keys->get()) return verified;
  return verify_jwt(token, **refreshed, policy, clock_);
}

Result<VerifiedJwt> TokenVerifier::verify_id_token(std::string_view token) {
  JwtPolicy policy;
  policy.issuer = config_.idp.issuer;
  policy.audiences = {config_.idp.client_id};
  policy.authorized_party = config_.idp.client_id;
  policy.algorithms = config_.idp.algorithms;
  return verify(token, policy);
}

Result<VerifiedJwt> TokenVerifier::verify_access_token(std::string_view token, std::vector<std::string> audiences) {
  if (audiences.empty()) return verify(token, access_policy_);
  JwtPolicy policy = access_policy_;
  policy.audiences = std::move(audiences);
  return verify(token, policy);
}

}  // namespace oidc_sysauth
