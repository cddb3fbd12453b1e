#include "jose/prepared_verifier.hpp"

#include <openssl/err.h>
#include <openssl/rsa.h>

namespace oidc_sysauth {
namespace {

bool digest_then_verify(const JwsAlgorithm& alg) noexcept {
  return alg.family == JwsFamily::kRsaPkcs1 || alg.family == JwsFamily::kEcdsa;
}

// EVP_DigestVerifyInit plus the PSS parameters (RFC 7518 §3.5: MGF1 with the same hash,
// salt as long as the hash).
bool init_streaming(EVP_MD_CTX* ctx, EVP_PKEY* pkey, const JwsAlgorithm& alg) {
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (EVP_DigestVerifyInit_ex(ctx, &pctx, alg.digest, nullptr, nullptr, pkey, nullptr) != 1) return false;
  if (alg.family != JwsFamily::kRsaPss) return true;
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, static_cast<int>(alg.digest_size)) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, alg.digest, nullptr) == 1;
}

}  // namespace

std::unique_ptr<PreparedVerifier> PreparedVerifier::create(EVP_PKEY* pkey, const JwsAlgorithm& alg) {
  std::unique_ptr<PreparedVerifier> v(new PreparedVerifier(alg));
  if (digest_then_verify(alg)) {
    v->md_ = EVP_MD_fetch(nullptr, alg.digest, nullptr);
    v->template_.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
    if (v->md_ == nullptr || !v->template_ || EVP_PKEY_verify_init(v->template_.get()) != 1 ||
        EVP_PKEY_CTX_set_signature_md(v->template_.get(), v->md_) != 1 ||
        (alg.family == JwsFamily::kRsaPkcs1 &&
         EVP_PKEY_CTX_set_rsa_padding(v->template_.get(), RSA_PKCS1_PADDING) != 1))
      return nullptr;
    return v;
  }
  v->streaming_.reset(EVP_MD_CTX_new());
  if (!v->streaming_ || !init_streaming(v->streaming_.get(), pkey, alg)) return nullptr;
  return v;
}

PreparedVerifier::~PreparedVerifier() { EVP_MD_free(md_); }

int PreparedVerifier::verify(const unsigned char* sig, std::size_t sig_len, std::string_view signing_input) const {
  return digest_then_verify(alg_) ? verify_digest(sig, sig_len, signing_input)
                                  : verify_streaming(sig, sig_len, signing_input);
}

int PreparedVerifier::verify_digest(const unsigned char* sig, std::size_t sig_len,
                                    std::string_view signing_input) const {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(signing_input.data(), signing_input.size(), digest, &digest_len, md_, nullptr) != 1) return -1;
  ossl::PkeyCtx ctx = take_context();
  if (!ctx) return -1;
  const int rc = EVP_PKEY_verify(ctx.get(), sig, sig_len, digest, digest_len);
  give_back(std::move(ctx));
  return rc == 1 ? 1 : 0;
}

int PreparedVerifier::verify_streaming(const unsigned char* sig, std::size_t sig_len,
                                       std::string_view signing_input) const {
  ossl::MdCtx ctx(EVP_MD_CTX_new());
  // Copying only reads the template, so threads may share it.
  if (!ctx || EVP_MD_CTX_copy_ex(ctx.get(), streaming_.get()) != 1) return -1;
  const int rc = EVP_DigestVerify(ctx.get(), sig, sig_len, reinterpret_cast<const unsigned char*>(signing_input.data()),
                                  signing_input.size());
  return rc == 1 ? 1 : 0;
}

ossl::PkeyCtx PreparedVerifier::take_context() const {
  {
    const std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      ossl::PkeyCtx ctx = std::move(idle_.back());
      idle_.pop_back();
      return ctx;
    }
  }
  return ossl::PkeyCtx(EVP_PKEY_CTX_dup(template_.get()));
}

void PreparedVerifier::give_back(ossl::PkeyCtx ctx) const {
  // A failed verify leaves entries on this thread's OpenSSL error queue (cleared by the
  // caller); the context itself stays reusable, as EVP_PKEY_verify(3) allows.
  const std::lock_guard lock(mutex_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(ctx));
}

}  // namespace oidc_sysauth
