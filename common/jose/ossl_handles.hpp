// RAII owners for the OpenSSL handles the JOSE code uses (STYLE.md rule 5).
// Internal to common/jose: headers seen by the faces keep OpenSSL out.
#pragma once

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>

namespace oidc_sysauth::ossl {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const noexcept { BN_free(p); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* p) const noexcept { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const noexcept { OSSL_PARAM_free(p); }
};

using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using Bignum = std::unique_ptr<BIGNUM, BnFree>;
using ParamBld = std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree>;
using Params = std::unique_ptr<OSSL_PARAM, ParamFree>;

// The EVP_PKEY held by a Jwk (Jwk::key is a shared_ptr<void> to keep OpenSSL out of jwt.hpp).
inline EVP_PKEY* as_pkey(const std::shared_ptr<void>& key) noexcept { return static_cast<EVP_PKEY*>(key.get()); }

// Takes ownership of `pkey` for a Jwk.
inline std::shared_ptr<void> share_pkey(Pkey pkey) {
  return std::shared_ptr<void>(pkey.release(), [](void* p) { EVP_PKEY_free(static_cast<EVP_PKEY*>(p)); });
}

}  // namespace oidc_sysauth::ossl
