// HeaderMemo: a remembered header changes how fast a token is verified, never whether.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "clock.hpp"
#include "jose/header_memo.hpp"
#include "jose/jwt.hpp"
#include "token_forge.hpp"

namespace oidc_sysauth {
namespace {

using forge::ForgeKey;
using nlohmann::json;

constexpr const char* kIssuer = "https://idp.example.com/realms/corp";
constexpr const char* kAudience = "linux-hosts";

std::string encoded_header(const std::string& token) { return token.substr(0, token.find('.')); }

class HeaderMemoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    jwks_ = JwkSet::parse(forge::jwks_json({&rsa_, &p256_})).value();
    policy_.issuer = kIssuer;
    policy_.audiences = {kAudience};
    policy_.algorithms = {"RS256", "ES256"};
  }
  static json header(const ForgeKey& key) { return json{{"alg", key.default_alg()}, {"kid", key.kid()}, {"typ", "JWT"}}; }
  std::string token(const ForgeKey& signer, const ForgeKey& named, json claims) const {
    return forge::sign_jwt(signer, header(named), claims);
  }
  json claims() const { return forge::standard_claims(kIssuer, kAudience, clock_.now_unix()); }
  std::string reason(const std::string& t) const {
    auto r = verify_jwt(t, jwks_, policy_, clock_);
    return r ? std::string("ACCEPTED") : r.error().reason;
  }

  ForgeKey rsa_ = forge::fixture_key("rsa2048-a", "rsa");
  ForgeKey p256_ = forge::fixture_key("p256-a", "p256");
  ForgeKey evil_rsa_ = forge::fixture_key("rsa2048-c", "rsa");  // attacker's key under the published kid
  FakeClock clock_{1'800'000'000};
  JwkSet jwks_;
  JwtPolicy policy_;
};

TEST_F(HeaderMemoTest, OnlyAVerifiedTokenPutsItsHeaderInTheMemo) {
  ASSERT_NE(jwks_.header_memo(), nullptr);
  const std::string forged = token(evil_rsa_, rsa_, claims());
  EXPECT_EQ(reason(forged), "bad_signature");
  EXPECT_EQ(jwks_.header_memo()->find(encoded_header(forged)), nullptr) << "a forged token's header was remembered";
  const std::string good = token(rsa_, rsa_, claims());
  EXPECT_EQ(reason(good), "ACCEPTED");
  EXPECT_NE(jwks_.header_memo()->find(encoded_header(good)), nullptr);
}

TEST_F(HeaderMemoTest, RememberedHeaderStillGetsEveryCheck) {
  ASSERT_EQ(reason(token(rsa_, rsa_, claims())), "ACCEPTED");  // header now remembered
  EXPECT_EQ(reason(token(evil_rsa_, rsa_, claims())), "bad_signature");
  json expired = claims();
  expired["exp"] = clock_.now_unix() - 3600;
  EXPECT_EQ(reason(token(rsa_, rsa_, expired)), "expired");
  json wrong_aud = claims();
  wrong_aud["aud"] = "someone-else";
  EXPECT_EQ(reason(token(rsa_, rsa_, wrong_aud)), "wrong_audience");
  policy_.algorithms = {"ES256"};  // the allow-list is consulted again, not remembered
  EXPECT_EQ(reason(token(rsa_, rsa_, claims())), "algorithm_refused");
}

TEST_F(HeaderMemoTest, VerifiedJwtCarriesTheHeaderEitherWay) {
  const std::string t = token(rsa_, rsa_, claims());
  auto first = verify_jwt(t, jwks_, policy_, clock_);
  auto second = verify_jwt(t, jwks_, policy_, clock_);
  ASSERT_TRUE(first && second);
  ASSERT_TRUE(first->header && second->header);
  EXPECT_EQ(*first->header, header(rsa_));
  EXPECT_EQ(*second->header, header(rsa_));
  EXPECT_EQ(second->kid, "rsa");
}

TEST_F(HeaderMemoTest, ANewKeySetStartsWithAnEmptyMemo) {
  const std::string t = token(rsa_, rsa_, claims());
  ASSERT_EQ(reason(t), "ACCEPTED");
  auto rotated = JwkSet::parse(forge::jwks_json({&p256_})).value();  // rsa key withdrawn
  EXPECT_EQ(rotated.header_memo()->find(encoded_header(t)), nullptr);
  auto r = verify_jwt(t, rotated, policy_, clock_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "unknown_key");
}

TEST(HeaderMemo, BoundedOldestEntryMakesRoom) {
  HeaderMemo memo;
  auto doc = std::make_shared<const json>(json{{"alg", "RS256"}});
  for (std::size_t i = 0; i <= HeaderMemo::kCapacity; ++i) memo.add("h" + std::to_string(i), doc);
  EXPECT_EQ(memo.find("h0"), nullptr);
  for (std::size_t i = 1; i <= HeaderMemo::kCapacity; ++i) EXPECT_NE(memo.find("h" + std::to_string(i)), nullptr) << i;
  const std::string huge(HeaderMemo::kMaxEncodedBytes + 1, 'e');
  memo.add(huge, doc);
  EXPECT_EQ(memo.find(huge), nullptr);
  EXPECT_EQ(memo.find("h-never"), nullptr);
}

TEST_F(HeaderMemoTest, ThreadsShareOneMemoSafely) {
  const std::string good_rsa = token(rsa_, rsa_, claims());
  const std::string good_ec = token(p256_, p256_, claims());
  const std::string forged = token(evil_rsa_, rsa_, claims());
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        if (!verify_jwt(good_rsa, jwks_, policy_, clock_)) ++wrong;
        if (!verify_jwt(good_ec, jwks_, policy_, clock_)) ++wrong;
        if (verify_jwt(forged, jwks_, policy_, clock_)) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace oidc_sysauth
