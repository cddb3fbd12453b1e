// Internal to common/jose: the JWS algorithm table and signature check shared by
// jwk.cpp (which keys fit which alg) and jwt.cpp (verify_jwt).
#pragma once

#include <cstddef>
#include <string_view>

#include "jose/jwt.hpp"
#include "result.hpp"

namespace oidc_sysauth {

enum class JwsFamily { kRsaPkcs1, kRsaPss, kEcdsa, kEdDsa };

struct JwsAlgorithm {
  std::string_view name;    // "RS256", ...
  JwsFamily family;
  const char* digest;       // OpenSSL digest name; nullptr for EdDSA (hashes internally)
  std::size_t digest_size;  // PSS salt length; 0 for EdDSA
  std::string_view kty;     // key type it needs
  std::string_view crv;     // curve it needs (EC/OKP), empty for RSA
  std::size_t coord_size;   // ECDSA: bytes of R (and of S); Ed25519: 32; RSA: 0
};

// The algorithms this build can verify. HS*, none and anything unknown give nullptr:
// they are refused whatever the configured allow-list says.
const JwsAlgorithm* find_jws_algorithm(std::string_view name) noexcept;

// kty/crv (and the key's own "alg", when it names one) fit `alg`.
bool key_fits(const Jwk& key, const JwsAlgorithm& alg) noexcept;

// Builds Jwk::prepared for an imported key: one slot per algorithm the key fits, whose
// OpenSSL state is set up on the first token that uses it (then shared by every thread).
// Null when the key fits no algorithm (verification then works per call).
std::shared_ptr<const void> prepare_verifiers(const Jwk& key);

// Checks `signature` (the decoded third part) over `signing_input` (the first two parts
// and their dot, exactly as received). ECDSA signatures must be raw R||S of exactly
// 2 * coord_size bytes; RSA ones exactly the modulus size. Any mismatch is
// kTokenInvalid/"bad_signature"; an OpenSSL allocation failure is kNoMemory.
Result<Ok> verify_jws_signature(const Jwk& key, const JwsAlgorithm& alg, std::string_view signing_input,
                                std::string_view signature);

}  // namespace oidc_sysauth
