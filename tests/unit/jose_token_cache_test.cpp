#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "clock.hpp"
#include "jose/token_cache.hpp"

// Counts C++ allocations so the test can assert the hit path makes none.
// GCC's -Wmismatched-new-delete cannot see that these replacements pair malloc with free
// themselves, and fires once optimisation inlines them (Release builds).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
std::atomic<long> g_allocations{0};
}
void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace oidc_sysauth {
namespace {

VerifiedJwt jwt(std::int64_t exp, std::string sub = "alice") {
  VerifiedJwt v;
  v.alg = "RS256";
  v.exp = exp;
  v.claims = {{"sub", std::move(sub)}, {"exp", exp}};
  return v;
}

class TokenCacheTest : public ::testing::Test {
 protected:
  FakeClock clock_{1'800'000'000};
  std::int64_t now() const { return clock_.now_unix(); }
};

TEST_F(TokenCacheTest, MissThenHit) {
  TokenCache cache(clock_);
  EXPECT_EQ(cache.find("token-a"), nullptr);
  ASSERT_NE(cache.insert("token-a", jwt(now() + 100)), nullptr);
  auto hit = cache.find("token-a");
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->claims["sub"], "alice");
  EXPECT_EQ(cache.find("token-b"), nullptr);
  EXPECT_EQ(cache.find("token-a "), nullptr);  // any difference is another key
  EXPECT_EQ(cache.stats().hits, 1U);
  EXPECT_EQ(cache.stats().misses, 3U);
}

TEST_F(TokenCacheTest, KeyIsSha256OfToken) {
  const auto key = TokenCache::key_for("abc");
  // FIPS 180-2 test vector.
  const unsigned char expected[] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
                                    0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
                                    0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
  EXPECT_EQ(0, std::memcmp(key.data(), expected, 32));
}

TEST_F(TokenCacheTest, ExpiresAtTokenExp) {
  TokenCache cache(clock_, {.capacity = 10, .max_ttl_seconds = 300});
  cache.insert("t", jwt(now() + 100));
  clock_.advance_seconds(99);
  EXPECT_NE(cache.find("t"), nullptr);
  clock_.advance_seconds(1);
  EXPECT_EQ(cache.find("t"), nullptr);
  EXPECT_EQ(cache.size(), 0U);  // dropped when found dead
}

TEST_F(TokenCacheTest, ExpiresAtMaxTtl) {
  TokenCache cache(clock_, {.capacity = 10, .max_ttl_seconds = 60});
  cache.insert("t", jwt(now() + 3600));
  clock_.advance_seconds(59);
  EXPECT_NE(cache.find("t"), nullptr);
  clock_.advance_seconds(1);
  EXPECT_EQ(cache.find("t"), nullptr);
}

TEST_F(TokenCacheTest, RefusesAlreadyExpiredAndDisabled) {
  TokenCache cache(clock_);
  EXPECT_EQ(cache.insert("t", jwt(now())), nullptr);
  EXPECT_EQ(cache.find("t"), nullptr);
  TokenCache off(clock_, {.capacity = 0});
  EXPECT_EQ(off.insert("t", jwt(now() + 100)), nullptr);
  EXPECT_EQ(off.size(), 0U);
}

TEST_F(TokenCacheTest, EvictsLeastRecentlyUsedAtCapacity) {
  TokenCache cache(clock_, {.capacity = 3, .max_ttl_seconds = 300});
  cache.insert("a", jwt(now() + 100));
  cache.insert("b", jwt(now() + 100));
  cache.insert("c", jwt(now() + 100));
  EXPECT_NE(cache.find("a"), nullptr);  // a is now the most recent; b the least
  cache.insert("d", jwt(now() + 100));
  EXPECT_EQ(cache.size(), 3U);
  EXPECT_EQ(cache.find("b"), nullptr);
  EXPECT_NE(cache.find("a"), nullptr);
  EXPECT_NE(cache.find("c"), nullptr);
  EXPECT_NE(cache.find("d"), nullptr);
  EXPECT_EQ(cache.stats().evictions, 1U);
  for (int i = 0; i < 100; ++i) cache.insert("x" + std::to_string(i), jwt(now() + 100));
  EXPECT_EQ(cache.size(), 3U);
}

TEST_F(TokenCacheTest, ReinsertReplaces) {
  TokenCache cache(clock_);
  cache.insert("t", jwt(now() + 100, "old"));
  cache.insert("t", jwt(now() + 200, "new"));
  EXPECT_EQ(cache.size(), 1U);
  EXPECT_EQ(cache.find("t")->claims["sub"], "new");
  clock_.advance_seconds(150);
  EXPECT_NE(cache.find("t"), nullptr);
}

TEST_F(TokenCacheTest, ClearForgetsEverything) {
  TokenCache cache(clock_);
  cache.insert("a", jwt(now() + 100));
  auto held = cache.insert("b", jwt(now() + 100));
  cache.clear();
  EXPECT_EQ(cache.size(), 0U);
  EXPECT_EQ(cache.find("a"), nullptr);
  EXPECT_EQ(held->claims["sub"], "alice");  // a caller's reference stays valid
}

TEST_F(TokenCacheTest, HitAllocatesNothing) {
  TokenCache cache(clock_);
  const std::string token(900, 'x');
  cache.insert(token, jwt(now() + 100));
  const long before = g_allocations.load();
  for (int i = 0; i < 100; ++i) {
    auto hit = cache.find(token);
    ASSERT_NE(hit, nullptr);
  }
  EXPECT_EQ(g_allocations.load() - before, 0);
}

TEST_F(TokenCacheTest, ConcurrentUseFromFourThreads) {
  TokenCache cache(clock_, {.capacity = 64, .max_ttl_seconds = 300});
  std::atomic<long> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) {
        const std::string token = "token-" + std::to_string((i * 7 + t) % 100);
        if (auto hit = cache.find(token)) {
          if (hit->claims["sub"] != token) wrong.fetch_add(1);
        } else {
          cache.insert(token, jwt(1'800'000'100, token));
        }
        if (t == 0 && i % 1000 == 999) cache.clear();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(cache.size(), 64U);
  const auto s = cache.stats();
  EXPECT_EQ(s.hits + s.misses, 20000U);
}

}  // namespace
}  // namespace oidc_sysauth
