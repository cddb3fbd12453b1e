#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "jose/jwt.hpp"
#include "log.hpp"
#include "token_forge.hpp"

namespace oidc_sysauth {
namespace {

using forge::ForgeKey;
using forge::ForgeKeyType;
using nlohmann::json;

class CapturingLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view message) noexcept override { lines.emplace_back(message); }
  std::vector<std::string> lines;
};

class JwkSetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new ForgeKey(forge::fixture_key("rsa2048-a", "rsa"));
    rsa1024_ = new ForgeKey(forge::fixture_key("rsa1024", "weak"));
    p256_ = new ForgeKey(forge::fixture_key("p256-a", "p256"));
    p384_ = new ForgeKey(forge::fixture_key("p384", "p384"));
    p521_ = new ForgeKey(forge::fixture_key("p521", "p521"));
    ed_ = new ForgeKey(forge::fixture_key("ed25519-a", "ed"));
  }
  static void TearDownTestSuite() {
    for (auto* k : {rsa_, rsa1024_, p256_, p384_, p521_, ed_}) delete k;
  }
  static Result<JwkSet> parse_keys(const std::vector<json>& keys, Logger* log = nullptr) {
    json doc{{"keys", keys}};
    return JwkSet::parse(doc.dump(), log);
  }
  static ForgeKey* rsa_;
  static ForgeKey* rsa1024_;
  static ForgeKey* p256_;
  static ForgeKey* p384_;
  static ForgeKey* p521_;
  static ForgeKey* ed_;
};
ForgeKey* JwkSetTest::rsa_ = nullptr;
ForgeKey* JwkSetTest::rsa1024_ = nullptr;
ForgeKey* JwkSetTest::p256_ = nullptr;
ForgeKey* JwkSetTest::p384_ = nullptr;
ForgeKey* JwkSetTest::p521_ = nullptr;
ForgeKey* JwkSetTest::ed_ = nullptr;

TEST_F(JwkSetTest, ImportsEveryKeyType) {
  auto set = JwkSet::parse(forge::jwks_json({rsa_, p256_, p384_, p521_, ed_}));
  ASSERT_TRUE(set.has_value()) << set.error().detail;
  ASSERT_EQ(set->size(), 5U);
  EXPECT_EQ(set->keys()[0].kty, "RSA");
  EXPECT_EQ(set->keys()[1].crv, "P-256");
  EXPECT_EQ(set->keys()[4].kty, "OKP");
  for (const auto& k : set->keys()) EXPECT_NE(k.key, nullptr);
  EXPECT_TRUE(set->has_kid("p384"));
  EXPECT_FALSE(set->has_kid("nope"));
}

TEST_F(JwkSetTest, FindMatchesKidAndAlgFamily) {
  auto set = JwkSet::parse(forge::jwks_json({rsa_, p256_, p384_, p521_, ed_})).value();
  EXPECT_EQ(set.find("rsa", "RS256")->kid, "rsa");
  EXPECT_EQ(set.find("rsa", "PS512")->kid, "rsa");
  EXPECT_EQ(set.find("p256", "ES256")->kid, "p256");
  EXPECT_EQ(set.find("p384", "ES384")->kid, "p384");
  EXPECT_EQ(set.find("p521", "ES512")->kid, "p521");
  EXPECT_EQ(set.find("ed", "EdDSA")->kid, "ed");
  EXPECT_EQ(set.find("rsa", "ES256"), nullptr);   // wrong type
  EXPECT_EQ(set.find("p256", "ES384"), nullptr);  // wrong curve
  EXPECT_EQ(set.find("p384", "ES256"), nullptr);
  EXPECT_EQ(set.find("ed", "RS256"), nullptr);
  EXPECT_EQ(set.find("rsa", "HS256"), nullptr);   // never an HMAC alg
  EXPECT_EQ(set.find("rsa", "none"), nullptr);
  EXPECT_EQ(set.find("nope", "RS256"), nullptr);
}

TEST_F(JwkSetTest, TokenWithoutKidNeedsExactlyOneFittingKey) {
  auto set = JwkSet::parse(forge::jwks_json({rsa_, p256_, ed_})).value();
  EXPECT_EQ(set.find("", "RS256")->kid, "rsa");
  EXPECT_EQ(set.find("", "ES256")->kid, "p256");
  EXPECT_EQ(set.find("", "ES384"), nullptr);
  auto rsa2 = forge::fixture_key("rsa2048-b", "rsa2");
  auto two = JwkSet::parse(forge::jwks_json({rsa_, &rsa2, p256_})).value();
  EXPECT_EQ(two.find("", "RS256"), nullptr);  // ambiguous
  EXPECT_EQ(two.find("rsa2", "RS256")->kid, "rsa2");
  EXPECT_EQ(two.find("", "ES256")->kid, "p256");
}

TEST_F(JwkSetTest, RefusesWeakRsa) {
  CapturingLogger log;
  auto only_weak = JwkSet::parse(forge::jwks_json({rsa1024_}), &log);
  ASSERT_FALSE(only_weak.has_value());
  EXPECT_EQ(only_weak.error().code, ErrorCode::kBadResponse);
  ASSERT_EQ(log.lines.size(), 1U);
  EXPECT_NE(log.lines[0].find("1024 bits"), std::string::npos);
  auto mixed = JwkSet::parse(forge::jwks_json({rsa1024_, rsa_}));
  ASSERT_TRUE(mixed.has_value());
  EXPECT_EQ(mixed->size(), 1U);
  EXPECT_FALSE(mixed->has_kid("weak"));
}

TEST_F(JwkSetTest, RefusesOffCurvePoint) {
  json jwk = p256_->public_jwk();
  std::string y = jwk["y"];
  y[5] = y[5] == 'A' ? 'B' : 'A';  // a different y: (x, y') is almost surely off the curve
  jwk["y"] = y;
  CapturingLogger log;
  auto set = parse_keys({jwk, rsa_->public_jwk()}, &log);
  ASSERT_TRUE(set.has_value());
  EXPECT_FALSE(set->has_kid("p256"));
  ASSERT_EQ(log.lines.size(), 1U);
  EXPECT_NE(log.lines[0].find("p256"), std::string::npos);
}

TEST_F(JwkSetTest, RefusesWrongCoordinateLengths) {
  json short_x = p256_->public_jwk();
  short_x["x"] = forge::b64url(std::string(31, '\x01'));
  json p384_as_p256 = p384_->public_jwk();
  p384_as_p256["crv"] = "P-256";
  json ed_long = ed_->public_jwk();
  ed_long["x"] = forge::b64url(std::string(33, '\x01'));
  auto set = parse_keys({short_x, p384_as_p256, ed_long, rsa_->public_jwk()});
  ASSERT_TRUE(set.has_value());
  EXPECT_EQ(set->size(), 1U);
}

TEST_F(JwkSetTest, SkipsUnusableKeysWithALogLine) {
  json enc = rsa_->public_jwk();
  enc["kid"] = "enc";
  enc["use"] = "enc";
  json priv = p256_->public_jwk();
  priv["kid"] = "priv";
  priv["d"] = forge::b64url(std::string(32, '\x07'));
  json oct{{"kty", "oct"}, {"kid", "hmac"}, {"k", "c2VjcmV0"}};
  json ed448{{"kty", "OKP"}, {"crv", "Ed448"}, {"kid", "ed448"}, {"x", forge::b64url(std::string(57, 'x'))}};
  json secp256k1{{"kty", "EC"}, {"crv", "secp256k1"}, {"kid", "k1"}, {"x", "AA"}, {"y", "AA"}};
  json no_n{{"kty", "RSA"}, {"kid", "non"}, {"e", "AQAB"}};
  json ops = rsa_->public_jwk();
  ops["kid"] = "ops";
  ops["key_ops"] = {"encrypt"};
  json enc_alg = rsa_->public_jwk();
  enc_alg["kid"] = "oaep";
  enc_alg["alg"] = "RSA-OAEP";
  json lying_alg = p256_->public_jwk();
  lying_alg["kid"] = "lying";
  lying_alg["alg"] = "RS256";
  json bad_b64 = rsa_->public_jwk();
  bad_b64["kid"] = "b64";
  bad_b64["n"] = std::string(bad_b64["n"]) + "=";
  CapturingLogger log;
  auto set = parse_keys({enc, priv, oct, ed448, secp256k1, no_n, ops, enc_alg, lying_alg, bad_b64, json("str"),
                         ed_->public_jwk()},
                        &log);
  ASSERT_TRUE(set.has_value());
  ASSERT_EQ(set->size(), 1U);
  EXPECT_EQ(set->keys()[0].kid, "ed");
  EXPECT_EQ(log.lines.size(), 11U);
}

TEST_F(JwkSetTest, HonoursKeyAlg) {
  json with_alg = rsa_->public_jwk();
  with_alg["alg"] = "PS256";
  auto set = parse_keys({with_alg}).value();
  EXPECT_NE(set.find("rsa", "PS256"), nullptr);
  EXPECT_EQ(set.find("rsa", "RS256"), nullptr);  // the key says it is for PS256 only
}

TEST_F(JwkSetTest, DuplicateKidFirstWins) {
  auto other = forge::fixture_key("p256-b", "p256");  // same kid, different key
  CapturingLogger log;
  auto set = JwkSet::parse(forge::jwks_json({p256_, &other}), &log).value();
  EXPECT_EQ(set.size(), 1U);
  EXPECT_EQ(log.lines.size(), 1U);
  EXPECT_EQ(set.find("p256", "ES256")->key, set.keys()[0].key);
  // Same kid on keys of different types is not ambiguous: the alg picks one.
  json ec_as_rsa_kid = p256_->public_jwk();
  ec_as_rsa_kid["kid"] = "rsa";
  auto mixed = parse_keys({rsa_->public_jwk(), ec_as_rsa_kid}).value();
  EXPECT_EQ(mixed.size(), 2U);
  EXPECT_EQ(mixed.find("rsa", "ES256")->kty, "EC");
  EXPECT_EQ(mixed.find("rsa", "RS256")->kty, "RSA");
}

TEST_F(JwkSetTest, RefusesDocumentsThatAreNotJwks) {
  for (const char* bad : {"", "[]", "{}", R"({"keys":{}})", R"({"keys":[]})", "not json", R"({"keys":[1,2]})"}) {
    auto r = JwkSet::parse(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kBadResponse) << bad;
  }
}

TEST_F(JwkSetTest, GeneratedKeysImportToo) {
  // generate() is what tests without fixture files use: every type must round-trip.
  for (auto type : {ForgeKeyType::kRsa2048, ForgeKeyType::kP256, ForgeKeyType::kP384, ForgeKeyType::kP521,
                    ForgeKeyType::kEd25519}) {
    auto key = ForgeKey::generate(type, "gen");
    auto set = JwkSet::parse(forge::jwks_json({&key}));
    ASSERT_TRUE(set.has_value()) << key.default_alg();
    EXPECT_NE(set->find("gen", key.default_alg()), nullptr);
  }
}

TEST_F(JwkSetTest, RefusesBadRsaExponent) {
  json even = rsa_->public_jwk();
  even["e"] = forge::b64url(std::string("\x01\x00\x00", 3));
  json one = rsa_->public_jwk();
  one["e"] = "AQ";
  auto set = parse_keys({even, one, ed_->public_jwk()});
  ASSERT_TRUE(set.has_value());
  EXPECT_EQ(set->size(), 1U);
}

}  // namespace
}  // namespace oidc_sysauth
