// Tokens (or introspection / userinfo answers) → Identity. Nothing unverified is believed:
// id tokens and JWT access tokens go through the JWKS; userinfo and introspection are
// answers fetched by us from the discovered endpoints over verified TLS.
#include <algorithm>

#include "auth/claims.hpp"
#include "auth/identity_builder.hpp"
#include "auth/oidc_context_impl.hpp"
#include "jose/json_fields.hpp"

namespace oidc_sysauth {
namespace {

bool has_groups(const Config& config, const nlohmann::json& claims) {
  return std::any_of(config.claims.groups.begin(), config.claims.groups.end(),
                     [&](const std::string& path) { return find_claim(claims, path) != nullptr; });
}

bool needs_userinfo(const Config& config, const nlohmann::json& claims) {
  return !claim_string(claims, config.claims.username) || !has_groups(config, claims);
}

// The token must be meant for us: "aud" (when present) or else "client_id" must be one of
// the accepted audiences, so a token another client obtained from the same IdP is refused
// unless [idp] audience lists that client. Refresh tokens are never bearer credentials.
Result<Ok> check_introspected_audience(const nlohmann::json& answer, const std::vector<std::string>& accepted) {
  auto accepted_one = [&](const std::vector<std::string>& values) {
    return std::any_of(values.begin(), values.end(), [&](const std::string& a) {
      return std::find(accepted.begin(), accepted.end(), a) != accepted.end();
    });
  };
  if (auto type = read_optional_string(answer, "token_type"); !type || (*type && **type == "refresh_token"))
    return fail(ErrorCode::kTokenInvalid, "introspection: not an access token", "wrong_token_type");
  if (const auto* aud = find_field(answer, "aud"); aud != nullptr) {
    auto list = as_string_list(*aud, "aud");
    if (!list || !accepted_one(*list))
      return fail(ErrorCode::kTokenInvalid, "introspection: audience not accepted", "wrong_audience");
    return Ok{};
  }
  auto client = read_optional_string(answer, "client_id");
  if (!client || !*client || !accepted_one({**client}))
    return fail(ErrorCode::kTokenInvalid, "introspection: token issued to another client", "wrong_audience");
  return Ok{};
}

}  // namespace

Result<Ok> OidcContextImpl::fill_from_userinfo(nlohmann::json& claims, const Secret& access_token,
                                               const ProviderMetadata& meta, bool required) {
  if (meta.userinfo_endpoint.empty()) {
    if (required) return fail(ErrorCode::kBadResponse, "claims incomplete and no userinfo endpoint", "missing_claim");
    return Ok{};
  }
  auto info = oauth_.userinfo(meta.userinfo_endpoint, access_token);
  if (!info) {
    if (required) return std::unexpected(info.error());
    log_.log(LogLevel::kWarning, "userinfo failed, using the token's claims only: " + info.error().detail);
    return Ok{};
  }
  // OpenID Connect Core 5.3.2: userinfo's sub must be the token's sub.
  auto info_sub = claim_string(*info, "sub");
  auto token_sub = claim_string(claims, "sub");
  if (!info_sub || (token_sub && *token_sub != *info_sub))
    return fail(ErrorCode::kBadResponse, "userinfo sub does not match the token", "userinfo_sub_mismatch");
  info->erase("iss");  // userinfo never decides the issuer
  merge_claims_under(claims, *info);
  return Ok{};
}

Result<Identity> OidcContextImpl::identity_from_tokens(const TokenResponse& tokens, const ProviderMetadata& meta,
                                                       std::string source) {
  nlohmann::json claims = nlohmann::json::object();
  std::int64_t expires_at = 0;
  if (!tokens.id_token.empty()) {
    auto id = verifier_.verify_id_token(tokens.id_token.expose());
    if (!id) return std::unexpected(id.error());  // never trust an unverified id token
    claims = std::move(id->claims);
    expires_at = id->exp;
  }
  if (looks_like_jwt(tokens.access_token.expose())) {
    std::vector<std::string> audiences = config_.audiences();
    if (!config_.idp.resource.empty()) audiences.push_back(config_.idp.resource);
    if (auto at = verifier_.verify_access_token(tokens.access_token.expose(), audiences)) {
      if (claims.empty()) {
        claims = std::move(at->claims);
        expires_at = at->exp;
      } else if (claim_string(at->claims, "sub") == claim_string(claims, "sub")) {
        merge_claims_under(claims, at->claims);
      }
    } else if (log_.debug_enabled()) {
      log_.log(LogLevel::kDebug, "JWT access token not used for claims: " + at.error().detail);
    }
  }
  const bool from_tokens = !claims.empty();
  if (!from_tokens || needs_userinfo(config_, claims)) {
    if (auto ok = fill_from_userinfo(claims, tokens.access_token, meta, !from_tokens); !ok)
      return std::unexpected(ok.error());
  }
  if (!from_tokens) claims["iss"] = meta.issuer;  // userinfo alone, fetched from the issuer's own endpoint
  if (expires_at == 0 && tokens.expires_in > 0) expires_at = clock_.now_unix() + tokens.expires_in;
  IdentityInput in;
  in.claims = std::move(claims);
  in.expected_issuer = config_.idp.issuer;
  in.source = std::move(source);
  in.expires_at = expires_at;
  return build_identity(config_, std::move(in));
}

Result<Identity> OidcContextImpl::identity_from_jwt(std::string_view token) {
  auto verified = verifier_.verify_access_token(token);
  if (!verified) return std::unexpected(verified.error());
  IdentityInput in;
  in.claims = std::move(verified->claims);
  in.expected_issuer = config_.idp.issuer;
  in.source = "token";
  in.expires_at = verified->exp;
  return build_identity(config_, std::move(in));
}

Result<Identity> OidcContextImpl::identity_from_introspection(std::string_view token, const ProviderMetadata& meta) {
  if (meta.introspection_endpoint.empty())
    return fail(ErrorCode::kMisconfigured, "introspect_opaque is set but the IdP has no introspection_endpoint",
                "no_introspection");
  const Secret secret_token(token);
  auto answer = oauth_.introspect(meta.introspection_endpoint, secret_token);
  if (!answer) return std::unexpected(answer.error());
  auto active = read_optional_bool(*answer, "active");
  if (!active || !active->value_or(false)) return fail(ErrorCode::kTokenInvalid, "token is not active", "inactive");
  auto iss = read_optional_string(*answer, "iss");
  if (!iss || (*iss && **iss != config_.idp.issuer))
    return fail(ErrorCode::kTokenInvalid, "introspection names another issuer", "wrong_issuer");
  auto exp = read_optional_int64(*answer, "exp", 0, kMaxUnixTime);
  const std::int64_t now = clock_.now_unix();
  if (!exp || (*exp && **exp <= now)) return fail(ErrorCode::kTokenInvalid, "token expired", "expired");
  if (auto ok = check_introspected_audience(*answer, config_.audiences()); !ok) return std::unexpected(ok.error());
  nlohmann::json claims = std::move(*answer);
  claims.erase("active");
  if (needs_userinfo(config_, claims)) {
    if (auto ok = fill_from_userinfo(claims, secret_token, meta, !claim_string(claims, config_.claims.username)); !ok)
      return std::unexpected(ok.error());
  }
  claims["iss"] = config_.idp.issuer;
  IdentityInput in;
  in.claims = std::move(claims);
  in.expected_issuer = config_.idp.issuer;
  in.source = "introspection";
  in.expires_at = exp->value_or(now + 60);
  return build_identity(config_, std::move(in));
}

}  // namespace oidc_sysauth
