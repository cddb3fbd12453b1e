// TEST-ONLY JWT signer: makes keys, JWKS documents and tokens (valid and forged) with
// OpenSSL directly, independently of the code under test (its own base64url, its own
// signing), so a bug in common/jose cannot hide itself by being mirrored here.
//
//   auto rsa = ForgeKey::generate(ForgeKeyType::kRsa2048, "rsa-1");   // or fixture_key("rsa2048-a", "rsa-1")
//   std::string jwks = jwks_json({&rsa});
//   json claims = standard_claims("https://idp", "client", now);
//   std::string tok = sign_jwt(rsa, {{"alg", "RS256"}, {"kid", "rsa-1"}}, claims);
//   std::string hs = sign_hmac_jwt("HS256", rsa.public_pem(), header, claims);  // confusion attack
//
// Namespace oidc_sysauth::forge (not "testing": that would shadow gtest's inside oidc_sysauth).
// Header-only; needs OpenSSL 3 (libcrypto) and nlohmann_json. Not for production use:
// errors throw std::runtime_error, which is what a test wants.
#pragma once

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace oidc_sysauth::forge {

enum class ForgeKeyType { kRsa2048, kRsa1024, kRsa3072, kP256, kP384, kP521, kEd25519 };

namespace forge_detail {

inline void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("token_forge: ") + what);
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const noexcept { BIO_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const noexcept { BN_free(p); }
};
struct SigFree {
  void operator()(ECDSA_SIG* p) const noexcept { ECDSA_SIG_free(p); }
};

inline std::string bn_bytes(const EVP_PKEY* pkey, const char* param, int pad_to = 0) {
  BIGNUM* raw = nullptr;
  check(EVP_PKEY_get_bn_param(pkey, param, &raw) == 1, "get_bn_param");
  std::unique_ptr<BIGNUM, BnFree> bn(raw);
  const int size = pad_to > 0 ? pad_to : BN_num_bytes(bn.get());
  std::string out(static_cast<std::size_t>(size), '\0');
  check(BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), size) == size, "bn2binpad");
  return out;
}

// JOSE digest name for an alg, nullptr for EdDSA.
inline const char* digest_for(std::string_view alg) {
  const std::string_view bits = alg.size() >= 3 ? alg.substr(alg.size() - 3) : alg;
  if (alg == "EdDSA") return nullptr;
  if (bits == "256") return "SHA256";
  if (bits == "384") return "SHA384";
  if (bits == "512") return "SHA512";
  throw std::runtime_error("token_forge: no digest for alg " + std::string(alg));
}

}  // namespace forge_detail

// Unpadded base64url, written independently of common/jose/base64url.cpp.
inline std::string b64url(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  return out;
}

class ForgeKey {
 public:
  static ForgeKey generate(ForgeKeyType type, std::string kid) {
    EVP_PKEY* raw = nullptr;
    switch (type) {
      case ForgeKeyType::kRsa2048: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}); break;
      case ForgeKeyType::kRsa1024: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024}); break;
      case ForgeKeyType::kRsa3072: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{3072}); break;
      case ForgeKeyType::kP256: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); break;
      case ForgeKeyType::kP384: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"); break;
      case ForgeKeyType::kP521: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521"); break;
      case ForgeKeyType::kEd25519: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
    }
    forge_detail::check(raw != nullptr, "keygen");
    ForgeKey key;
    key.type_ = type;
    key.kid_ = std::move(kid);
    key.pkey_ = std::shared_ptr<EVP_PKEY>(raw, forge_detail::PkeyFree{});
    return key;
  }

  // A private key from PEM text; the type is read from the key itself.
  static ForgeKey from_pem(std::string_view pem, std::string kid) {
    std::unique_ptr<BIO, forge_detail::BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    forge_detail::check(bio != nullptr, "BIO_new_mem_buf");
    EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
    forge_detail::check(raw != nullptr, "PEM_read_bio_PrivateKey");
    ForgeKey key;
    key.kid_ = std::move(kid);
    key.pkey_ = std::shared_ptr<EVP_PKEY>(raw, forge_detail::PkeyFree{});
    if (EVP_PKEY_is_a(raw, "RSA")) {
      const int bits = EVP_PKEY_get_bits(raw);
      key.type_ = bits <= 1024 ? ForgeKeyType::kRsa1024 : bits <= 2048 ? ForgeKeyType::kRsa2048 : ForgeKeyType::kRsa3072;
    } else if (EVP_PKEY_is_a(raw, "ED25519")) {
      key.type_ = ForgeKeyType::kEd25519;
    } else {
      const int bits = EVP_PKEY_get_bits(raw);
      key.type_ = bits == 256 ? ForgeKeyType::kP256 : bits == 384 ? ForgeKeyType::kP384 : ForgeKeyType::kP521;
    }
    return key;
  }

  [[nodiscard]] const std::string& kid() const noexcept { return kid_; }
  [[nodiscard]] ForgeKeyType type() const noexcept { return type_; }
  [[nodiscard]] EVP_PKEY* pkey() const noexcept { return pkey_.get(); }
  [[nodiscard]] bool is_rsa() const noexcept {
    return type_ == ForgeKeyType::kRsa2048 || type_ == ForgeKeyType::kRsa1024 || type_ == ForgeKeyType::kRsa3072;
  }
  // Bytes of R (and of S) for EC keys.
  [[nodiscard]] int ec_coord_size() const noexcept {
    return type_ == ForgeKeyType::kP256 ? 32 : type_ == ForgeKeyType::kP384 ? 48 : 66;
  }
  [[nodiscard]] std::string crv() const {
    switch (type_) {
      case ForgeKeyType::kP256: return "P-256";
      case ForgeKeyType::kP384: return "P-384";
      case ForgeKeyType::kP521: return "P-521";
      case ForgeKeyType::kEd25519: return "Ed25519";
      default: return "";
    }
  }
  // The alg an IdP would use with this key.
  [[nodiscard]] std::string default_alg() const {
    switch (type_) {
      case ForgeKeyType::kP256: return "ES256";
      case ForgeKeyType::kP384: return "ES384";
      case ForgeKeyType::kP521: return "ES512";
      case ForgeKeyType::kEd25519: return "EdDSA";
      default: return "RS256";
    }
  }

  // The public JWK: kid, use=sig and the public parameters; no alg (add one if a test wants it).
  [[nodiscard]] nlohmann::json public_jwk() const {
    using forge_detail::bn_bytes;
    nlohmann::json jwk{{"kid", kid_}, {"use", "sig"}};
    if (is_rsa()) {
      jwk["kty"] = "RSA";
      jwk["n"] = b64url(bn_bytes(pkey(), OSSL_PKEY_PARAM_RSA_N));
      jwk["e"] = b64url(bn_bytes(pkey(), OSSL_PKEY_PARAM_RSA_E));
    } else if (type_ == ForgeKeyType::kEd25519) {
      std::string x(32, '\0');
      std::size_t len = x.size();
      forge_detail::check(
          EVP_PKEY_get_raw_public_key(pkey(), reinterpret_cast<unsigned char*>(x.data()), &len) == 1, "raw key");
      jwk["kty"] = "OKP";
      jwk["crv"] = "Ed25519";
      jwk["x"] = b64url(x);
    } else {
      jwk["kty"] = "EC";
      jwk["crv"] = crv();
      jwk["x"] = b64url(bn_bytes(pkey(), OSSL_PKEY_PARAM_EC_PUB_X, ec_coord_size()));
      jwk["y"] = b64url(bn_bytes(pkey(), OSSL_PKEY_PARAM_EC_PUB_Y, ec_coord_size()));
    }
    return jwk;
  }

  // SubjectPublicKeyInfo PEM: what a confused verifier would use as an HMAC secret.
  [[nodiscard]] std::string public_pem() const {
    std::unique_ptr<BIO, forge_detail::BioFree> bio(BIO_new(BIO_s_mem()));
    forge_detail::check(bio && PEM_write_bio_PUBKEY(bio.get(), pkey()) == 1, "PEM_write_bio_PUBKEY");
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
  }

 private:
  ForgeKeyType type_ = ForgeKeyType::kRsa2048;
  std::string kid_;
  std::shared_ptr<EVP_PKEY> pkey_;
};

#ifdef OIDC_TEST_DATA_DIR
// One of the committed test keys in tests/data/jose/<name>.pem (rsa2048-a/b/c, rsa3072, rsa1024,
// p256-a/b, p384, p521, ed25519-a/b): instant, where generate() costs a second per RSA key.
inline ForgeKey fixture_key(std::string_view name, std::string kid) {
  const std::string path = std::string(OIDC_TEST_DATA_DIR) + "/jose/" + std::string(name) + ".pem";
  std::unique_ptr<BIO, forge_detail::BioFree> bio(BIO_new_file(path.c_str(), "r"));
  forge_detail::check(bio != nullptr, "open test key");
  std::string pem;
  char buf[4096];
  int n = 0;
  while ((n = BIO_read(bio.get(), buf, sizeof buf)) > 0) pem.append(buf, static_cast<std::size_t>(n));
  return ForgeKey::from_pem(pem, std::move(kid));
}
#endif

// {"keys":[...]} for these keys' public JWKs.
inline nlohmann::json jwks(const std::vector<const ForgeKey*>& keys) {
  nlohmann::json doc{{"keys", nlohmann::json::array()}};
  for (const ForgeKey* k : keys) doc["keys"].push_back(k->public_jwk());
  return doc;
}
inline std::string jwks_json(const std::vector<const ForgeKey*>& keys) { return jwks(keys).dump(); }

// ECDSA signatures: JOSE wants raw R||S; kDer emits what OpenSSL produces (a forgery shape).
enum class EcdsaForm { kRaw, kDer };

// Signs `signing_input` with `key` as `alg` says (RS*, PS*, ES*, EdDSA). Returns raw bytes.
inline std::string sign_bytes(const ForgeKey& key, std::string_view alg, std::string_view signing_input,
                              EcdsaForm form = EcdsaForm::kRaw) {
  using forge_detail::check;
  std::unique_ptr<EVP_MD_CTX, forge_detail::MdCtxFree> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  check(ctx && EVP_DigestSignInit_ex(ctx.get(), &pctx, forge_detail::digest_for(alg), nullptr, nullptr, key.pkey(),
                                     nullptr) == 1,
        "DigestSignInit");
  if (alg.substr(0, 2) == "PS") {
    check(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
              EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1,
          "PSS params");
  }
  const auto* in = reinterpret_cast<const unsigned char*>(signing_input.data());
  std::size_t len = 0;
  check(EVP_DigestSign(ctx.get(), nullptr, &len, in, signing_input.size()) == 1, "DigestSign size");
  std::string sig(len, '\0');
  check(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in, signing_input.size()) == 1,
        "DigestSign");
  sig.resize(len);
  if (alg.substr(0, 2) != "ES" || form == EcdsaForm::kDer) return sig;
  const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
  std::unique_ptr<ECDSA_SIG, forge_detail::SigFree> es(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
  check(es != nullptr, "d2i_ECDSA_SIG");
  const int coord = key.ec_coord_size();
  std::string raw(static_cast<std::size_t>(2 * coord), '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  check(BN_bn2binpad(ECDSA_SIG_get0_r(es.get()), out, coord) == coord &&
            BN_bn2binpad(ECDSA_SIG_get0_s(es.get()), out + coord, coord) == coord,
        "bn2binpad");
  return raw;
}

// A compact JWS over arbitrary header and payload BYTES (need not be JSON), signed with `alg`.
inline std::string sign_compact(const ForgeKey& key, std::string_view alg, std::string_view header_bytes,
                                std::string_view payload_bytes, EcdsaForm form = EcdsaForm::kRaw) {
  std::string input = b64url(header_bytes) + "." + b64url(payload_bytes);
  const std::string sig = sign_bytes(key, alg, input, form);
  return input + "." + b64url(sig);
}

// A JWT: header must carry "alg" (the forge signs with whatever it names, lies included only
// if the key can do it); add "kid" yourself when the test wants one.
inline std::string sign_jwt(const ForgeKey& key, const nlohmann::json& header, const nlohmann::json& claims,
                            EcdsaForm form = EcdsaForm::kRaw) {
  return sign_compact(key, header.at("alg").get<std::string>(), header.dump(), claims.dump(), form);
}

// HS256/384/512 with `secret` as the HMAC key (e.g. a public key's PEM: the confusion attack).
inline std::string sign_hmac_jwt(std::string_view alg, std::string_view secret, const nlohmann::json& header,
                                 const nlohmann::json& claims) {
  nlohmann::json h = header;
  h["alg"] = alg;
  const std::string input = b64url(h.dump()) + "." + b64url(claims.dump());
  const char* md_name = forge_detail::digest_for(alg);
  const EVP_MD* md = std::string_view(md_name) == "SHA256"   ? EVP_sha256()
                     : std::string_view(md_name) == "SHA384" ? EVP_sha384()
                                                             : EVP_sha512();
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  forge_detail::check(HMAC(md, secret.data(), static_cast<int>(secret.size()),
                           reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_len) != nullptr,
                      "HMAC");
  return input + "." + b64url(std::string_view(reinterpret_cast<const char*>(mac), mac_len));
}

// alg "none" with an empty signature, as RFC 7519 §6 spells an unsecured JWT.
inline std::string unsecured_jwt(const nlohmann::json& claims, std::string_view alg = "none") {
  return b64url(nlohmann::json{{"alg", alg}}.dump()) + "." + b64url(claims.dump()) + ".";
}

// Claims an IdP would issue: iss, sub, aud, iat = now, exp = now + 300.
inline nlohmann::json standard_claims(std::string_view issuer, std::string_view audience, std::int64_t now) {
  return nlohmann::json{{"iss", issuer}, {"sub", "alice-subject"}, {"aud", audience},
                        {"iat", now},    {"exp", now + 300},       {"preferred_username", "alice"}};
}

}  // namespace oidc_sysauth::forge
