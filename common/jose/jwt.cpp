// verify_jwt: compact JWS → checked header → signature → checked claims.
// Order matters: nothing from the payload is believed before the signature verifies,
// and every cheap structural check runs before any crypto.
#include "jose/jwt.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include "jose/base64url.hpp"
#include "jose/header_memo.hpp"
#include "jose/json_fields.hpp"
#include "jose/jws.hpp"

namespace oidc_sysauth {
namespace {

using nlohmann::json;

// Tokens are small; these bound what a hostile one can make the parser do.
constexpr JsonLimits kPartLimits{64 * 1024, 16};
constexpr int kMaxLeewaySeconds = 3600;
constexpr std::size_t kMaxInspectBytes = 256 * 1024;

std::unexpected<Error> invalid(std::string detail, const char* reason) {
  return fail(ErrorCode::kTokenInvalid, std::move(detail), reason);
}

struct Parts {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
  std::string_view signing_input;  // header '.' payload, exactly as received
};

std::optional<Parts> split(std::string_view token) noexcept {
  const auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) return std::nullopt;
  Parts p;
  p.header = token.substr(0, first);
  p.payload = token.substr(first + 1, second - first - 1);
  p.signature = token.substr(second + 1);
  p.signing_input = token.substr(0, second);
  if (p.header.empty() || p.payload.empty()) return std::nullopt;
  return p;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  return std::ranges::equal(a, b, [](char x, char y) {
    const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    return lower(x) == lower(y);
  });
}

Result<json> decode_part(std::string_view b64, const char* what) {
  std::string bytes;
  if (!base64url_decode_into(b64, bytes)) return invalid(std::string(what) + " is not base64url", "malformed");
  auto doc = parse_json_object(bytes, kPartLimits);
  if (!doc) return invalid(std::string(what) + " is not a JSON object", "malformed");
  return doc;
}

bool typ_accepted(std::string_view typ) noexcept {
  // RFC 7519 §5.1 and RFC 9068 §2.1; media types compare case-insensitively.
  constexpr std::array<std::string_view, 4> kAccepted = {"JWT", "at+jwt", "application/jwt", "application/at+jwt"};
  return std::ranges::any_of(kAccepted, [typ](std::string_view a) { return iequals(a, typ); });
}

struct HeaderFacts {
  const JwsAlgorithm* alg = nullptr;
  std::string kid;
};

Result<HeaderFacts> check_header(const json& header, const JwtPolicy& policy) {
  const json* alg = find_field(header, "alg");
  if (alg == nullptr || !alg->is_string()) return invalid("header has no alg", "malformed");
  const auto& name = alg->get_ref<const std::string&>();
  // none and HMAC are refused before the allow-list is even consulted: an HS* token
  // "verified" with a public key as the secret is the classic confusion attack.
  if (iequals(name, "none") || (name.size() >= 2 && iequals(name.substr(0, 2), "HS"))) {
    return invalid("alg none or HMAC is never accepted", "algorithm_refused");
  }
  const JwsAlgorithm* a = find_jws_algorithm(name);
  if (a == nullptr || std::ranges::find(policy.algorithms, name) == policy.algorithms.end()) {
    return invalid("alg not in the allow-list", "algorithm_refused");
  }
  if (const json* crit = find_field(header, "crit"); crit != nullptr) {
    if (!crit->is_array() || crit->empty()) return invalid("crit is not a non-empty array", "malformed");
    // We implement no JWS extension, so every critical one is unknown (RFC 7515 §4.1.11).
    return invalid("header marks an unsupported extension critical", "unknown_crit");
  }
  if (const json* typ = find_field(header, "typ"); typ != nullptr) {
    if (!typ->is_string() || !typ_accepted(typ->get_ref<const std::string&>())) {
      return invalid("typ is not JWT or at+jwt", "malformed");
    }
  }
  HeaderFacts facts{a, {}};
  if (const json* kid = find_field(header, "kid"); kid != nullptr) {
    if (!kid->is_string()) return invalid("kid is not a string", "malformed");
    facts.kid = kid->get_ref<const std::string&>();
  }
  return facts;
}

Result<const Jwk*> choose_key(const JwkSet& keys, const HeaderFacts& facts) {
  if (const Jwk* key = keys.find(facts.kid, facts.alg->name); key != nullptr) return key;
  if (facts.kid.empty()) return invalid("no kid and no single key fits the alg", "unknown_key");
  if (keys.has_kid(facts.kid)) return invalid("the key named by kid does not fit the alg", "wrong_key_type");
  return invalid("no key with this kid", "unknown_key");
}

// A NumericDate claim: absent → nullopt; present → an integer within [0, kMaxUnixTime].
Result<std::optional<std::int64_t>> time_claim(const json& claims, std::string_view name) {
  auto v = read_optional_int64(claims, name, 0, kMaxUnixTime);
  if (!v) return invalid(v.error().detail, "bad_claim");
  return v;
}

Result<std::int64_t> check_times(const json& claims, const JwtPolicy& policy, std::int64_t now) {
  const std::int64_t leeway = std::clamp(policy.leeway_seconds, 0, kMaxLeewaySeconds);
  auto exp = time_claim(claims, "exp");
  auto nbf = time_claim(claims, "nbf");
  auto iat = time_claim(claims, "iat");
  auto auth_time = time_claim(claims, "auth_time");
  if (!exp) return std::unexpected(exp.error());
  if (!nbf) return std::unexpected(nbf.error());
  if (!iat) return std::unexpected(iat.error());
  if (!auth_time) return std::unexpected(auth_time.error());
  if (!exp->has_value()) return invalid("exp missing", "bad_claim");
  if (now >= **exp + leeway) return invalid("token expired", "expired");
  if (nbf->has_value() && **nbf > now + leeway) return invalid("token not valid yet (nbf)", "not_yet_valid");
  if (iat->has_value() && **iat > now + leeway) return invalid("token issued in the future (iat)", "issued_in_future");
  return **exp;
}

// A claim that must be a string when present, read in place: nullptr when absent.
Result<const std::string*> optional_string_claim(const json& claims, std::string_view name) {
  const json* v = find_field(claims, name);
  if (v == nullptr) return static_cast<const std::string*>(nullptr);
  if (!v->is_string()) return invalid(std::string(name) + ": not a string", "bad_claim");
  return &v->get_ref<const std::string&>();
}

// iss, aud, azp and sub, compared where they lie in the document (no copies per token).
Result<Ok> check_parties(const json& claims, const JwtPolicy& policy) {
  auto iss = optional_string_claim(claims, "iss");
  if (!iss) return std::unexpected(iss.error());
  if (*iss == nullptr || **iss != policy.issuer) return invalid("iss does not match the issuer", "wrong_issuer");

  // RFC 7519 §4.1.3: aud is one string or an array of strings.
  std::size_t aud_count = 0;
  bool accepted = false;
  const auto consider = [&](const json& a) {
    ++aud_count;
    accepted = accepted || std::ranges::find(policy.audiences, a.get_ref<const std::string&>()) != policy.audiences.end();
  };
  if (const json* aud = find_field(claims, "aud"); aud != nullptr) {
    if (aud->is_string()) {
      consider(*aud);
    } else if (aud->is_array()) {
      for (const auto& a : *aud) {
        if (!a.is_string()) return invalid("aud: array holds a non-string", "bad_claim");
        consider(a);
      }
    } else {
      return invalid("aud: not a string or an array of strings", "bad_claim");
    }
  }
  auto azp = optional_string_claim(claims, "azp");
  if (!azp) return std::unexpected(azp.error());
  if (!policy.audiences.empty()) {
    if (aud_count == 0) return invalid("aud missing", "missing_audience");
    if (!accepted) return invalid("aud holds no accepted audience", "wrong_audience");
  }
  // OIDC Core §3.1.3.7: with several audiences azp must name us; when present it must anyway.
  if (!policy.authorized_party.empty() && (aud_count > 1 || *azp != nullptr)) {
    if (*azp == nullptr || **azp != policy.authorized_party) {
      return invalid("azp does not name the authorized party", "azp_mismatch");
    }
  }
  if (const json* sub = find_field(claims, "sub"); sub != nullptr && !sub->is_string()) {
    return invalid("sub is not a string", "bad_claim");
  }
  return Ok{};
}

}  // namespace

Result<VerifiedJwt> verify_jwt(std::string_view token, const JwkSet& keys, const JwtPolicy& policy,
                               const Clock& clock) {
  if (token.size() > policy.max_token_bytes) return invalid("token larger than the cap", "too_large");
  if (policy.issuer.empty()) return fail(ErrorCode::kMisconfigured, "JWT policy has no issuer");
  const auto parts = split(token);
  if (!parts) return invalid("not three non-empty dot-separated parts", "malformed");

  // The parsed header may be remembered from an earlier verified token (header_memo.hpp);
  // every check below runs on it all the same.
  HeaderMemo* memo = keys.header_memo();
  std::shared_ptr<const json> header = memo != nullptr ? memo->find(parts->header) : nullptr;
  const bool remembered = header != nullptr;
  if (!remembered) {
    auto parsed = decode_part(parts->header, "header");
    if (!parsed) return std::unexpected(parsed.error());
    header = std::make_shared<const json>(std::move(*parsed));
  }
  auto facts = check_header(*header, policy);
  if (!facts) return std::unexpected(facts.error());
  std::string payload;
  std::string signature;
  if (!base64url_decode_into(parts->payload, payload)) return invalid("payload is not base64url", "malformed");
  if (!base64url_decode_into(parts->signature, signature)) return invalid("signature is not base64url", "malformed");

  auto key = choose_key(keys, *facts);
  if (!key) return std::unexpected(key.error());
  if (auto ok = verify_jws_signature(**key, *facts->alg, parts->signing_input, signature); !ok) {
    return std::unexpected(ok.error());
  }
  if (memo != nullptr && !remembered) memo->add(parts->header, header);

  auto claims = parse_json_object(payload, kPartLimits);
  if (!claims) return invalid("payload is not a JSON object", "malformed");
  auto exp = check_times(*claims, policy, clock.now_unix());
  if (!exp) return std::unexpected(exp.error());
  if (auto ok = check_parties(*claims, policy); !ok) return std::unexpected(ok.error());

  VerifiedJwt out;
  out.header = std::move(header);
  out.claims = std::move(*claims);
  out.alg = std::string(facts->alg->name);
  out.kid = std::move(facts->kid);
  out.exp = *exp;
  return out;
}

bool looks_like_jwt(std::string_view token) noexcept {
  try {
    const auto parts = split(token);
    if (!parts || !is_base64url(parts->payload) || !is_base64url(parts->signature)) return false;
    auto header = decode_part(parts->header, "header");
    if (!header) return false;
    const json* alg = find_field(*header, "alg");
    return alg != nullptr && alg->is_string();
  } catch (...) {  // bad_alloc: "no" is the safe answer for a noexcept predicate
    return false;
  }
}

bool has_compact_jws_shape(std::string_view token) noexcept {
  const auto parts = split(token);
  return parts && is_base64url(parts->payload) && is_base64url(parts->signature);
}

Result<UnverifiedJwt> decode_jwt_unverified(std::string_view token) {
  // Looser than the verification cap so an oversized token can still be inspected.
  if (token.size() > kMaxInspectBytes) return invalid("token larger than the inspection cap", "too_large");
  const auto parts = split(token);
  if (!parts || !is_base64url(parts->signature)) return invalid("not a compact JWS", "malformed");
  auto header = decode_part(parts->header, "header");
  if (!header) return std::unexpected(header.error());
  auto claims = decode_part(parts->payload, "payload");
  if (!claims) return std::unexpected(claims.error());
  return UnverifiedJwt{std::move(*header), std::move(*claims)};
}

}  // namespace oidc_sysauth
