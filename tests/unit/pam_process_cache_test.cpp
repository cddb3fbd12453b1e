// The PAM module's once-per-process config and context: reused while nothing they were read
// from changed, rebuilt as soon as the config, a secret file or the process changes.
#include "pam_process_cache.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace oidc_sysauth {
namespace {

namespace fs = std::filesystem;

class ProcessCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pam-process-cache-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // A distinct path per test: the cache is process-wide and keyed by path.
    config_path_ = dir_ + "/oidc-sysauth.conf";
    secret_path_ = dir_ + "/client-secret";
    write_secret("first-secret");
    write_config(10);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write_config(int timeout) {
    // Written to a new file and renamed over the old one, as editors and packages do.
    const std::string tmp = config_path_ + ".new";
    std::ofstream(tmp) << "[idp]\nissuer = https://127.0.0.1:9/realm\nclient_id = host\n"
                       << "client_secret_file = " << secret_path_ << "\ntimeout = " << timeout
                       << "\n[accounts]\ncache_dir = " << dir_ << "\nstate_dir = " << dir_ << "\n";
    ASSERT_EQ(::chmod(tmp.c_str(), 0644), 0);
    fs::rename(tmp, config_path_);
  }
  void write_secret(const std::string& value) {
    const std::string tmp = secret_path_ + ".new";
    std::ofstream(tmp) << value << "\n";
    ASSERT_EQ(::chmod(tmp.c_str(), 0600), 0);
    fs::rename(tmp, secret_path_);
  }

  std::string dir_, config_path_, secret_path_;
};

// load_config refuses files not owned by root: as another user the cache must pass that
// refusal on (and never cache it); as root it is exercised fully below.
bool running_as_root() { return ::geteuid() == 0; }

TEST_F(ProcessCacheTest, UnchangedConfigIsReusedWithTheSameGeneration) {
  auto first = load_config_cached(config_path_);
  if (!running_as_root()) {
    ASSERT_FALSE(first);
    EXPECT_EQ(first.error().code, ErrorCode::kConfig);
    EXPECT_FALSE(load_config_cached(config_path_));
    return;
  }
  ASSERT_TRUE(first) << first.error().detail;
  auto second = load_config_cached(config_path_);
  ASSERT_TRUE(second);
  EXPECT_NE(first->generation, 0u);
  EXPECT_EQ(first->generation, second->generation);
  EXPECT_EQ(second->config.idp.timeout_seconds, 10);
}

TEST_F(ProcessCacheTest, EditedConfigIsReadAgain) {
  if (!running_as_root()) {
    EXPECT_FALSE(load_config_cached(config_path_));
    return;
  }
  auto first = load_config_cached(config_path_);
  ASSERT_TRUE(first);
  write_config(7);
  auto second = load_config_cached(config_path_);
  ASSERT_TRUE(second);
  EXPECT_NE(first->generation, second->generation);
  EXPECT_EQ(second->config.idp.timeout_seconds, 7);
}

TEST_F(ProcessCacheTest, ConfigMadeUnsafeIsRefusedNotServedFromTheCache) {
  if (!running_as_root()) {
    EXPECT_FALSE(load_config_cached(config_path_));
    return;
  }
  ASSERT_TRUE(load_config_cached(config_path_));
  ASSERT_EQ(::chmod(config_path_.c_str(), 0666), 0);
  auto again = load_config_cached(config_path_);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConfig);
}

TEST_F(ProcessCacheTest, ContextIsReusedUntilConfigOrSecretChanges) {
  if (!running_as_root()) {
    EXPECT_FALSE(load_config_cached(config_path_));
    return;
  }
  auto loaded = load_config_cached(config_path_);
  ASSERT_TRUE(loaded);
  auto a = context_cached(loaded->config, loaded->generation);
  ASSERT_TRUE(a) << a.error().detail;
  auto b = context_cached(loaded->config, loaded->generation);
  ASSERT_TRUE(b);
  EXPECT_EQ(a->get(), b->get());  // same connection pool and caches

  write_secret("rotated-secret");  // the secret the context holds is stale now
  auto c = context_cached(loaded->config, loaded->generation);
  ASSERT_TRUE(c);
  EXPECT_NE(c->get(), a->get());

  write_config(9);
  auto reloaded = load_config_cached(config_path_);
  ASSERT_TRUE(reloaded);
  auto d = context_cached(reloaded->config, reloaded->generation);
  ASSERT_TRUE(d);
  EXPECT_NE(d->get(), c->get());
  EXPECT_EQ((*d)->config().idp.timeout_seconds, 9);
  // The replaced contexts stay valid for whoever still holds them.
  EXPECT_EQ((*a)->config().idp.timeout_seconds, 10);
}

TEST_F(ProcessCacheTest, UncachedGenerationAlwaysGetsAFreshContext) {
  if (!running_as_root()) {
    EXPECT_FALSE(load_config_cached(config_path_));
    return;
  }
  auto loaded = load_config_cached(config_path_);
  ASSERT_TRUE(loaded);
  auto a = context_cached(loaded->config, 0);
  auto b = context_cached(loaded->config, 0);
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_NE(a->get(), b->get());
}

TEST_F(ProcessCacheTest, ForkedChildNeverUsesItsParentsContext) {
  if (!running_as_root()) {
    EXPECT_FALSE(load_config_cached(config_path_));
    return;
  }
  auto loaded = load_config_cached(config_path_);
  ASSERT_TRUE(loaded);
  auto parent = context_cached(loaded->config, loaded->generation);
  ASSERT_TRUE(parent);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto child = context_cached(loaded->config, loaded->generation);
    auto again = context_cached(loaded->config, loaded->generation);
    // 0: a context of its own, reused within the child; 1: the parent's; 2: not reused.
    int code = 0;
    if (!child || !again || child->get() == parent->get())
      code = 1;
    else if (again->get() != child->get())
      code = 2;
    ::_exit(code);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  auto after = context_cached(loaded->config, loaded->generation);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->get(), parent->get());
}

class RecordingLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view message) noexcept override { lines += std::string(message) + "\n"; }
  std::string lines;
};

// The cached context outlives every pam_handle_t: its log lines go to whichever call is
// running on this thread, and nowhere once that call has ended.
TEST_F(ProcessCacheTest, ContextLogsThroughTheRunningCallsLogger) {
  if (!running_as_root()) {
    EXPECT_FALSE(load_config_cached(config_path_));
    return;
  }
  auto loaded = load_config_cached(config_path_);
  ASSERT_TRUE(loaded);
  auto context = context_cached(loaded->config, loaded->generation);
  ASSERT_TRUE(context);
  // A cache directory others may write to is refused with a warning (then the IdP, a closed
  // loopback port, refuses the connection at once).
  ASSERT_EQ(::chmod(dir_.c_str(), 0777), 0);
  RecordingLogger first, second;
  {
    const ScopedModuleLogger scope(first);
    EXPECT_FALSE((*context)->preload());
  }
  EXPECT_NE(first.lines.find("cache directory not trusted"), std::string::npos) << first.lines;
  {
    const ScopedModuleLogger scope(second);
    EXPECT_FALSE((*context)->preload());
  }
  EXPECT_NE(second.lines.find("cache directory not trusted"), std::string::npos) << second.lines;
  const std::string before = first.lines + second.lines;
  EXPECT_FALSE((*context)->preload());  // no call running: dropped, not sent to a dead handle
  EXPECT_EQ(first.lines + second.lines, before);
}

}  // namespace
}  // namespace oidc_sysauth
