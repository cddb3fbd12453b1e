// Security issue (8), in one process against the real test IdP:
//  - a long run of logins (good, wrong, unknown, token) leaks no file descriptor;
//  - 50 bearer verifications in parallel while the IdP rotates its signing key: every token
//    signed by a published key verifies, a forged one never does, no thread hangs;
//  - the IdP down / slow / 500 / 503 / garbage under parallel load: every call fails as
//    kIdpUnavailable (or succeeds where the fault lets it) within timeout + 1 s.
#include <dirent.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "auth/authenticator.hpp"
#include "clock.hpp"
#include "idp_env.hpp"
#include "net_idp_helpers.hpp"

namespace oidc_sysauth::testing {
namespace {

// Open descriptors of this process (the directory stream's own fd excluded).
int open_fds() {
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  int n = 0;
  while (::readdir(d) != nullptr) ++n;
  ::closedir(d);
  return n - 3;  // ".", ".." and the stream itself
}

class NoPrompts final : public Conversation {
 public:
  Result<Secret> prompt_hidden(std::string_view) override { return fail(ErrorCode::kConversation, "no prompts"); }
  Result<std::string> prompt_visible(std::string_view) override { return fail(ErrorCode::kConversation, "no prompts"); }
  void info(std::string_view) override {}
  void error(std::string_view) override {}
};

LoginRequest login_request(const std::string& user, const std::string& password) {
  LoginRequest r;
  r.login_name = user;
  r.service = "sshd";
  r.password = Secret(password);
  return r;
}

std::string forge(std::string token) {
  auto pos = token.rfind('.') + 5;
  token[pos] = token[pos] == 'A' ? 'B' : 'A';
  return token;
}

class SecurityLoad : public ::testing::Test {
 protected:
  void SetUp() override { admin.clear_faults(); }
  void TearDown() override { admin.clear_faults(); }
  std::shared_ptr<OidcContext> context(const Config& c) {
    ContextOptions o;
    o.use_disk_cache = false;
    auto ctx = OidcContext::create(c, o);
    EXPECT_TRUE(ctx) << ctx.error().detail;
    return *ctx;
  }
  std::string mint(const std::string& user) {
    return admin
        .post("/admin/token",
              {{"profile", "default"}, {"user", user}, {"alg", "RS256"}, {"aud", "linux-hosts"}, {"ttl", 600}})["token"]
        .get<std::string>();
  }
  IdpEnv env = read_idp_env();
  IdpAdmin admin{idp_value(env, "IDP_ADMIN")};
};

TEST_F(SecurityLoad, FiveHundredLoginsLeakNoDescriptor) {
  auto ctx = context(default_config(env));
  NoPrompts conv;
  ASSERT_TRUE(ctx->login(login_request("alice", "alice-pw"), conv));  // warm: discovery, JWKS, connection
  ASSERT_TRUE(ctx->verify_bearer(mint("alice")));
  const int before = open_fds();
  ASSERT_GT(before, 0);
  int ok = 0, refused = 0, wrong_outcome = 0;
  for (int i = 0; i < 500; ++i) {
    const bool good = i % 3 != 1;
    const std::string user = i % 5 == 4 ? "nosuchuser" : (i % 2 ? "alice" : "bob");
    const bool expect_ok = good && user != "nosuchuser";
    auto r = ctx->login(login_request(user, good ? user + "-pw" : "wrong-" + std::to_string(i)), conv);
    (r ? ok : refused)++;
    if (r.has_value() != expect_ok) ++wrong_outcome;
    if (i % 50 == 0) {
      EXPECT_FALSE(ctx->verify_bearer(forge(mint("alice"))));
      EXPECT_FALSE(ctx->verify_bearer("not-a-token"));
    }
  }
  const int after = open_fds();
  std::printf("500 logins in one process: %d succeeded, %d refused; open fds %d before, %d after\n", ok, refused,
              before, after);
  EXPECT_EQ(wrong_outcome, 0);
  EXPECT_LE(after, before) << "descriptors leaked across 500 logins";
}

TEST_F(SecurityLoad, ParallelVerificationsDuringKeyRotation) {
  auto ctx = context(default_config(env));
  const std::string before_rotation = mint("alice");
  ASSERT_TRUE(ctx->verify_bearer(before_rotation));
  std::atomic<int> ok{0}, bad{0}, forged_accepted{0};
  std::atomic<bool> rotated{false};
  std::vector<std::string> after_rotation;
  std::vector<std::thread> threads;
  const int fds = open_fds();
  const auto t0 = std::chrono::steady_clock::now();
  for (int t = 0; t < 50; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 4; ++i) {
        (ctx->verify_bearer(before_rotation) ? ok : bad)++;
        if (ctx->verify_bearer(forge(before_rotation))) forged_accepted++;
        if (t % 10 == 0 && i == 1 && !rotated.exchange(true))
          admin.post("/admin/rotate", {{"profile", "default"}, {"alg", "RS256"}});
      }
    });
  }
  for (auto& th : threads) th.join();
  // Tokens of the new key, verified by the same context in parallel: an unknown kid makes one
  // refetch; the rest wait for it or find the key already there.
  for (int i = 0; i < 10; ++i) after_rotation.push_back(mint(i % 2 ? "alice" : "bob"));
  threads.clear();
  std::atomic<int> new_ok{0};
  for (int t = 0; t < 50; ++t)
    threads.emplace_back([&, t] { new_ok += ctx->verify_bearer(after_rotation[t % 10]) ? 1 : 0; });
  for (auto& th : threads) th.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("rotation under load: %d/%d old-key verifications ok, %d/50 new-key ok, %d forged accepted, %.2f s\n",
              ok.load(), ok.load() + bad.load(), new_ok.load(), forged_accepted.load(), seconds);
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(forged_accepted.load(), 0);
  EXPECT_EQ(new_ok.load(), 50);
  EXPECT_LE(open_fds(), fds + 2);  // the context may keep a connection or two to the IdP
}

TEST_F(SecurityLoad, FaultsUnderParallelLoginsFailWithinTimeout) {
  Config c = default_config(env);  // timeout 2 s
  struct Case {
    nlohmann::json fault;
    bool may_succeed;
  };
  const std::vector<Case> cases = {
      {{{"path", "token"}, {"kind", "status"}, {"status", 500}}, false},
      {{{"path", "token"}, {"kind", "status"}, {"status", 503}}, false},
      {{{"path", "token"}, {"kind", "garbage"}}, false},
      {{{"path", "token"}, {"kind", "drop"}}, false},
      {{{"path", "token"}, {"kind", "delay"}, {"ms", 5000}}, false},
      {{{"path", "token"}, {"kind", "trickle"}, {"ms", 500}, {"bytes", 60}}, false},
      {{{"path", "token"}, {"kind", "delay"}, {"ms", 300}}, true},
  };
  int calls = 0;
  for (const auto& k : cases) {
    admin.clear_faults();
    auto ctx = context(c);
    ASSERT_TRUE(ctx->preload());
    admin.fault(k.fault);
    std::atomic<int> succeeded{0}, unavailable{0}, other{0};
    std::atomic<long> slowest_ms{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 20; ++t)
      threads.emplace_back([&] {
        NoPrompts conv;
        const auto t0 = std::chrono::steady_clock::now();
        auto r = ctx->login(login_request("alice", "alice-pw"), conv);
        const long ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
        long prev = slowest_ms.load();
        while (ms > prev && !slowest_ms.compare_exchange_weak(prev, ms)) {
        }
        if (r) succeeded++;
        // Both mean "the IdP cannot answer" (PAM_AUTHINFO_UNAVAIL, SASL_UNAVAIL).
        else if (r.error().code == ErrorCode::kIdpUnavailable || r.error().code == ErrorCode::kBadResponse)
          unavailable++;
        else
          other++;
      });
    for (auto& th : threads) th.join();
    calls += 20;
    std::printf("fault %s: 20 parallel logins: %d ok, %d unavailable, %d other, slowest %ld ms\n",
                k.fault.dump().c_str(), succeeded.load(), unavailable.load(), other.load(), slowest_ms.load());
    EXPECT_LE(slowest_ms.load(), (c.idp.timeout_seconds + 1) * 1000) << k.fault.dump();
    EXPECT_EQ(other.load(), 0) << k.fault.dump();
    if (k.may_succeed)
      EXPECT_EQ(succeeded.load(), 20) << k.fault.dump();
    else
      EXPECT_EQ(succeeded.load(), 0) << k.fault.dump();
  }
  admin.clear_faults();
  // And the IdP back: the same kind of context logs in again.
  NoPrompts conv;
  EXPECT_TRUE(context(c)->login(login_request("alice", "alice-pw"), conv));
  std::printf("%d faulted logins in total\n", calls);
}

}  // namespace
}  // namespace oidc_sysauth::testing
