// LocalAccountsCache: parsed once, re-read when the files change, never stale past the
// recheck interval, errors never cached.
#include "local_accounts_cache.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace oidc_sysauth {
namespace {

class LocalAccountsCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("lac-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    write("passwd", "root:x:0:0:root:/root:/bin/bash\n");
    write("group", "root:x:0:\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    const auto tmp = dir_ / (name + ".tmp");
    std::ofstream(tmp) << text;
    std::filesystem::rename(tmp, dir_ / name);  // new inode, as useradd/vipw do
  }
  std::string path(const char* name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
  FakeClock clock_;
};

TEST_F(LocalAccountsCacheTest, ReadsBothFiles) {
  LocalAccountsCache cache(path("passwd"), path("group"), clock_);
  auto a = cache.get();
  ASSERT_TRUE(a) << a.error().detail;
  EXPECT_TRUE((*a)->has_name("root"));
  EXPECT_FALSE((*a)->has_name("bob"));
}

TEST_F(LocalAccountsCacheTest, SharesTheSnapshotWithinTheInterval) {
  LocalAccountsCache cache(path("passwd"), path("group"), clock_);
  auto a = cache.get();
  auto b = cache.get();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->get(), b->get());
}

TEST_F(LocalAccountsCacheTest, AddedUserSeenAfterTheInterval) {
  LocalAccountsCache cache(path("passwd"), path("group"), clock_);
  ASSERT_TRUE(cache.get());
  write("passwd", "root:x:0:0:root:/root:/bin/bash\nbob:x:1000:1000::/home/bob:/bin/sh\n");
  clock_.advance_seconds(1);
  auto a = cache.get();
  ASSERT_TRUE(a);
  EXPECT_TRUE((*a)->has_name("bob"));
}

TEST_F(LocalAccountsCacheTest, AddedGroupSeenAfterTheInterval) {
  LocalAccountsCache cache(path("passwd"), path("group"), clock_);
  ASSERT_TRUE(cache.get());
  write("group", "root:x:0:\ncarol:x:1001:\n");
  clock_.advance_seconds(1);
  auto a = cache.get();
  ASSERT_TRUE(a);
  EXPECT_TRUE((*a)->has_name("carol"));
}

TEST_F(LocalAccountsCacheTest, InPlaceEditOfRecentFileIsReRead) {
  // Same inode, same size, within the file system's timestamp granularity: the stamp may
  // not change, so recently modified files are re-read at every check.
  LocalAccountsCache cache(path("passwd"), path("group"), clock_, 0);
  clock_.set_unix(::time(nullptr));
  ASSERT_TRUE(cache.get());
  {
    std::fstream f(path("passwd"), std::ios::in | std::ios::out);
    f << "toot";  // same length as "root"
  }
  auto a = cache.get();
  ASSERT_TRUE(a);
  EXPECT_TRUE((*a)->has_name("toot"));
}

TEST_F(LocalAccountsCacheTest, MissingFilesCountAsEmpty) {
  LocalAccountsCache cache(path("none1"), path("none2"), clock_);
  auto a = cache.get();
  ASSERT_TRUE(a);
  EXPECT_FALSE((*a)->has_name("root"));
}

TEST_F(LocalAccountsCacheTest, UnreadableFileFailsAndIsNotCached) {
  std::filesystem::create_directory(dir_ / "etc");
  std::filesystem::rename(dir_ / "group", dir_ / "etc" / "group");
  const std::string group = (dir_ / "etc" / "group").string();
  LocalAccountsCache cache(path("passwd"), group, clock_);
  ASSERT_TRUE(cache.get());
  std::filesystem::rename(dir_ / "etc", dir_ / "etc.away");
  std::ofstream(dir_ / "etc") << "not a directory\n";  // stat() now fails with ENOTDIR
  clock_.advance_seconds(1);
  EXPECT_FALSE(cache.get());
  EXPECT_FALSE(cache.get());  // still failing, not served from the old snapshot
  std::filesystem::remove(dir_ / "etc");
  std::filesystem::rename(dir_ / "etc.away", dir_ / "etc");
  auto a = cache.get();
  ASSERT_TRUE(a);
  EXPECT_TRUE((*a)->has_name("root"));
}

}  // namespace
}  // namespace oidc_sysauth
