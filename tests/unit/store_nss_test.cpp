// The NSS core (common/store/nss_source.cpp) with test paths: buffers, ERANGE,
// groups, initgroups, enumeration, reopen on replace, corrupt files, provisional users.
#include <cstdlib>
#include <cstring>
#include <set>

#include "store/nss_source.hpp"
#include "store_test_util.hpp"

namespace oidc_sysauth {
namespace {

using nss::Status;

class StoreNss : public testing::StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    store_ = open_store();
    config_path_ = dir_ + "/oidc.conf";
    passwd_path_ = dir_ + "/passwd";
    group_path_ = dir_ + "/group";
    store_file_ = store_path();
    journal_file_ = config_.accounts.state_dir + "/accounts.journal";
    state_ = nss::initial_state(store_file_.c_str(), journal_file_.c_str(), config_path_.c_str(), passwd_path_.c_str(),
                                group_path_.c_str());
  }
  void TearDown() override {
    nss::reset(state_);
    StoreFixture::TearDown();
  }
  // NSS rereads the config at most once a second; tests force the reread.
  void write_config(const std::string& accounts) {
    write_raw_config("[idp]\nissuer = https://idp.test\nclient_id = c\n[accounts]\n" + accounts);
  }
  void write_raw_config(const std::string& text) {
    write_file(config_path_, text);
    state_.config_checked_ms -= 1001;
  }

  std::unique_ptr<AccountStore> store_;
  std::string config_path_, passwd_path_, group_path_, store_file_, journal_file_;
  nss::SourceState state_{};
  char buf_[4096]{};
};

TEST_F(StoreNss, MissingStoreIsNotFound) {
  passwd pw{};
  EXPECT_EQ(nss::getpwnam(state_, "alice", &pw, buf_, sizeof buf_), Status::kNotFound);
  EXPECT_EQ(nss::getpwuid(state_, 1194533460, &pw, buf_, sizeof buf_), Status::kNotFound);
  group gr{};
  EXPECT_EQ(nss::getgrnam(state_, "sudo", &gr, buf_, sizeof buf_), Status::kNotFound);
  nss::setent(state_, nss::Db::kPasswd);
  EXPECT_EQ(nss::getpwent(state_, &pw, buf_, sizeof buf_), Status::kNotFound);
}

TEST_F(StoreNss, PasswdShadowAndGroups) {
  auto a = store_->upsert(identity("alice", "sub-a", {"sudo"}, {"oidc-devs"}));
  ASSERT_TRUE(a);
  ASSERT_TRUE(store_->upsert(identity("bob", "sub-b", {"sudo"})));
  passwd pw{};
  ASSERT_EQ(nss::getpwnam(state_, "alice", &pw, buf_, sizeof buf_), Status::kSuccess);
  EXPECT_STREQ(pw.pw_name, "alice");
  EXPECT_STREQ(pw.pw_passwd, "x");
  EXPECT_EQ(pw.pw_uid, a->uid);
  EXPECT_EQ(pw.pw_gid, a->uid);
  EXPECT_STREQ(pw.pw_gecos, "User alice");
  EXPECT_STREQ(pw.pw_dir, "/home/alice");
  EXPECT_STREQ(pw.pw_shell, "/bin/bash");
  ASSERT_EQ(nss::getpwuid(state_, a->uid, &pw, buf_, sizeof buf_), Status::kSuccess);
  EXPECT_STREQ(pw.pw_name, "alice");

  spwd sp{};
  ASSERT_EQ(nss::getspnam(state_, "alice", &sp, buf_, sizeof buf_), Status::kSuccess);
  EXPECT_STREQ(sp.sp_pwdp, "*");
  EXPECT_EQ(sp.sp_lstchg, -1);
  EXPECT_EQ(sp.sp_expire, -1);
  ASSERT_TRUE(store_->set_disabled("alice", true));
  ASSERT_EQ(nss::getspnam(state_, "alice", &sp, buf_, sizeof buf_), Status::kSuccess);
  EXPECT_EQ(sp.sp_expire, 1);

  group gr{};
  ASSERT_EQ(nss::getgrnam(state_, "sudo", &gr, buf_, sizeof buf_), Status::kSuccess);
  EXPECT_EQ(gr.gr_gid, 27u);
  ASSERT_NE(gr.gr_mem[0], nullptr);
  ASSERT_NE(gr.gr_mem[1], nullptr);
  EXPECT_EQ(gr.gr_mem[2], nullptr);
  // Members come from the base and the journal: any order.
  std::set<std::string> mem{gr.gr_mem[0], gr.gr_mem[1]};
  EXPECT_EQ(mem, (std::set<std::string>{"alice", "bob"}));
  ASSERT_EQ(nss::getgrgid(state_, 27, &gr, buf_, sizeof buf_), Status::kSuccess);
  EXPECT_STREQ(gr.gr_name, "sudo");
  ASSERT_EQ(nss::getgrnam(state_, "alice", &gr, buf_, sizeof buf_), Status::kSuccess);  // private group
  EXPECT_EQ(gr.gr_gid, a->uid);
  EXPECT_EQ(gr.gr_mem[0], nullptr);
  ASSERT_EQ(nss::getgrgid(state_, a->uid, &gr, buf_, sizeof buf_), Status::kSuccess);
  EXPECT_STREQ(gr.gr_name, "alice");
  ASSERT_EQ(nss::getgrnam(state_, "oidc-devs", &gr, buf_, sizeof buf_), Status::kSuccess);
  EXPECT_STREQ(gr.gr_mem[0], "alice");
  EXPECT_EQ(nss::getgrnam(state_, "users", &gr, buf_, sizeof buf_), Status::kNotFound);
}

TEST_F(StoreNss, SmallBuffersGiveTryAgainUntilLargeEnough) {
  ASSERT_TRUE(store_->upsert(identity("alice", "sub-a", {"sudo"})));
  ASSERT_TRUE(store_->upsert(identity("bob", "sub-b", {"sudo"})));
  std::size_t needed = 0;
  for (std::size_t len = 0; len < sizeof buf_; ++len) {
    passwd pw{};
    std::vector<char> b(len + 1);
    Status s = nss::getpwnam(state_, "alice", &pw, len == 0 ? nullptr : b.data(), len);
    if (s == Status::kSuccess) {
      needed = len;
      break;
    }
    ASSERT_EQ(s, Status::kTryAgain) << len;
  }
  EXPECT_GT(needed, 20u);
  for (std::size_t len = 0; len < 200; ++len) {
    group gr{};
    std::vector<char> b(len + 1);
    Status s = nss::getgrnam(state_, "sudo", &gr, b.data() + 1, len);  // misaligned on purpose
    if (s == Status::kSuccess) {
      EXPECT_STREQ(gr.gr_mem[1], "bob");
      break;
    }
    ASSERT_EQ(s, Status::kTryAgain) << len;
  }
}

TEST_F(StoreNss, InitgroupsAppendsGrowsAndHonoursLimit) {
  ASSERT_TRUE(store_->upsert(identity("alice", "sub-a", {"sudo", "users"}, {"oidc-devs"})));
  long start = 1, size = 1;
  auto* groups = static_cast<gid_t*>(std::malloc(sizeof(gid_t)));
  groups[0] = 100;  // "users" already present: not added twice
  ASSERT_EQ(nss::initgroups(state_, "alice", 5, &start, &size, &groups, 0), Status::kSuccess);
  ASSERT_EQ(start, 3);
  EXPECT_GE(size, 3);
  std::set<gid_t> got(groups, groups + start);
  EXPECT_EQ(got, (std::set<gid_t>{100, 27, 1253187446}));  // users, sudo, oidc-devs
  std::free(groups);

  start = 0;
  size = 1;
  groups = static_cast<gid_t*>(std::malloc(sizeof(gid_t)));
  ASSERT_EQ(nss::initgroups(state_, "alice", 27, &start, &size, &groups, 2), Status::kSuccess);
  EXPECT_EQ(start, 2);  // limit 2, sudo skipped as the "primary" group
  EXPECT_LE(size, 2);
  std::free(groups);

  start = 0;
  size = 0;
  groups = nullptr;
  EXPECT_EQ(nss::initgroups(state_, "nobody-here", 0, &start, &size, &groups, 0), Status::kNotFound);
}

TEST_F(StoreNss, EnumerationListsActiveAccountsOnly) {
  ASSERT_TRUE(store_->upsert(identity("alice", "sub-a", {"sudo"}, {"oidc-devs"})));
  ASSERT_TRUE(store_->upsert(identity("bob", "sub-b")));
  ASSERT_TRUE(store_->upsert(identity("carol", "sub-c")));
  ASSERT_TRUE(store_->remove("bob", false));
  std::vector<std::string> names;
  passwd pw{};
  nss::setent(state_, nss::Db::kPasswd);
  for (int i = 0; i < 10 && nss::getpwent(state_, &pw, buf_, sizeof buf_) == Status::kSuccess; ++i)
    names.emplace_back(pw.pw_name);
  EXPECT_EQ(names, (std::vector<std::string>{"alice", "carol"}));
  // A too-small buffer retries the same entry.
  nss::setent(state_, nss::Db::kPasswd);
  EXPECT_EQ(nss::getpwent(state_, &pw, buf_, 4), Status::kTryAgain);
  ASSERT_EQ(nss::getpwent(state_, &pw, buf_, sizeof buf_), Status::kSuccess);
  EXPECT_STREQ(pw.pw_name, "alice");

  std::vector<std::string> groups;
  group gr{};
  nss::setent(state_, nss::Db::kGroup);
  for (int i = 0; i < 10 && nss::getgrent(state_, &gr, buf_, sizeof buf_) == Status::kSuccess; ++i)
    groups.emplace_back(gr.gr_name);
  EXPECT_EQ(groups, (std::vector<std::string>{"oidc-devs", "alice", "carol"}));  // not the local sudo

  spwd sp{};
  nss::setent(state_, nss::Db::kShadow);
  int count = 0;
  while (count < 10 && nss::getspent(state_, &sp, buf_, sizeof buf_) == Status::kSuccess) ++count;
  EXPECT_EQ(count, 2);

  write_config("enumerate = false\n");
  nss::setent(state_, nss::Db::kPasswd);
  EXPECT_EQ(nss::getpwent(state_, &pw, buf_, sizeof buf_), Status::kNotFound);
}

TEST_F(StoreNss, ReopensWhenTheFileIsReplaced) {
  ASSERT_TRUE(store_->upsert(identity("alice", "sub-a")));
  passwd pw{};
  ASSERT_EQ(nss::getpwnam(state_, "alice", &pw, buf_, sizeof buf_), Status::kSuccess);
  EXPECT_EQ(nss::getpwnam(state_, "bob", &pw, buf_, sizeof buf_), Status::kNotFound);
  ASSERT_TRUE(store_->upsert(identity("bob", "sub-b")));
  EXPECT_EQ(nss::getpwnam(state_, "bob", &pw, buf_, sizeof buf_), Status::kSuccess);
  ASSERT_TRUE(store_->upsert(identity("robert", "sub-b")));  // rename
  EXPECT_EQ(nss::getpwnam(state_, "bob", &pw, buf_, sizeof buf_), Status::kNotFound);
  EXPECT_EQ(nss::getpwnam(state_, "robert", &pw, buf_, sizeof buf_), Status::kSuccess);
}

TEST_F(StoreNss, WriterReplacementIsSeenAtOnceOtherReplacementsAfterTheRecheck) {
  ASSERT_TRUE(store_->upsert(identity("alice", "sub-a")));
  passwd pw{};
  ASSERT_EQ(nss::getpwnam(state_, "alice", &pw, buf_, sizeof buf_), Status::kSuccess);
  // An external copy (not through AccountStore) does not flag the old file.
  const std::string copy = dir_ + "/copy.db", jcopy = dir_ + "/copy.journal";
  std::filesystem::copy_file(store_file_, copy);
  std::filesystem::copy_file(journal_file_, jcopy);
  ASSERT_TRUE(store_->upsert(identity("bob", "sub-b")));  // flags the mapped journal superseded
  EXPECT_EQ(nss::getpwnam(state_, "bob", &pw, buf_, sizeof buf_), Status::kSuccess);
  ASSERT_EQ(std::rename(copy.c_str(), store_file_.c_str()), 0);  // back to "alice only"
  ASSERT_EQ(std::rename(jcopy.c_str(), journal_file_.c_str()), 0);
  EXPECT_EQ(nss::getpwnam(state_, "bob", &pw, buf_, sizeof buf_), Status::kSuccess);  // stale for <= 1 s
  state_.checked_ms -= 1001;
  EXPECT_EQ(nss::getpwnam(state_, "bob", &pw, buf_, sizeof buf_), Status::kNotFound);
}

TEST_F(StoreNss, CorruptOrUnsafeFileIsUnavailNotACrash) {
  ASSERT_TRUE(store_->upsert(identity("alice", "sub-a")));
  passwd pw{};
  ASSERT_EQ(nss::getpwnam(state_, "alice", &pw, buf_, sizeof buf_), Status::kSuccess);
  write_file(store_file_ + ".bad", "OIDCACCT\x01\0\0\0 this is not a store");
  ASSERT_EQ(std::rename((store_file_ + ".bad").c_str(), store_file_.c_str()), 0);
  // Replaced behind the writer's back: noticed at the next periodic stat (forced here).
  state_.checked_ms = 0;
  EXPECT_EQ(nss::getpwnam(state_, "alice", &pw, buf_, sizeof buf_), Status::kUnavail);
  EXPECT_EQ(nss::getpwuid(state_, 1194533460, &pw, buf_, sizeof buf_), Status::kUnavail);
  std::remove(store_file_.c_str());
  EXPECT_EQ(nss::getpwnam(state_, "alice", &pw, buf_, sizeof buf_), Status::kNotFound);
  ASSERT_TRUE(store_->upsert(identity("alice", "sub-a")));
  ASSERT_EQ(nss::getpwnam(state_, "alice", &pw, buf_, sizeof buf_), Status::kSuccess);
  ASSERT_EQ(::chmod(store_file_.c_str(), 0664), 0);
  state_.checked_ms = 0;
  // Same inode, new ctime: remapped and refused (group-writable).
  EXPECT_EQ(nss::getpwnam(state_, "alice", &pw, buf_, sizeof buf_), Status::kUnavail);
}

TEST_F(StoreNss, ProvisionalUsersGetTheirFutureUid) {
  ASSERT_TRUE(store_->upsert(identity("alice", "sub-a")));
  passwd pw{};
  EXPECT_EQ(nss::getpwnam(state_, "ext-dave", &pw, buf_, sizeof buf_), Status::kNotFound);  // no config
  write_config("provisional_users = ext-* guest\n");
  // Within the recheck period the cached "no config" still holds...
  state_.config_checked_ms += 1001;
  EXPECT_EQ(nss::getpwnam(state_, "ext-dave", &pw, buf_, sizeof buf_), Status::kNotFound);
  state_.config_checked_ms -= 1001;
  auto predicted = store_->predict_uid("ext-dave");
  ASSERT_TRUE(predicted);
  ASSERT_EQ(nss::getpwnam(state_, "ext-dave", &pw, buf_, sizeof buf_), Status::kSuccess);
  EXPECT_EQ(pw.pw_uid, *predicted);
  EXPECT_EQ(pw.pw_gid, *predicted);
  EXPECT_STREQ(pw.pw_dir, "/home/ext-dave");
  EXPECT_EQ(nss::getpwnam(state_, "guest", &pw, buf_, sizeof buf_), Status::kSuccess);
  EXPECT_EQ(nss::getpwnam(state_, "dave", &pw, buf_, sizeof buf_), Status::kNotFound);
  EXPECT_EQ(nss::getpwuid(state_, *predicted, &pw, buf_, sizeof buf_), Status::kNotFound);
  long start = 0, size = 0;
  gid_t* groups = nullptr;
  EXPECT_EQ(nss::initgroups(state_, "ext-dave", 0, &start, &size, &groups, 0), Status::kNotFound);
  spwd sp{};
  EXPECT_EQ(nss::getspnam(state_, "ext-dave", &sp, buf_, sizeof buf_), Status::kNotFound);
  // Never for local, reserved or invalid names.
  append_passwd("ext-local:x:1001:1001::/home/ext-local:/bin/sh");
  EXPECT_EQ(nss::getpwnam(state_, "ext-local", &pw, buf_, sizeof buf_), Status::kNotFound);
  write_config("provisional_users = *\n");
  for (const char* n : {"root", "daemon", "sudo", "localuser", "Ext-Dave", "ext dave", "systemd-x"}) {
    EXPECT_EQ(nss::getpwnam(state_, n, &pw, buf_, sizeof buf_), Status::kNotFound) << n;
  }
  // The first login gets exactly that uid.
  EXPECT_EQ(store_->upsert(identity("ext-dave", "sub-d"))->uid, *predicted);
  // With a uid claim configured the future uid is unknown: no provisional answers.
  write_config("provisional_users = *\n[claims]\nuid = uidNumber\n");
  EXPECT_EQ(nss::getpwnam(state_, "ext-erin", &pw, buf_, sizeof buf_), Status::kNotFound);
  // Patterns may name the IdP login (local name + login_suffix).
  write_raw_config(
      "[idp]\nissuer = https://idp.test\nclient_id = c\nlogin_suffix = @example.com\n"
      "[accounts]\nprovisional_users = *@example.com\n");
  EXPECT_EQ(nss::getpwnam(state_, "ext-erin", &pw, buf_, sizeof buf_), Status::kSuccess);
  EXPECT_EQ(pw.pw_uid, *store_->predict_uid("ext-erin"));
  EXPECT_EQ(nss::getpwnam(state_, "ext-erin@example.com", &pw, buf_, sizeof buf_), Status::kNotFound);
  // An invalid config turns it off too.
  write_raw_config("[accounts]\nprovisional_users = *\n");
  EXPECT_EQ(nss::getpwnam(state_, "ext-erin", &pw, buf_, sizeof buf_), Status::kNotFound);
}

}  // namespace
}  // namespace oidc_sysauth
