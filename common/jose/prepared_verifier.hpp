// Internal to common/jose: one (key, alg) pair's OpenSSL verification state, built once
// when the JWKS is imported so that no token pays OpenSSL's algorithm fetches again.
//
// RSASSA-PKCS1-v1_5 and ECDSA verify a digest: the signing input is hashed with a digest
// fetched once, and the signature checked with EVP_PKEY_verify on a context taken from a
// small pool (an EVP_PKEY_CTX is not safe for two threads at once; duplicating one per
// token costs more than the rest of the bookkeeping). PSS and EdDSA keep a DigestVerify
// template that each token copies. The checks themselves are OpenSSL's, unchanged.
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "jose/jws.hpp"
#include "jose/ossl_handles.hpp"

namespace oidc_sysauth {

class PreparedVerifier {
 public:
  // Null when OpenSSL refuses to set the pair up (the caller then verifies per call).
  static std::unique_ptr<PreparedVerifier> create(EVP_PKEY* pkey, const JwsAlgorithm& alg);

  [[nodiscard]] const JwsAlgorithm& alg() const noexcept { return alg_; }

  // 1: the signature verifies; 0: it does not; -1: OpenSSL could not run the check
  // (allocation). `sig` is what OpenSSL expects (DER for ECDSA).
  int verify(const unsigned char* sig, std::size_t sig_len, std::string_view signing_input) const;

  ~PreparedVerifier();
  PreparedVerifier(const PreparedVerifier&) = delete;
  PreparedVerifier& operator=(const PreparedVerifier&) = delete;

 private:
  explicit PreparedVerifier(const JwsAlgorithm& alg) : alg_(alg) {}
  int verify_digest(const unsigned char* sig, std::size_t sig_len, std::string_view signing_input) const;
  int verify_streaming(const unsigned char* sig, std::size_t sig_len, std::string_view signing_input) const;
  [[nodiscard]] ossl::PkeyCtx take_context() const;
  void give_back(ossl::PkeyCtx ctx) const;

  static constexpr std::size_t kMaxIdle = 16;  // enough for slapd's worker threads

  const JwsAlgorithm& alg_;
  EVP_MD* md_ = nullptr;          // digest-then-verify families: fetched once
  ossl::PkeyCtx template_;        // verify_init'ed, md and padding set; only ever duplicated
  ossl::MdCtx streaming_;         // PSS / EdDSA: DigestVerify template, copied per token
  mutable std::mutex mutex_;
  mutable std::vector<ossl::PkeyCtx> idle_;
};

}  // namespace oidc_sysauth
