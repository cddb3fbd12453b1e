// JWS/JWT verification on OpenSSL 3 EVP. Implementation: common/jose/*.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "clock.hpp"
#include "result.hpp"

namespace oidc_sysauth {

class Logger;

// One public key from a JWKS, imported once (never re-parsed per token).
struct Jwk {
  std::string kid;
  std::string kty;  // RSA, EC, OKP
  std::string use;  // "sig" or empty
  std::string alg;  // may be empty
  std::string crv;  // EC/OKP curve
  std::shared_ptr<void> key;  // EVP_PKEY*, freed by EVP_PKEY_free (opaque here to keep OpenSSL out of headers)
  // Verification state per alg the key fits, set up once on first use and shared, so no
  // token pays OpenSSL's algorithm lookups again. Internal to common/jose; when null,
  // contexts are built per call.
  std::shared_ptr<const void> prepared;
};

// Parsed JOSE headers of tokens already verified against one key set (see jwt.cpp).
class HeaderMemo;

class JwkSet {
 public:
  // Parses {"keys":[...]}. Keys that are unusable (RSA < 2048 bits, unknown kty/crv,
  // use != sig, private parts only) are skipped and reported to `log` if given; a set
  // with no usable key, or input that is not a JWKS, is an error (kBadResponse).
  static Result<JwkSet> parse(std::string_view json, Logger* log = nullptr);

  // The key for (kid, alg): kid must match when the token has one; kty/crv must fit alg.
  // nullptr when none matches.
  [[nodiscard]] const Jwk* find(std::string_view kid, std::string_view alg) const noexcept;
  [[nodiscard]] bool has_kid(std::string_view kid) const noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return keys_.size(); }
  [[nodiscard]] const std::vector<Jwk>& keys() const noexcept { return keys_; }
  // Shared by every thread verifying against this set; null for a default-constructed set.
  [[nodiscard]] HeaderMemo* header_memo() const noexcept { return header_memo_.get(); }

 private:
  std::vector<Jwk> keys_;
  std::shared_ptr<HeaderMemo> header_memo_;
};

struct JwtPolicy {
  std::string issuer;                   // exact match
  std::vector<std::string> audiences;   // token aud must contain one; empty: aud not checked
  std::string authorized_party;         // when set and aud has several values, azp must equal it
  std::vector<std::string> algorithms;  // allow-list; none/HS* are refused whatever it says
  int leeway_seconds = 60;
  std::size_t max_token_bytes = 16 * 1024;
};

struct VerifiedJwt {
  std::shared_ptr<const nlohmann::json> header;  // never null; may be shared with other tokens
  nlohmann::json claims;
  std::string alg;
  std::string kid;
  std::int64_t exp = 0;
};

// Errors are ErrorCode::kTokenInvalid with Error::reason one of:
//   malformed, too_large, algorithm_refused, unknown_key, wrong_key_type, bad_signature,
//   expired, not_yet_valid, issued_in_future, wrong_issuer, wrong_audience,
//   missing_audience, azp_mismatch, unknown_crit, bad_claim
// "unknown_key" tells the caller one (rate-limited) JWKS refetch may help.
Result<VerifiedJwt> verify_jwt(std::string_view token, const JwkSet& keys, const JwtPolicy& policy,
                               const Clock& clock);

// Three base64url parts separated by dots, header decodes to a JSON object with "alg".
bool looks_like_jwt(std::string_view token) noexcept;
// The part of looks_like_jwt that needs no decoding: three dot-separated parts, payload and
// signature base64url. A token verify_jwt accepts and that has this shape looks like a JWT,
// so hot paths verify first and call looks_like_jwt only when verification fails.
bool has_compact_jws_shape(std::string_view token) noexcept;

// For `oidc-sysauth token inspect` only: decodes header and claims WITHOUT verifying.
struct UnverifiedJwt {
  nlohmann::json header;
  nlohmann::json claims;
};
Result<UnverifiedJwt> decode_jwt_unverified(std::string_view token);

}  // namespace oidc_sysauth
