// JWS signature verification on OpenSSL 3 EVP (compact serialization, public keys only).
#include "jose/jws.hpp"

#include <openssl/err.h>
#include <openssl/rsa.h>

#include <array>
#include <memory>
#include <mutex>
#include <vector>

#include "jose/ossl_handles.hpp"
#include "jose/prepared_verifier.hpp"

namespace oidc_sysauth {
namespace {

constexpr JwsAlgorithm kAlgorithms[] = {
    {"RS256", JwsFamily::kRsaPkcs1, "SHA256", 32, "RSA", "", 0},
    {"RS384", JwsFamily::kRsaPkcs1, "SHA384", 48, "RSA", "", 0},
    {"RS512", JwsFamily::kRsaPkcs1, "SHA512", 64, "RSA", "", 0},
    {"PS256", JwsFamily::kRsaPss, "SHA256", 32, "RSA", "", 0},
    {"PS384", JwsFamily::kRsaPss, "SHA384", 48, "RSA", "", 0},
    {"PS512", JwsFamily::kRsaPss, "SHA512", 64, "RSA", "", 0},
    {"ES256", JwsFamily::kEcdsa, "SHA256", 32, "EC", "P-256", 32},
    {"ES384", JwsFamily::kEcdsa, "SHA384", 48, "EC", "P-384", 48},
    {"ES512", JwsFamily::kEcdsa, "SHA512", 64, "EC", "P-521", 66},
    {"EdDSA", JwsFamily::kEdDsa, nullptr, 0, "OKP", "Ed25519", 32},
};

// DER for ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }, built from raw R||S.
// P-521 is the largest: 2 * (66 + 1 sign byte + 2 header) + 3 = 141 bytes.
constexpr std::size_t kMaxDerSig = 160;

std::size_t der_integer(const unsigned char* value, std::size_t size, unsigned char* out) {
  while (size > 1 && value[0] == 0) {  // minimal encoding: no leading zero bytes
    ++value;
    --size;
  }
  const bool pad = (value[0] & 0x80) != 0;  // keep it positive
  const std::size_t len = size + (pad ? 1 : 0);
  std::size_t o = 0;
  out[o++] = 0x02;
  out[o++] = static_cast<unsigned char>(len);  // len <= 67 < 128: short form
  if (pad) out[o++] = 0x00;
  for (std::size_t i = 0; i < size; ++i) out[o++] = value[i];
  return o;
}

std::size_t raw_to_der(std::string_view raw, std::size_t coord, std::array<unsigned char, kMaxDerSig>& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  std::array<unsigned char, kMaxDerSig> body{};
  std::size_t n = der_integer(p, coord, body.data());
  n += der_integer(p + coord, coord, body.data() + n);
  std::size_t o = 0;
  der[o++] = 0x30;
  if (n >= 0x80) {  // only P-521 reaches long form
    der[o++] = 0x81;
  }
  der[o++] = static_cast<unsigned char>(n);
  for (std::size_t i = 0; i < n; ++i) der[o++] = body[i];
  return o;
}

std::unexpected<Error> bad_signature(std::string detail) {
  // A failed verify leaves entries on this thread's OpenSSL error queue; the host process
  // (curl, sshd) must not find them later.
  ERR_clear_error();
  return fail(ErrorCode::kTokenInvalid, std::move(detail), "bad_signature");
}

// The expected signature size for this key and alg, checked before any crypto so a
// truncated or DER-wrapped signature is refused for what it is.
bool signature_size_ok(EVP_PKEY* pkey, const JwsAlgorithm& alg, std::size_t size) noexcept {
  switch (alg.family) {
    case JwsFamily::kRsaPkcs1:
    case JwsFamily::kRsaPss:
      return size == static_cast<std::size_t>(EVP_PKEY_get_size(pkey));
    case JwsFamily::kEcdsa:
      return size == 2 * alg.coord_size;
    case JwsFamily::kEdDsa:
      return size == 64;
  }
  return false;
}

// One (key, alg) pair's verifier, set up on first use: a process that forks per login
// (sshd) verifies one or two algorithms, not every one each key of the JWKS fits.
struct PreparedSlot {
  const JwsAlgorithm* alg = nullptr;
  std::once_flag once;
  std::unique_ptr<PreparedVerifier> verifier;  // null when OpenSSL refused the pair
};
using PreparedSet = std::vector<std::unique_ptr<PreparedSlot>>;

const PreparedVerifier* find_prepared(const Jwk& key, EVP_PKEY* pkey, const JwsAlgorithm& alg) {
  const auto* set = static_cast<const PreparedSet*>(key.prepared.get());
  if (set == nullptr) return nullptr;
  for (const auto& slot : *set) {
    if (slot->alg != &alg) continue;
    std::call_once(slot->once, [&] {
      slot->verifier = PreparedVerifier::create(pkey, alg);
      if (!slot->verifier) ERR_clear_error();
    });
    return slot->verifier.get();
  }
  return nullptr;
}

}  // namespace

std::shared_ptr<const void> prepare_verifiers(const Jwk& key) {
  if (ossl::as_pkey(key.key) == nullptr) return nullptr;
  auto set = std::make_shared<PreparedSet>();
  for (const auto& alg : kAlgorithms) {
    if (!key_fits(key, alg)) continue;
    auto slot = std::make_unique<PreparedSlot>();
    slot->alg = &alg;
    set->push_back(std::move(slot));
  }
  if (set->empty()) return nullptr;
  return set;
}

const JwsAlgorithm* find_jws_algorithm(std::string_view name) noexcept {
  for (const auto& a : kAlgorithms) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

bool key_fits(const Jwk& key, const JwsAlgorithm& alg) noexcept {
  if (!key.key || key.kty != alg.kty) return false;
  if (!alg.crv.empty() && key.crv != alg.crv) return false;
  return key.alg.empty() || key.alg == alg.name;
}

Result<Ok> verify_jws_signature(const Jwk& key, const JwsAlgorithm& alg, std::string_view signing_input,
                                std::string_view signature) {
  EVP_PKEY* pkey = ossl::as_pkey(key.key);
  if (pkey == nullptr || !key_fits(key, alg)) return fail(ErrorCode::kTokenInvalid, "key does not fit alg", "wrong_key_type");
  if (!signature_size_ok(pkey, alg, signature.size())) return bad_signature("signature has the wrong length");

  std::array<unsigned char, kMaxDerSig> der{};
  const auto* sig = reinterpret_cast<const unsigned char*>(signature.data());
  std::size_t sig_len = signature.size();
  if (alg.family == JwsFamily::kEcdsa) {
    sig_len = raw_to_der(signature, alg.coord_size, der);
    sig = der.data();
  }

  // Keys imported by JwkSet::parse carry prepared verifiers; anything else sets one up here.
  std::unique_ptr<PreparedVerifier> one_off;
  const PreparedVerifier* verifier = find_prepared(key, pkey, alg);
  if (verifier == nullptr) {
    one_off = PreparedVerifier::create(pkey, alg);
    verifier = one_off.get();
  }
  const int rc = verifier == nullptr ? -1 : verifier->verify(sig, sig_len, signing_input);
  if (rc < 0) return bad_signature("verification could not start");
  if (rc != 1) return bad_signature("signature does not verify");
  return Ok{};
}

}  // namespace oidc_sysauth
