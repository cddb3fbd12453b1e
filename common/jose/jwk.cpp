// JwkSet: imports each usable public key of a JWKS once, as an EVP_PKEY.
#include <openssl/core_names.h>
#include <openssl/err.h>

#include <string>

#include "jose/base64url.hpp"
#include "jose/header_memo.hpp"
#include "jose/json_fields.hpp"
#include "jose/jws.hpp"
#include "jose/jwt.hpp"
#include "jose/ossl_handles.hpp"
#include "log.hpp"

namespace oidc_sysauth {
namespace {

using nlohmann::json;

constexpr int kMinRsaBits = 2048;
// Bigger moduli buy nothing and make every verification slower: a hostile JWKS cost cap.
constexpr int kMaxRsaBits = 16384;
constexpr std::size_t kMaxKeys = 100;

// Why a key was skipped, for the log; empty when the key was imported.
using Skip = std::string;

struct Curve {
  std::string_view crv;
  const char* group;  // OpenSSL group name
  std::size_t coord_size;
};
constexpr Curve kCurves[] = {
    {"P-256", "prime256v1", 32},
    {"P-384", "secp384r1", 48},
    {"P-521", "secp521r1", 66},
};

// Kids come from the network: keep log lines printable and short.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) out.push_back((c >= 0x20 && c < 0x7f) ? c : '?');
  return out;
}

ossl::Pkey pkey_from_params(const char* type, OSSL_PARAM_BLD* bld) {
  ossl::Params params(OSSL_PARAM_BLD_to_param(bld));
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) return nullptr;
  return ossl::Pkey(raw);
}

// Decodes a required base64url member into `out`; the skip reason otherwise.
Skip decode_member(const json& jwk, std::string_view name, std::string& out) {
  const json* v = find_field(jwk, name);
  if (v == nullptr || !v->is_string()) return std::string(name) + " missing or not a string";
  if (!base64url_decode_into(v->get_ref<const std::string&>(), out)) return std::string(name) + " not base64url";
  return {};
}

Skip import_rsa(const json& jwk, ossl::Pkey& out) {
  std::string n, e;
  if (auto s = decode_member(jwk, "n", n); !s.empty()) return s;
  if (auto s = decode_member(jwk, "e", e); !s.empty()) return s;
  ossl::Bignum bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr));
  ossl::Bignum bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr));
  if (!bn_n || !bn_e) return "out of memory";
  const int bits = BN_num_bits(bn_n.get());
  if (bits < kMinRsaBits) return "RSA modulus of " + std::to_string(bits) + " bits (< 2048)";
  if (bits > kMaxRsaBits) return "RSA modulus of " + std::to_string(bits) + " bits (> 16384)";
  // A public exponent is odd, at least 3 and (for every real key) fits in 32 bits.
  if (!BN_is_odd(bn_n.get()) || !BN_is_odd(bn_e.get()) || BN_num_bits(bn_e.get()) < 2 ||
      BN_num_bits(bn_e.get()) > 32) {
    return "RSA modulus or exponent invalid";
  }
  ossl::ParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return "out of memory";
  }
  out = pkey_from_params("RSA", bld.get());
  return out ? Skip{} : Skip{"RSA key refused by OpenSSL"};
}

Skip import_ec(const json& jwk, std::string_view crv, ossl::Pkey& out) {
  const Curve* curve = nullptr;
  for (const auto& c : kCurves) {
    if (c.crv == crv) curve = &c;
  }
  if (curve == nullptr) return "unsupported EC curve '" + printable(crv) + "'";
  std::string x, y;
  if (auto s = decode_member(jwk, "x", x); !s.empty()) return s;
  if (auto s = decode_member(jwk, "y", y); !s.empty()) return s;
  if (x.size() != curve->coord_size || y.size() != curve->coord_size) return "EC coordinates of the wrong length";
  std::string point;
  point.reserve(1 + 2 * curve->coord_size);
  point.push_back('\x04');  // SEC1 uncompressed point
  point.append(x).append(y);
  ossl::ParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve->group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    return "out of memory";
  }
  out = pkey_from_params("EC", bld.get());
  if (!out) return "EC point refused by OpenSSL (not on the curve?)";
  // Invalid-curve attacks need a point off the curve or of small order: check it here,
  // once, rather than trusting every verification to do so. The quick check (not infinity,
  // coordinates in range, on the curve) is the whole check for P-256/384/521: their cofactor
  // is 1, so every other point on them has the group's prime order, and the full check's
  // n·Q = O multiplication (~7M instructions per JWKS, paid by every fresh sshd process
  // reading the disk cache) proves nothing more.
  ossl::PkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, out.get(), nullptr));
  if (!check || EVP_PKEY_public_check_quick(check.get()) != 1) {
    out.reset();
    return "EC point not on the curve";
  }
  return {};
}

Skip import_okp(const json& jwk, std::string_view crv, ossl::Pkey& out) {
  if (crv != "Ed25519") return "unsupported OKP curve '" + printable(crv) + "'";
  std::string x;
  if (auto s = decode_member(jwk, "x", x); !s.empty()) return s;
  if (x.size() != 32) return "Ed25519 key of the wrong length";
  ossl::ParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, x.data(), x.size()) != 1) {
    return "out of memory";
  }
  out = pkey_from_params("ED25519", bld.get());
  return out ? Skip{} : Skip{"Ed25519 key refused by OpenSSL"};
}

// The metadata rules every key type shares: what the key may be used for.
Skip check_metadata(const json& jwk, Jwk& key) {
  auto kty = read_string(jwk, "kty");
  auto kid = read_optional_string(jwk, "kid");
  auto use = read_optional_string(jwk, "use");
  auto alg = read_optional_string(jwk, "alg");
  auto crv = read_optional_string(jwk, "crv");
  auto ops = read_optional_string_list(jwk, "key_ops");
  if (!kty || !kid || !use || !alg || !crv || !ops) return "kty, kid, use, alg, crv or key_ops malformed";
  key.kty = std::move(*kty);
  key.kid = kid->value_or("");
  key.use = use->value_or("");
  key.alg = alg->value_or("");
  key.crv = crv->value_or("");
  if (!key.use.empty() && key.use != "sig") return "use '" + printable(key.use) + "' is not sig";
  if (ops->has_value()) {
    bool verify = false;
    for (const auto& op : **ops) verify = verify || op == "verify";
    if (!verify) return "key_ops lacks verify";
  }
  // A published private key is a compromised key: anyone could sign with it.
  if (find_field(jwk, "d") != nullptr) return "private key material published; key refused";
  if (!key.alg.empty()) {
    const JwsAlgorithm* a = find_jws_algorithm(key.alg);
    if (a == nullptr) return "alg '" + printable(key.alg) + "' not supported for signatures";
  }
  return {};
}

Skip import_key(const json& jwk, Jwk& key) {
  if (!jwk.is_object()) return "not an object";
  if (auto s = check_metadata(jwk, key); !s.empty()) return s;
  ossl::Pkey pkey;
  Skip skip;
  if (key.kty == "RSA") {
    skip = import_rsa(jwk, pkey);
  } else if (key.kty == "EC") {
    skip = import_ec(jwk, key.crv, pkey);
  } else if (key.kty == "OKP") {
    skip = import_okp(jwk, key.crv, pkey);
  } else {
    skip = "unsupported kty '" + printable(key.kty) + "'";
  }
  if (!skip.empty()) return skip;
  key.key = ossl::share_pkey(std::move(pkey));
  if (!key.alg.empty() && !key_fits(key, *find_jws_algorithm(key.alg))) return "alg does not fit kty/crv";
  key.prepared = prepare_verifiers(key);
  return {};
}

// Keys without a kid are never duplicates: a token without kid must then find exactly one.
bool same_slot(const Jwk& a, const Jwk& b) noexcept {
  return !a.kid.empty() && a.kid == b.kid && a.kty == b.kty && a.crv == b.crv;
}

}  // namespace

Result<JwkSet> JwkSet::parse(std::string_view text, Logger* log) {
  auto doc = parse_json_object(text);
  if (!doc) return fail(ErrorCode::kBadResponse, "JWKS: " + doc.error().detail, "bad_jwks");
  auto keys = find_field(*doc, "keys");
  if (keys == nullptr || !keys->is_array()) return fail(ErrorCode::kBadResponse, "JWKS: no keys array", "bad_jwks");
  JwkSet set;
  std::size_t index = 0;
  for (const auto& item : *keys) {
    if (index++ == kMaxKeys) {
      if (log != nullptr) log->log(LogLevel::kWarning, "JWKS: more than 100 keys, the rest ignored");
      break;
    }
    Jwk key;
    Skip skip = import_key(item, key);
    if (skip.empty()) {
      // Duplicate kids: the first key in document order wins, so the choice never
      // depends on anything but the document.
      for (const auto& earlier : set.keys_) {
        if (same_slot(earlier, key)) skip = "duplicate kid, the earlier key is used";
      }
    }
    if (!skip.empty()) {
      ERR_clear_error();  // OpenSSL may have queued why it refused the key
      if (log != nullptr) {
        log->log(LogLevel::kWarning, "JWKS: key #" + std::to_string(index - 1) + " kid '" + printable(key.kid) +
                                         "' skipped: " + skip);
      }
      continue;
    }
    set.keys_.push_back(std::move(key));
  }
  if (set.keys_.empty()) return fail(ErrorCode::kBadResponse, "JWKS: no usable signing key", "bad_jwks");
  set.header_memo_ = std::make_shared<HeaderMemo>();
  return set;
}

const Jwk* JwkSet::find(std::string_view kid, std::string_view alg) const noexcept {
  const JwsAlgorithm* a = find_jws_algorithm(alg);
  if (a == nullptr) return nullptr;
  if (!kid.empty()) {
    for (const auto& key : keys_) {
      if (key.kid == kid && key_fits(key, *a)) return &key;
    }
    return nullptr;
  }
  // No kid in the token: only an unambiguous choice is safe.
  const Jwk* found = nullptr;
  for (const auto& key : keys_) {
    if (!key_fits(key, *a)) continue;
    if (found != nullptr) return nullptr;
    found = &key;
  }
  return found;
}

bool JwkSet::has_kid(std::string_view kid) const noexcept {
  for (const auto& key : keys_) {
    if (key.kid == kid) return true;
  }
  return false;
}

}  // namespace oidc_sysauth
