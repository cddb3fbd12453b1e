// Token verification, single thread: our core (verify_jwt) beside cjose (signature only, and
// with the claims check mod_auth_openidc adds), libjwt, and the floor (hash + OpenSSL's
// public-key operation, no parsing) on the SAME token set and the SAME key. Every library must reject a forged token and accept a
// genuine one before anything is timed (the correctness gate).
//
//   verify_bench --alg=RS256 --tokens=2000 --seconds=1.5
//
// Prints "verify.<ALG>.<lib> <ops/s> ops/s" lines (bench_util.hpp format).
#include <cjose/jwk.h>
#include <cjose/jws.h>
#include <jansson.h>
#include <jwt.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstring>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <valgrind/callgrind.h>

#include "bench_util.hpp"
#include "clock.hpp"
#include "jose/base64url.hpp"
#include "jose/jwt.hpp"
#include "token_forge.hpp"

namespace oidc_sysauth::bench {
namespace {

constexpr const char* kIssuer = "https://idp.bench.example/realm";
constexpr const char* kAudience = "linux-hosts";

forge::ForgeKeyType key_type_for(const std::string& alg) {
  if (alg == "RS256") return forge::ForgeKeyType::kRsa2048;
  if (alg == "ES256") return forge::ForgeKeyType::kP256;
  if (alg == "ES384") return forge::ForgeKeyType::kP384;
  if (alg == "EdDSA") return forge::ForgeKeyType::kEd25519;
  die("unknown --alg " + alg);
}

struct TokenSet {
  std::vector<std::string> tokens;  // distinct (jti, sub differ), all valid for ~1 h
  std::string forged;               // signed by another key under the same kid
  std::string tampered;             // a genuine token with one payload byte changed
};

TokenSet make_tokens(const forge::ForgeKey& key, const std::string& alg, std::size_t n) {
  const auto impostor = forge::ForgeKey::generate(key.type(), key.kid());
  const std::int64_t now = SystemClock().now_unix();
  const nlohmann::json header{{"alg", alg}, {"kid", key.kid()}, {"typ", "JWT"}};
  TokenSet set;
  set.tokens.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto claims = forge::standard_claims(kIssuer, kAudience, now);
    claims["exp"] = now + 3600;
    claims["sub"] = "subject-" + std::to_string(i);
    claims["jti"] = "bench-" + std::to_string(i);
    claims["groups"] = nlohmann::json::array({"staff", "admin"});
    claims["name"] = "Bench User " + std::to_string(i);
    set.tokens.push_back(forge::sign_jwt(key, header, claims));
  }
  set.forged = forge::sign_jwt(impostor, header, forge::standard_claims(kIssuer, kAudience, now));
  // Flip one character in the middle of the payload (stays base64url, breaks the signature).
  set.tampered = set.tokens.front();
  const auto dot = set.tampered.find('.');
  char& c = set.tampered[dot + 5];
  c = (c == 'A') ? 'B' : 'A';
  return set;
}

// ---- our core ----
class OursVerifier {
 public:
  OursVerifier(const std::string& jwks, const std::string& alg) {
    auto set = JwkSet::parse(jwks);
    if (!set) die("JwkSet::parse: " + set.error().detail);
    keys_ = std::move(*set);
    policy_.issuer = kIssuer;
    policy_.audiences = {kAudience};
    policy_.algorithms = {alg};
  }
  bool verify(const std::string& token) const { return verify_jwt(token, keys_, policy_, clock_).has_value(); }

 private:
  JwkSet keys_;
  JwtPolicy policy_;
  SystemClock clock_;
};

// ---- cjose (mod_auth_openidc's library): key imported once, signature only ----
class CjoseVerifier {
 public:
  explicit CjoseVerifier(const std::string& jwk_json) {
    cjose_err err{};
    jwk_ = cjose_jwk_import(jwk_json.data(), jwk_json.size(), &err);
    if (jwk_ == nullptr) std::fprintf(stderr, "cjose_jwk_import: %s\n", err.message ? err.message : "?");
  }
  [[nodiscard]] bool usable() const noexcept { return jwk_ != nullptr; }
  ~CjoseVerifier() { cjose_jwk_release(jwk_); }
  CjoseVerifier(const CjoseVerifier&) = delete;
  CjoseVerifier& operator=(const CjoseVerifier&) = delete;
  bool verify(const std::string& token) const {
    cjose_err err{};
    cjose_jws_t* jws = cjose_jws_import(token.data(), token.size(), &err);
    if (jws == nullptr) return false;
    const bool ok = verify_imported(jws);
    cjose_jws_release(jws);
    return ok;
  }
  bool verify_imported(cjose_jws_t* jws) const {
    cjose_err err{};
    return cjose_jws_verify(jws, jwk_, &err);
  }

 private:
  cjose_jwk_t* jwk_ = nullptr;
};

// ---- cjose as mod_auth_openidc uses it: signature, then the claims parsed with jansson and
// exp / iss / aud checked (what our verify_jwt also does) ----
class CjoseClaimsVerifier {
 public:
  explicit CjoseClaimsVerifier(const CjoseVerifier& sig) : sig_(sig) {}
  bool verify(const std::string& token) const {
    cjose_err err{};
    cjose_jws_t* jws = cjose_jws_import(token.data(), token.size(), &err);
    if (jws == nullptr) return false;
    bool ok = sig_.verify_imported(jws);
    uint8_t* plain = nullptr;
    size_t plain_len = 0;
    ok = ok && cjose_jws_get_plaintext(jws, &plain, &plain_len, &err);
    json_t* claims = ok ? json_loadb(reinterpret_cast<const char*>(plain), plain_len, 0, nullptr) : nullptr;
    ok = ok && claims != nullptr && claims_ok(claims);
    json_decref(claims);
    cjose_jws_release(jws);
    return ok;
  }

 private:
  static bool claims_ok(const json_t* claims) {
    const json_t* exp = json_object_get(claims, "exp");
    const json_t* iss = json_object_get(claims, "iss");
    const json_t* aud = json_object_get(claims, "aud");
    if (!json_is_integer(exp) || json_integer_value(exp) <= SystemClock().now_unix()) return false;
    if (!json_is_string(iss) || std::strcmp(json_string_value(iss), kIssuer) != 0) return false;
    if (json_is_string(aud)) return std::strcmp(json_string_value(aud), kAudience) == 0;
    if (!json_is_array(aud)) return false;
    for (size_t i = 0; i < json_array_size(aud); ++i) {
      const json_t* a = json_array_get(aud, i);
      if (json_is_string(a) && std::strcmp(json_string_value(a), kAudience) == 0) return true;
    }
    return false;
  }
  const CjoseVerifier& sig_;
};

// ---- the floor: only what no JWS verifier can skip — SHA over the signing input and
// OpenSSL's public-key operation through a prepared, reused context; no JSON at all ----
class SignatureFloor {
 public:
  SignatureFloor(const std::string& public_pem, const std::string& alg) : ec_(alg[0] == 'E' && alg != "EdDSA") {
    BIO* bio = BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size()));
    pkey_ = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (pkey_ == nullptr) die("floor: cannot read the public key");
    ed_ = alg == "EdDSA";
    md_ = alg == "ES384" ? EVP_sha384() : EVP_sha256();
    coord_ = alg == "ES384" ? 48 : 32;
    if (!ed_) {
      ctx_ = EVP_PKEY_CTX_new(pkey_, nullptr);
      if (ctx_ == nullptr || EVP_PKEY_verify_init(ctx_) != 1 || EVP_PKEY_CTX_set_signature_md(ctx_, md_) != 1 ||
          (!ec_ && EVP_PKEY_CTX_set_rsa_padding(ctx_, RSA_PKCS1_PADDING) != 1))
        die("floor: cannot prepare the verify context");
    }
  }
  ~SignatureFloor() {
    EVP_PKEY_CTX_free(ctx_);
    EVP_PKEY_free(pkey_);
  }
  SignatureFloor(const SignatureFloor&) = delete;
  SignatureFloor& operator=(const SignatureFloor&) = delete;
  bool verify(const std::string& token) const {
    const auto dot = token.rfind('.');
    if (dot == std::string::npos || !base64url_decode_into(std::string_view(token).substr(dot + 1), sig_)) return false;
    const auto* input = reinterpret_cast<const unsigned char*>(token.data());
    if (ed_) {
      EVP_MD_CTX* c = EVP_MD_CTX_new();
      const bool ok = EVP_DigestVerifyInit_ex(c, nullptr, nullptr, nullptr, nullptr, pkey_, nullptr) == 1 &&
                      EVP_DigestVerify(c, reinterpret_cast<const unsigned char*>(sig_.data()), sig_.size(), input, dot) == 1;
      EVP_MD_CTX_free(c);
      return ok;
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    if (EVP_Digest(input, dot, digest, &digest_len, md_, nullptr) != 1) return false;
    if (ec_) to_der();
    return EVP_PKEY_verify(ctx_, reinterpret_cast<const unsigned char*>(sig_.data()), sig_.size(), digest, digest_len) == 1;
  }

 private:
  // Raw R||S → DER (as every JOSE library must do for OpenSSL).
  void to_der() const {
    if (sig_.size() != 2 * coord_) return;
    ECDSA_SIG* es = ECDSA_SIG_new();
    const auto* raw = reinterpret_cast<const unsigned char*>(sig_.data());
    ECDSA_SIG_set0(es, BN_bin2bn(raw, static_cast<int>(coord_), nullptr), BN_bin2bn(raw + coord_, static_cast<int>(coord_), nullptr));
    unsigned char* der = nullptr;
    const int n = i2d_ECDSA_SIG(es, &der);
    if (n > 0) sig_.assign(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
  }
  EVP_PKEY* pkey_ = nullptr;
  EVP_PKEY_CTX* ctx_ = nullptr;
  const EVP_MD* md_ = nullptr;
  bool ec_ = false;
  bool ed_ = false;
  std::size_t coord_ = 32;
  mutable std::string sig_;  // single-threaded bench: one scratch buffer
};

// ---- libjwt 1.10: takes the key as PEM on every call (its API has no imported-key form) ----
class LibjwtVerifier {
 public:
  explicit LibjwtVerifier(std::string pem) : pem_(std::move(pem)) {}
  bool verify(const std::string& token) const {
    jwt_t* jwt = nullptr;
    const int rc = jwt_decode(&jwt, token.c_str(), reinterpret_cast<const unsigned char*>(pem_.data()),
                              static_cast<int>(pem_.size()));
    if (jwt != nullptr) jwt_free(jwt);
    return rc == 0;
  }

 private:
  std::string pem_;
};

template <typename V>
void gate(const char* lib, const V& v, const TokenSet& set) {
  if (!v.verify(set.tokens.front())) die(std::string(lib) + " rejects a genuine token");
  if (v.verify(set.forged)) die(std::string(lib) + " ACCEPTS A FORGED TOKEN");
  if (v.verify(set.tampered)) die(std::string(lib) + " ACCEPTS A TAMPERED TOKEN");
  std::fprintf(stderr, "gate: %s accepts the genuine token, rejects forged and tampered\n", lib);
}

// --calls=K: no timing, K verifications in `measured_calls` (callgrind toggles on it).
long g_calls = 0;

template <typename V>
[[gnu::noinline]] bool measured_calls(const V& v, const TokenSet& set, long calls) {
  CALLGRIND_START_INSTRUMENTATION;
  CALLGRIND_TOGGLE_COLLECT;
  bool ok = true;
  for (long i = 0; i < calls; ++i) ok = v.verify(set.tokens[static_cast<std::size_t>(i) % set.tokens.size()]) && ok;
  CALLGRIND_TOGGLE_COLLECT;
  CALLGRIND_STOP_INSTRUMENTATION;
  return ok;
}

// One library's rate over one window.
template <typename V>
double rate_of(const V& v, const TokenSet& set, double seconds) {
  const std::size_t n = set.tokens.size();
  return ops_per_second([&](std::uint64_t i) { return v.verify(set.tokens[i % n]); }, seconds, 50'000'000);
}

// The libraries take turns: kRounds short rounds, each gives every library seconds/kRounds,
// and each figure is the median of its windows, so a neighbour's load hits all of them alike
// (with 5 long rounds, single figures still swung by 10-15 % on this VM; ratios are what
// we track).
struct Contender {
  const char* name;
  std::function<double(double)> window;  // seconds -> ops/s
  std::vector<double> rates;
};

int run(int argc, char** argv) {
  const std::string alg = arg(argc, argv, "alg", "RS256");
  const auto n = static_cast<std::size_t>(arg_double(argc, argv, "tokens", 2000));
  const double seconds = arg_double(argc, argv, "seconds", 1.5);
  const std::string only = arg(argc, argv, "only", "");  // callgrind: one library, a few calls
  g_calls = static_cast<long>(arg_double(argc, argv, "calls", 0));

  const auto key = forge::ForgeKey::generate(key_type_for(alg), "bench-" + alg);
  const TokenSet set = make_tokens(key, alg, n);
  const std::string jwks = forge::jwks_json({&key});
  const OursVerifier ours(jwks, alg);
  const CjoseVerifier cjose(key.public_jwk().dump());
  const LibjwtVerifier libjwt(key.public_pem());
  const CjoseClaimsVerifier cjose_claims(cjose);
  const SignatureFloor floor(key.public_pem(), alg);

  std::vector<Contender> field;
  const auto enter = [&](const char* name, const auto& v) {
    if (!only.empty() && only != name) return;
    gate(name, v, set);
    if (g_calls > 0) {
      if (!measured_calls(v, set, g_calls)) die("a verification failed");
      return;
    }
    field.push_back({name, [&v, &set](double secs) { return rate_of(v, set, secs); }, {}});
  };
  enter("ours", ours);
  enter("floor", floor);
  if (cjose.usable()) {
    enter("cjose", cjose);
    enter("cjose_claims", cjose_claims);
  } else {
    std::fprintf(stderr, "cjose 0.6 cannot import this key type (%s)\n", alg.c_str());
  }
  if (alg != "EdDSA") {
    enter("libjwt", libjwt);
  } else {
    std::fprintf(stderr, "libjwt 1.10 has no EdDSA\n");
  }
  constexpr int kRounds = 25;
  for (int round = 0; round < kRounds; ++round) {
    for (auto& c : field) c.rates.push_back(c.window(seconds / kRounds));
  }
  for (const auto& c : field) emit("verify." + alg + "." + c.name, median(c.rates), "ops/s");
  return 0;
}

}  // namespace
}  // namespace oidc_sysauth::bench

int main(int argc, char** argv) { return oidc_sysauth::bench::run(argc, argv); }
