// verify_jwt: valid tokens for every algorithm, and a catalogue of forged or malformed
// tokens, each refused with its exact reason (issue 2 §5).
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>
#include <string>

#include "clock.hpp"
#include "jose/jwt.hpp"
#include "token_forge.hpp"

namespace oidc_sysauth {
namespace {

using forge::EcdsaForm;
using forge::ForgeKey;
using forge::ForgeKeyType;
using nlohmann::json;

constexpr const char* kIssuer = "https://idp.example.com/realms/corp";
constexpr const char* kAudience = "linux-hosts";
constexpr const char* kAccepted = "ACCEPTED";

struct Keys {
  ForgeKey rsa = forge::fixture_key("rsa2048-a", "rsa");
  ForgeKey rsa_other = forge::fixture_key("rsa2048-b", "rsa-other");
  ForgeKey rsa3072 = forge::fixture_key("rsa3072", "rsa3072");
  ForgeKey rsa1024 = forge::fixture_key("rsa1024", "weak");
  ForgeKey p256 = forge::fixture_key("p256-a", "p256");
  ForgeKey p384 = forge::fixture_key("p384", "p384");
  ForgeKey p521 = forge::fixture_key("p521", "p521");
  ForgeKey ed = forge::fixture_key("ed25519-a", "ed");
  // Not published in the JWKS: the attacker's keys, some reusing published kids.
  ForgeKey evil_rsa = forge::fixture_key("rsa2048-c", "rsa");
  ForgeKey evil_p256 = forge::fixture_key("p256-b", "p256");
  ForgeKey evil_ed = forge::fixture_key("ed25519-b", "ed");
};

class JwtTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { keys_ = std::make_unique<Keys>(); }
  static void TearDownTestSuite() { keys_.reset(); }

  void SetUp() override {
    const Keys& k = *keys_;
    jwks_ = JwkSet::parse(forge::jwks_json({&k.rsa, &k.rsa_other, &k.rsa3072, &k.rsa1024, &k.p256, &k.p384,
                                            &k.p521, &k.ed}))
                .value();
    policy_.issuer = kIssuer;
    policy_.audiences = {kAudience};
    policy_.authorized_party = kAudience;
    policy_.algorithms = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"};
  }

  static const Keys& k() { return *keys_; }
  json claims() const { return forge::standard_claims(kIssuer, kAudience, clock_.now_unix()); }
  static json header(const ForgeKey& key, std::string alg = {}) {
    return json{{"alg", alg.empty() ? key.default_alg() : alg}, {"kid", key.kid()}, {"typ", "JWT"}};
  }
  std::string good(const ForgeKey& key, std::string alg = {}) const {
    return forge::sign_jwt(key, header(key, std::move(alg)), claims());
  }
  std::string with_claims(const json& c, const ForgeKey* key = nullptr) const {
    return forge::sign_jwt(key ? *key : k().rsa, header(key ? *key : k().rsa), c);
  }
  // The refusal reason, or kAccepted. Every refusal must be kTokenInvalid.
  std::string reason(std::string_view token) const {
    auto r = verify_jwt(token, jwks_, policy_, clock_);
    if (r) return kAccepted;
    EXPECT_EQ(r.error().code, ErrorCode::kTokenInvalid) << r.error().detail;
    if (token.size() >= 20) {
      EXPECT_EQ(r.error().detail.find(token.substr(0, 20)), std::string::npos) << "detail must not echo the token";
    }
    return r.error().reason;
  }
  // Replaces one dot-separated part of `token`.
  static std::string replace_part(const std::string& token, int index, std::string_view part) {
    const auto d1 = token.find('.');
    const auto d2 = token.find('.', d1 + 1);
    std::string p[3] = {token.substr(0, d1), token.substr(d1 + 1, d2 - d1 - 1), token.substr(d2 + 1)};
    p[index] = part;
    return p[0] + "." + p[1] + "." + p[2];
  }
  static std::string part(const std::string& token, int index) {
    const auto d1 = token.find('.');
    const auto d2 = token.find('.', d1 + 1);
    if (index == 0) return token.substr(0, d1);
    if (index == 1) return token.substr(d1 + 1, d2 - d1 - 1);
    return token.substr(d2 + 1);
  }

  static std::unique_ptr<Keys> keys_;
  FakeClock clock_{1'800'000'000};
  JwkSet jwks_;
  JwtPolicy policy_;
};
std::unique_ptr<Keys> JwtTest::keys_;

// ---- valid tokens -------------------------------------------------------------------------

TEST_F(JwtTest, AcceptsEveryRsaAlgorithm) {
  for (const char* alg : {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}) {
    EXPECT_EQ(reason(good(k().rsa, alg)), kAccepted) << alg;
    EXPECT_EQ(reason(good(k().rsa3072, alg)), kAccepted) << alg;
  }
}

TEST_F(JwtTest, AcceptsEveryEcAndEdAlgorithm) {
  EXPECT_EQ(reason(good(k().p256)), kAccepted);
  EXPECT_EQ(reason(good(k().p384)), kAccepted);
  EXPECT_EQ(reason(good(k().p521)), kAccepted);
  EXPECT_EQ(reason(good(k().ed)), kAccepted);
}

TEST_F(JwtTest, ReturnsHeaderClaimsAndExpiry) {
  auto r = verify_jwt(good(k().p384), jwks_, policy_, clock_);
  ASSERT_TRUE(r.has_value()) << r.error().detail;
  EXPECT_EQ(r->alg, "ES384");
  EXPECT_EQ(r->kid, "p384");
  EXPECT_EQ(r->exp, clock_.now_unix() + 300);
  EXPECT_EQ(r->claims["preferred_username"], "alice");
  EXPECT_EQ((*r->header)["typ"], "JWT");
}

TEST_F(JwtTest, AcceptsTypVariants) {
  for (const char* typ : {"JWT", "jwt", "at+jwt", "AT+JWT", "application/at+jwt", "application/jwt"}) {
    json h = header(k().rsa);
    h["typ"] = typ;
    EXPECT_EQ(reason(forge::sign_jwt(k().rsa, h, claims())), kAccepted) << typ;
  }
  json h = header(k().rsa);
  h.erase("typ");
  EXPECT_EQ(reason(forge::sign_jwt(k().rsa, h, claims())), kAccepted);
}

TEST_F(JwtTest, AcceptsTokenWithoutKidWhenOneKeyFits) {
  json h{{"alg", "ES384"}};
  EXPECT_EQ(reason(forge::sign_jwt(k().p384, h, claims())), kAccepted);
}

TEST_F(JwtTest, LeewayEdges) {
  const std::int64_t now = clock_.now_unix();
  auto at = [&](const char* claim, std::int64_t value) {
    json c = claims();
    c[claim] = value;
    return reason(with_claims(c));
  };
  EXPECT_EQ(at("exp", now - 59), kAccepted);
  EXPECT_EQ(at("exp", now - 60), "expired");
  EXPECT_EQ(at("nbf", now + 60), kAccepted);
  EXPECT_EQ(at("nbf", now + 61), "not_yet_valid");
  EXPECT_EQ(at("iat", now + 60), kAccepted);
  EXPECT_EQ(at("iat", now + 61), "issued_in_future");
  policy_.leeway_seconds = 0;
  EXPECT_EQ(at("exp", now + 1), kAccepted);
  EXPECT_EQ(at("exp", now), "expired");
  EXPECT_EQ(at("nbf", now), kAccepted);
  EXPECT_EQ(at("nbf", now + 1), "not_yet_valid");
}

TEST_F(JwtTest, AudienceArrayWithAzp) {
  json c = claims();
  c["aud"] = {"other-api", kAudience};
  c["azp"] = kAudience;
  EXPECT_EQ(reason(with_claims(c)), kAccepted);
  policy_.authorized_party.clear();  // azp only checked when configured
  c.erase("azp");
  EXPECT_EQ(reason(with_claims(c)), kAccepted);
}

TEST_F(JwtTest, AudienceNotCheckedWhenNoneConfigured) {
  policy_.audiences.clear();
  json c = claims();
  c.erase("aud");
  EXPECT_EQ(reason(with_claims(c)), kAccepted);
}

TEST_F(JwtTest, PolicyWithoutIssuerIsMisconfigured) {
  policy_.issuer.clear();
  auto r = verify_jwt(good(k().rsa), jwks_, policy_, clock_);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kMisconfigured);
}

TEST_F(JwtTest, LooksLikeJwtAndUnverifiedDecode) {
  const std::string tok = good(k().rsa);
  EXPECT_TRUE(looks_like_jwt(tok));
  EXPECT_FALSE(looks_like_jwt("2YotnFZFEjr1zCsicMWpAA"));
  EXPECT_FALSE(looks_like_jwt("a.b.c"));
  EXPECT_FALSE(looks_like_jwt(forge::b64url("{}") + "." + part(tok, 1) + "."));  // no alg
  EXPECT_TRUE(looks_like_jwt(forge::unsecured_jwt(claims())));  // looks like one; verify refuses it
  json c = claims();
  c["exp"] = 1;  // expired long ago: inspect must still show it
  auto d = decode_jwt_unverified(with_claims(c));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->claims["exp"], 1);
  EXPECT_EQ(d->header["kid"], "rsa");
  EXPECT_EQ(decode_jwt_unverified("x.y").error().reason, "malformed");
  EXPECT_EQ(decode_jwt_unverified(std::string(300 * 1024, 'A')).error().reason, "too_large");
  json big = claims();
  big["pad"] = std::string(20 * 1024, 'x');  // over the verification cap, fine to inspect
  EXPECT_TRUE(decode_jwt_unverified(with_claims(big)).has_value());
}

TEST_F(JwtTest, ConcurrentVerificationSharesPreparedKeys) {
  // Four threads share one JwkSet (and its prepared contexts); results must not mix.
  const std::vector<std::string> good_tokens = {good(k().rsa), good(k().rsa, "PS256"), good(k().p256), good(k().ed)};
  const std::string forged = good(k().evil_rsa);
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        if (!verify_jwt(good_tokens[static_cast<std::size_t>((i + t) % 4)], jwks_, policy_, clock_)) ++errors;
        if (verify_jwt(forged, jwks_, policy_, clock_)) ++errors;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
}

// ---- the forged-token catalogue ----------------------------------------------------------

TEST_F(JwtTest, Forged01_AlgNone) { EXPECT_EQ(reason(forge::unsecured_jwt(claims())), "algorithm_refused"); }

TEST_F(JwtTest, Forged02_AlgNoneCaseVariants) {
  EXPECT_EQ(reason(forge::unsecured_jwt(claims(), "None")), "algorithm_refused");
  EXPECT_EQ(reason(forge::unsecured_jwt(claims(), "NONE")), "algorithm_refused");
}

TEST_F(JwtTest, Forged03_Hs256WithRsaPublicKeyAsSecret) {
  EXPECT_EQ(reason(forge::sign_hmac_jwt("HS256", k().rsa.public_pem(), header(k().rsa), claims())),
            "algorithm_refused");
}

TEST_F(JwtTest, Forged04_HmacRefusedEvenIfAllowListed) {
  policy_.algorithms.push_back("HS256");
  policy_.algorithms.push_back("none");
  EXPECT_EQ(reason(forge::sign_hmac_jwt("HS256", "secret", header(k().rsa), claims())), "algorithm_refused");
  EXPECT_EQ(reason(forge::sign_hmac_jwt("HS512", "secret", header(k().rsa), claims())), "algorithm_refused");
  EXPECT_EQ(reason(forge::unsecured_jwt(claims())), "algorithm_refused");
}

TEST_F(JwtTest, Forged05_AlgNotInAllowList) {
  policy_.algorithms = {"RS256"};
  EXPECT_EQ(reason(good(k().p256)), "algorithm_refused");
  EXPECT_EQ(reason(good(k().rsa, "PS256")), "algorithm_refused");
}

TEST_F(JwtTest, Forged06_UnknownAlg) {
  policy_.algorithms.push_back("RS1");
  EXPECT_EQ(reason(forge::sign_compact(k().rsa, "RS256", R"({"alg":"RS1","kid":"rsa"})", claims().dump())),
            "algorithm_refused");
}

TEST_F(JwtTest, Forged07_AlgMissingOrNotString) {
  EXPECT_EQ(reason(forge::sign_compact(k().rsa, "RS256", R"({"kid":"rsa"})", claims().dump())), "malformed");
  EXPECT_EQ(reason(forge::sign_compact(k().rsa, "RS256", R"({"alg":["RS256"],"kid":"rsa"})", claims().dump())),
            "malformed");
}

TEST_F(JwtTest, Forged08_UnknownKid) {
  json h = header(k().rsa);
  h["kid"] = "rotated-away";
  EXPECT_EQ(reason(forge::sign_jwt(k().rsa, h, claims())), "unknown_key");
}

TEST_F(JwtTest, Forged09_MissingKidWithSeveralCandidateKeys) {
  EXPECT_EQ(reason(forge::sign_jwt(k().rsa, json{{"alg", "RS256"}}, claims())), "unknown_key");
}

TEST_F(JwtTest, Forged10_KeyOfWrongTypeForAlg) {
  json h = header(k().p256);
  h["kid"] = "rsa";  // ES256 signed with the P-256 key, pointing at the RSA key
  EXPECT_EQ(reason(forge::sign_jwt(k().p256, h, claims())), "wrong_key_type");
  json h2 = header(k().rsa);
  h2["kid"] = "ed";  // RS256 pointing at the Ed25519 key
  EXPECT_EQ(reason(forge::sign_jwt(k().rsa, h2, claims())), "wrong_key_type");
}

TEST_F(JwtTest, Forged11_CurveDoesNotFitAlg) {
  json h = header(k().p384);
  h["kid"] = "p256";  // ES384 naming the P-256 key
  EXPECT_EQ(reason(forge::sign_jwt(k().p384, h, claims())), "wrong_key_type");
}

TEST_F(JwtTest, Forged12_AnotherKeysSignature) {
  json h = header(k().rsa_other);
  h["kid"] = "rsa";
  EXPECT_EQ(reason(forge::sign_jwt(k().rsa_other, h, claims())), "bad_signature");
}

TEST_F(JwtTest, Forged13_AttackerKeyWithPublishedKid) {
  EXPECT_EQ(reason(good(k().evil_rsa)), "bad_signature");
  EXPECT_EQ(reason(good(k().evil_p256)), "bad_signature");
  EXPECT_EQ(reason(good(k().evil_ed)), "bad_signature");
}

TEST_F(JwtTest, Forged14_EmbeddedJwkAndJkuIgnored) {
  json h = header(k().evil_rsa);
  h["jwk"] = k().evil_rsa.public_jwk();
  h["jku"] = "https://evil.example/jwks";
  EXPECT_EQ(reason(forge::sign_jwt(k().evil_rsa, h, claims())), "bad_signature");
  h["kid"] = "evil";
  EXPECT_EQ(reason(forge::sign_jwt(k().evil_rsa, h, claims())), "unknown_key");
}

TEST_F(JwtTest, Forged15_TruncatedEcdsaSignature) {
  const std::string tok = good(k().p256);
  const std::string input = part(tok, 0) + "." + part(tok, 1);
  const std::string raw = forge::sign_bytes(k().p256, "ES256", input);
  ASSERT_EQ(raw.size(), 64U);
  EXPECT_EQ(reason(input + "." + forge::b64url(raw)), kAccepted);
  EXPECT_EQ(reason(input + "." + forge::b64url(raw.substr(0, 63))), "bad_signature");
  EXPECT_EQ(reason(input + "." + forge::b64url(raw.substr(0, 32))), "bad_signature");
  EXPECT_EQ(reason(input + "." + forge::b64url(raw + '\0')), "bad_signature");
  EXPECT_EQ(reason(replace_part(tok, 2, "")), "bad_signature");
}

TEST_F(JwtTest, Forged16_DerEncodedEcdsaSignature) {
  for (const ForgeKey* key : {&k().p256, &k().p384, &k().p521}) {
    EXPECT_EQ(reason(forge::sign_jwt(*key, header(*key), claims(), EcdsaForm::kDer)), "bad_signature")
        << key->kid();
  }
}

TEST_F(JwtTest, Forged17_TruncatedOrPaddedRsaSignature) {
  const std::string tok = good(k().rsa);
  const std::string sig = forge::b64url(std::string(255, '\x01'));
  EXPECT_EQ(reason(replace_part(tok, 2, sig)), "bad_signature");
  EXPECT_EQ(reason(replace_part(tok, 2, forge::b64url(std::string(257, '\x01')))), "bad_signature");
}

TEST_F(JwtTest, Forged18_TamperedPayload) {
  const std::string tok = good(k().rsa);
  json c = claims();
  c["preferred_username"] = "root";
  EXPECT_EQ(reason(replace_part(tok, 1, forge::b64url(c.dump()))), "bad_signature");
}

TEST_F(JwtTest, Forged19_EcdsaZeroSignature) {
  const std::string tok = good(k().p256);
  EXPECT_EQ(reason(replace_part(tok, 2, forge::b64url(std::string(64, '\0')))), "bad_signature");
}

TEST_F(JwtTest, Forged20_PssSignatureLabelledRs256) {
  const std::string pss = good(k().rsa, "PS256");
  const std::string rs = good(k().rsa, "RS256");
  EXPECT_EQ(reason(replace_part(rs, 2, part(pss, 2))), "bad_signature");
}

TEST_F(JwtTest, Forged21_NonCanonicalBase64UrlSignature) {
  const std::string tok = good(k().p256);  // 64-byte signature: 86 chars, last one has 2 unused bits
  std::string sig = part(tok, 2);
  sig.back() = sig.back() == 'A' ? 'B' : static_cast<char>(sig.back() + 1);
  EXPECT_EQ(reason(replace_part(tok, 2, sig)), "malformed");
}

TEST_F(JwtTest, Forged22_PaddedOrStandardAlphabetBase64) {
  const std::string tok = good(k().rsa);
  EXPECT_EQ(reason(replace_part(tok, 1, part(tok, 1) + "==")), "malformed");
  EXPECT_EQ(reason(replace_part(tok, 2, part(tok, 2) + "=")), "malformed");
  std::string std_alpha = part(tok, 2);
  std_alpha[3] = '+';
  EXPECT_EQ(reason(replace_part(tok, 2, std_alpha)), "malformed");
  EXPECT_EQ(reason(replace_part(tok, 0, part(tok, 0) + "/")), "malformed");
}

TEST_F(JwtTest, Forged23_WhitespaceInToken) {
  const std::string tok = good(k().rsa);
  EXPECT_EQ(reason(tok + "\n"), "malformed");
  EXPECT_EQ(reason(" " + tok), "malformed");
  EXPECT_EQ(reason(replace_part(tok, 1, part(tok, 1).insert(10, " "))), "malformed");
}

TEST_F(JwtTest, Forged24_PayloadNotJson) {
  EXPECT_EQ(reason(forge::sign_compact(k().rsa, "RS256", header(k().rsa).dump(), "not json at all")), "malformed");
  EXPECT_EQ(reason(forge::sign_compact(k().rsa, "RS256", header(k().rsa).dump(), "{\"iss\":")), "malformed");
}

TEST_F(JwtTest, Forged25_PayloadNotAnObject) {
  EXPECT_EQ(reason(forge::sign_compact(k().rsa, "RS256", header(k().rsa).dump(), "[1,2,3]")), "malformed");
  EXPECT_EQ(reason(forge::sign_compact(k().rsa, "RS256", header(k().rsa).dump(), "\"claims\"")), "malformed");
}

TEST_F(JwtTest, Forged26_HeaderNotAJsonObject) {
  EXPECT_EQ(reason(forge::sign_compact(k().rsa, "RS256", "RS256", claims().dump())), "malformed");
  EXPECT_EQ(reason(forge::sign_compact(k().rsa, "RS256", R"(["RS256"])", claims().dump())), "malformed");
}

TEST_F(JwtTest, Forged27_WrongNumberOfParts) {
  const std::string tok = good(k().rsa);
  EXPECT_EQ(reason(part(tok, 0) + "." + part(tok, 1)), "malformed");
  EXPECT_EQ(reason(tok + "." + part(tok, 2)), "malformed");
  EXPECT_EQ(reason(tok + ".x.y"), "malformed");  // JWE compact shape
  EXPECT_EQ(reason(""), "malformed");
  EXPECT_EQ(reason(".."), "malformed");
  EXPECT_EQ(reason("2YotnFZFEjr1zCsicMWpAA"), "malformed");
}

TEST_F(JwtTest, Forged28_Expired) {
  const std::string tok = good(k().rsa);  // exp = now + 300
  clock_.advance_seconds(300 + 60);
  EXPECT_EQ(reason(tok), "expired");
}

TEST_F(JwtTest, Forged29_NotYetValid) {
  json c = claims();
  c["nbf"] = clock_.now_unix() + 3600;
  EXPECT_EQ(reason(with_claims(c)), "not_yet_valid");
}

TEST_F(JwtTest, Forged30_IssuedInFuture) {
  json c = claims();
  c["iat"] = clock_.now_unix() + 3600;
  c["exp"] = clock_.now_unix() + 7200;
  EXPECT_EQ(reason(with_claims(c)), "issued_in_future");
}

TEST_F(JwtTest, Forged31_WrongIssuer) {
  for (const char* iss : {"https://evil.example.com", "https://idp.example.com/realms/corp/",
                          "https://IDP.example.com/realms/corp", "https://idp.example.com/realms/cor"}) {
    json c = claims();
    c["iss"] = iss;
    EXPECT_EQ(reason(with_claims(c)), "wrong_issuer") << iss;
  }
  json c = claims();
  c.erase("iss");
  EXPECT_EQ(reason(with_claims(c)), "wrong_issuer");
  c["iss"] = 42;
  EXPECT_EQ(reason(with_claims(c)), "bad_claim");
}

TEST_F(JwtTest, Forged32_WrongAudience) {
  json c = claims();
  c["aud"] = "other-client";
  EXPECT_EQ(reason(with_claims(c)), "wrong_audience");
  c["aud"] = {"a", "b"};
  c["azp"] = kAudience;
  EXPECT_EQ(reason(with_claims(c)), "wrong_audience");
}

TEST_F(JwtTest, Forged33_MissingAudience) {
  json c = claims();
  c.erase("aud");
  EXPECT_EQ(reason(with_claims(c)), "missing_audience");
  c["aud"] = json::array();
  EXPECT_EQ(reason(with_claims(c)), "missing_audience");
}

TEST_F(JwtTest, Forged34_AzpMismatch) {
  json c = claims();
  c["aud"] = {kAudience, "other-api"};
  EXPECT_EQ(reason(with_claims(c)), "azp_mismatch");  // several audiences, no azp
  c["azp"] = "other-api";
  EXPECT_EQ(reason(with_claims(c)), "azp_mismatch");
  json single = claims();
  single["azp"] = "someone-else";  // present: must name us even with one audience
  EXPECT_EQ(reason(with_claims(single)), "azp_mismatch");
}

TEST_F(JwtTest, Forged35_UnknownCrit) {
  json h = header(k().rsa);
  h["crit"] = {"exp"};
  h["exp"] = 1;
  EXPECT_EQ(reason(forge::sign_jwt(k().rsa, h, claims())), "unknown_crit");
  h["crit"] = {"b64"};
  h["b64"] = false;
  EXPECT_EQ(reason(forge::sign_jwt(k().rsa, h, claims())), "unknown_crit");
}

TEST_F(JwtTest, Forged36_ExpAsString) {
  json c = claims();
  c["exp"] = std::to_string(clock_.now_unix() + 300);
  EXPECT_EQ(reason(with_claims(c)), "bad_claim");
}

TEST_F(JwtTest, Forged37_ExpHuge) {
  const std::string tok = forge::sign_compact(
      k().rsa, "RS256", header(k().rsa).dump(),
      R"({"iss":"https://idp.example.com/realms/corp","aud":"linux-hosts","sub":"s","exp":1e300})");
  EXPECT_EQ(reason(tok), "bad_claim");
  const std::string big = forge::sign_compact(
      k().rsa, "RS256", header(k().rsa).dump(),
      R"({"iss":"https://idp.example.com/realms/corp","aud":"linux-hosts","sub":"s","exp":18446744073709551615})");
  EXPECT_EQ(reason(big), "bad_claim");
}

TEST_F(JwtTest, Forged38_ExpMissingNegativeOrFractional) {
  json c = claims();
  c.erase("exp");
  EXPECT_EQ(reason(with_claims(c)), "bad_claim");
  c["exp"] = -1;
  EXPECT_EQ(reason(with_claims(c)), "bad_claim");
  c["exp"] = static_cast<double>(clock_.now_unix()) + 300.5;
  EXPECT_EQ(reason(with_claims(c)), "bad_claim");
  c["exp"] = nullptr;
  EXPECT_EQ(reason(with_claims(c)), "bad_claim");
}

TEST_F(JwtTest, Forged39_OtherClaimsOfWrongType) {
  json c = claims();
  c["nbf"] = "yesterday";
  EXPECT_EQ(reason(with_claims(c)), "bad_claim");
  c = claims();
  c["aud"] = 7;
  EXPECT_EQ(reason(with_claims(c)), "bad_claim");
  c = claims();
  c["aud"] = json::array({kAudience, 7});  // an accepted audience does not excuse the rest
  EXPECT_EQ(reason(with_claims(c)), "bad_claim");
  c = claims();
  c["azp"] = json::array({kAudience});
  EXPECT_EQ(reason(with_claims(c)), "bad_claim");
  c = claims();
  c["sub"] = 1000;
  EXPECT_EQ(reason(with_claims(c)), "bad_claim");
  c = claims();
  c["iat"] = true;
  EXPECT_EQ(reason(with_claims(c)), "bad_claim");
}

TEST_F(JwtTest, Forged40_OversizedToken) {
  json c = claims();
  c["pad"] = std::string(16 * 1024, 'x');
  EXPECT_EQ(reason(with_claims(c)), "too_large");
  EXPECT_EQ(reason(std::string(16 * 1024 + 1, '.')), "too_large");  // checked before anything else
}

TEST_F(JwtTest, Forged41_Rsa1024Key) {
  EXPECT_EQ(reason(good(k().rsa1024)), "unknown_key");  // the JWKS import refused the key
}

TEST_F(JwtTest, Forged42_UnacceptedTyp) {
  for (const char* typ : {"JWE", "logout+jwt", "dpop+jwt", "JOSE+JSON", ""}) {
    json h = header(k().rsa);
    h["typ"] = typ;
    EXPECT_EQ(reason(forge::sign_jwt(k().rsa, h, claims())), "malformed") << typ;
  }
  json h = header(k().rsa);
  h["typ"] = 1;
  EXPECT_EQ(reason(forge::sign_jwt(k().rsa, h, claims())), "malformed");
}

TEST_F(JwtTest, Forged43_KidNotAString) {
  json h = header(k().rsa);
  h["kid"] = 5;
  EXPECT_EQ(reason(forge::sign_jwt(k().rsa, h, claims())), "malformed");
}

TEST_F(JwtTest, Forged44_EdDsaSignatureFlipped) {
  const std::string tok = good(k().ed);
  std::string sig = forge::b64url(std::string(64, '\x11'));
  EXPECT_EQ(reason(replace_part(tok, 2, sig)), "bad_signature");
}

TEST_F(JwtTest, Forged45_HeaderNestedTooDeep) {
  const std::string deep = R"({"alg":"RS256","kid":"rsa","x":)" + std::string(40, '[') + std::string(40, ']') + "}";
  EXPECT_EQ(reason(forge::sign_compact(k().rsa, "RS256", deep, claims().dump())), "malformed");
}

TEST_F(JwtTest, Forged46_SignatureOverDifferentHeader) {
  // Same key, valid signature for an RS384 header, presented under an RS256 header.
  const std::string rs384 = good(k().rsa, "RS384");
  const std::string rs256 = good(k().rsa, "RS256");
  EXPECT_EQ(reason(replace_part(rs256, 2, part(rs384, 2))), "bad_signature");
}

}  // namespace
}  // namespace oidc_sysauth
