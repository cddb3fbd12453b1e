// The journal beside accounts.db (FORMAT.md, "Journal"): changes land in the small
// journal, compaction folds it into a new base, renames and removals hide base records
// through uid entries and tombstones, every crash window leaves a store that answers
// old-or-new, and a corrupt journal makes NSS answer UNAVAIL instead of guessing.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "store/nss_source.hpp"
#include "store/store_delta.hpp"
#include "store/store_file.hpp"
#include "store_test_util.hpp"

namespace oidc_sysauth {
namespace {

using nss::Status;

class StoreJournal : public testing::StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    store_ = open_store();
    base_ = store_path();
    journal_ = journal_path();
    config_path_ = dir_ + "/none.conf";
    passwd_ = dir_ + "/passwd";
    group_ = dir_ + "/group";
    state_ = nss::initial_state(base_.c_str(), journal_.c_str(), config_path_.c_str(), passwd_.c_str(),
                                group_.c_str());
  }
  void TearDown() override {
    nss::reset(state_);
    StoreFixture::TearDown();
  }
  ino_t inode(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 ? st.st_ino : 0;
  }
  Status pwnam(const char* name, std::uint32_t* uid = nullptr) {
    passwd pw{};
    Status s = nss::getpwnam(state_, name, &pw, buf_, sizeof buf_);
    if (s == Status::kSuccess && uid != nullptr) *uid = pw.pw_uid;
    return s;
  }
  Status pwuid(std::uint32_t uid, std::string* name = nullptr) {
    passwd pw{};
    Status s = nss::getpwuid(state_, uid, &pw, buf_, sizeof buf_);
    if (s == Status::kSuccess && name != nullptr) *name = pw.pw_name;
    return s;
  }
  void force_compaction() {
    auto d = effective();
    ASSERT_TRUE(d);
    auto s = d->save(true);
    ASSERT_TRUE(s);
    EXPECT_EQ(*s, store::SaveKind::kCompaction);
  }
  void forget_mapping() { state_.checked_ms -= 1001; }

  std::unique_ptr<AccountStore> store_;
  std::string base_, journal_, config_path_, passwd_, group_;
  nss::SourceState state_{};
  char buf_[4096]{};
};

TEST_F(StoreJournal, ChangesGoToTheJournalUntilCompaction) {
  ASSERT_TRUE(store_->upsert(identity("alice", "sub-a", {"sudo"})));  // first write: a base + empty journal
  const ino_t base_ino = inode(base_);
  ASSERT_NE(base_ino, 0u);
  ASSERT_NE(inode(journal_), 0u);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(store_->upsert(identity("j" + std::to_string(i), "s" + std::to_string(i))));
  EXPECT_EQ(inode(base_), base_ino) << "a small change rewrote the base";
  EXPECT_EQ(effective()->journal_entries(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(pwnam(("j" + std::to_string(i)).c_str()), Status::kSuccess) << i;
  // Past the bound, the next write compacts: a new base, an empty journal.
  for (std::size_t i = 20; i <= store::kJournalMaxEntries; ++i) {
    ASSERT_TRUE(store_->upsert(identity("j" + std::to_string(i), "s" + std::to_string(i))));
  }
  EXPECT_NE(inode(base_), base_ino);
  EXPECT_LT(effective()->journal_entries(), 10u);
  auto all = store_->list();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), store::kJournalMaxEntries + 2);
  for (std::size_t i = 0; i <= store::kJournalMaxEntries; ++i) {
    EXPECT_EQ(pwnam(("j" + std::to_string(i)).c_str()), Status::kSuccess) << i;
  }
  EXPECT_EQ(writes(), store::kJournalMaxEntries + 2);
}

TEST_F(StoreJournal, RenameRemoveAndForgetHideTheBaseRecord) {
  auto a = store_->upsert(identity("alice", "sub-a", {"sudo"}));
  ASSERT_TRUE(a);
  ASSERT_TRUE(store_->upsert(identity("bob", "sub-b", {"sudo"})));
  force_compaction();                                                  // alice and bob now live in the base
  ASSERT_TRUE(store_->upsert(identity("alice2", "sub-a", {"sudo"})));  // rename, in the journal
  EXPECT_EQ(pwnam("alice"), Status::kNotFound);
  std::uint32_t uid = 0;
  EXPECT_EQ(pwnam("alice2", &uid), Status::kSuccess);
  EXPECT_EQ(uid, a->uid);
  std::string name;
  EXPECT_EQ(pwuid(a->uid, &name), Status::kSuccess);
  EXPECT_EQ(name, "alice2");
  EXPECT_EQ(members("sudo"), (std::vector<std::string>{"alice2", "bob"}));
  group gr{};
  ASSERT_EQ(nss::getgrnam(state_, "sudo", &gr, buf_, sizeof buf_), Status::kSuccess);
  ASSERT_NE(gr.gr_mem[0], nullptr);
  ASSERT_NE(gr.gr_mem[1], nullptr);
  EXPECT_EQ(gr.gr_mem[2], nullptr);
  // The old name is free for another identity.
  EXPECT_FALSE(store_->find_by_name("alice"));
  ASSERT_TRUE(store_->remove("bob", false));  // removed: uid kept
  EXPECT_EQ(pwnam("bob"), Status::kNotFound);
  EXPECT_EQ(members("sudo"), (std::vector<std::string>{"alice2"}));
  ASSERT_TRUE(store_->remove("alice2", true));  // forgotten: a tombstone
  EXPECT_EQ(pwuid(a->uid), Status::kNotFound);
  EXPECT_FALSE(store_->find_by_subject("https://idp.test", "sub-a"));
  EXPECT_FALSE(effective()->overlay().id_taken(a->uid));
  // The freed hash uid goes to the next "alice", whoever that is.
  auto again = store_->upsert(identity("alice", "sub-other"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->uid, a->uid);
  // The same answers after compaction.
  force_compaction();
  forget_mapping();
  EXPECT_EQ(pwnam("alice", &uid), Status::kSuccess);
  EXPECT_EQ(uid, a->uid);
  EXPECT_EQ(pwnam("alice2"), Status::kNotFound);
  EXPECT_EQ(pwnam("bob"), Status::kNotFound);
  auto bob = store_->find_by_subject("https://idp.test", "sub-b");
  ASSERT_TRUE(bob);
  EXPECT_TRUE(bob->removed);
  EXPECT_TRUE(members("sudo").empty());
  auto all = store_->list();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 2u);  // alice (new subject) and removed bob
}

TEST_F(StoreJournal, LocalGroupChangesAreJournalled) {
  ASSERT_TRUE(store_->upsert(identity("alice", "sub-a", {"users", "sudo"})));
  force_compaction();
  // users disappears locally, sudo changes gid: both recorded at the next write.
  write_file(dir_ + "/group", "root:x:0:\nsudo:x:28:\nlocaluser:x:1000:\n");
  ASSERT_TRUE(store_->upsert(identity("bob", "sub-b")));
  auto alice = store_->find_by_name("alice");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->groups, (std::vector<std::string>{"sudo"}));
  group gr{};
  EXPECT_EQ(nss::getgrnam(state_, "users", &gr, buf_, sizeof buf_), Status::kNotFound);
  ASSERT_EQ(nss::getgrgid(state_, 28, &gr, buf_, sizeof buf_), Status::kSuccess);
  EXPECT_STREQ(gr.gr_name, "sudo");
  EXPECT_EQ(nss::getgrgid(state_, 27, &gr, buf_, sizeof buf_), Status::kNotFound);
  long start = 0, size = 4;
  auto* groups = static_cast<gid_t*>(std::malloc(4 * sizeof(gid_t)));
  ASSERT_EQ(nss::initgroups(state_, "alice", alice->uid, &start, &size, &groups, 0), Status::kSuccess);
  ASSERT_EQ(start, 1);
  EXPECT_EQ(groups[0], 28u);
  std::free(groups);
}

// A compaction renames the base, fsyncs the directory, then renames the journal.
// Every state a crash can leave answers old-or-new, never a mix.
TEST_F(StoreJournal, CrashWindowsOfACompaction) {
  ASSERT_TRUE(store_->upsert(identity("alice", "sub-a")));
  ASSERT_TRUE(store_->upsert(identity("bob", "sub-b")));     // in the journal
  ASSERT_TRUE(store_->upsert(identity("alice2", "sub-a")));  // rename, in the journal
  const std::string old_journal = dir_ + "/old.journal";
  std::filesystem::copy_file(journal_, old_journal);
  // Window 1: crashed before the base rename. Temporary files are left behind; the
  // store is the old base + old journal.
  {
    auto d = effective();
    ASSERT_TRUE(d);
    auto m = d->merged();
    ASSERT_TRUE(m);
    auto tmp = store::PreparedFile::create(config_.accounts.state_dir, [&](int fd) {
      store::FdSink sink(fd);
      m->write(sink);
      return sink.finish();
    });
    ASSERT_TRUE(tmp);  // never installed: the destructor removes it, as a reboot would not
  }
  EXPECT_EQ(pwnam("alice2"), Status::kSuccess);
  EXPECT_EQ(pwnam("bob"), Status::kSuccess);
  EXPECT_EQ(pwnam("alice"), Status::kNotFound);
  // Window 2: the new base is in place, the old journal still beside it. The journal
  // names the old base's tag: ignored, and the base already holds its changes.
  force_compaction();
  ASSERT_EQ(std::rename(old_journal.c_str(), journal_.c_str()), 0);
  forget_mapping();
  EXPECT_EQ(pwnam("alice2"), Status::kSuccess);
  EXPECT_EQ(pwnam("bob"), Status::kSuccess);
  EXPECT_EQ(pwnam("alice"), Status::kNotFound);
  EXPECT_EQ(effective()->journal_entries(), 0u);            // the writer ignores it too
  ASSERT_TRUE(store_->upsert(identity("carol", "sub-c")));  // and replaces it
  EXPECT_EQ(pwnam("carol"), Status::kSuccess);              // seen at once: the old journal was flagged
  EXPECT_EQ(pwnam("alice2"), Status::kSuccess);
  // A journal newer than the base (what the directory fsync between the renames
  // prevents on disk) is never applied to the older base.
  force_compaction();
  const std::string old_base = dir_ + "/old.db";
  std::filesystem::copy_file(base_, old_base);
  force_compaction();
  ASSERT_TRUE(store_->upsert(identity("dave", "sub-d")));
  ASSERT_EQ(std::rename(old_base.c_str(), base_.c_str()), 0);  // base from before, journal from after
  forget_mapping();
  EXPECT_EQ(pwnam("dave"), Status::kNotFound);
  EXPECT_EQ(pwnam("carol"), Status::kSuccess);
  EXPECT_EQ(pwnam("alice2"), Status::kSuccess);
}

TEST_F(StoreJournal, CorruptTruncatedOrUnsafeJournalIsUnavailNotACrash) {
  ASSERT_TRUE(store_->upsert(identity("alice", "sub-a")));
  ASSERT_TRUE(store_->upsert(identity("bob", "sub-b")));
  ASSERT_EQ(pwnam("bob"), Status::kSuccess);
  std::string good;
  {
    std::ifstream in(journal_, std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto put_journal = [&](const std::string& bytes, mode_t mode = 0644) {
    const std::string tmp = journal_ + ".tmp";
    std::ofstream(tmp, std::ios::binary | std::ios::trunc) << bytes;
    ::chmod(tmp.c_str(), mode);
    ASSERT_EQ(std::rename(tmp.c_str(), journal_.c_str()), 0);
    forget_mapping();
  };
  std::string flipped = good;
  for (int i = 12; i < 16; ++i) flipped[store::kHeaderSize + i] = '\xff';  // the first record's name offset
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"truncated", good.substr(0, good.size() - 5)},
      {"header only", good.substr(0, 100)},
      {"garbage", std::string(4096, '\xa5')},
      {"bad entry", flipped},
  };
  for (const auto& [what, bytes] : bad) {
    put_journal(bytes);
    EXPECT_EQ(pwnam("bob"), Status::kUnavail) << what;
    // A journal that does not parse hides nothing it might hold: the whole store is off.
    if (what != "bad entry") {
      EXPECT_EQ(pwnam("alice"), Status::kUnavail) << what;
    }
    EXPECT_FALSE(store_->upsert(identity("carol", "sub-c"))) << what << ": the writer went on";
  }
  put_journal(good, 0666);
  EXPECT_EQ(pwnam("bob"), Status::kUnavail) << "world-writable journal";
  put_journal(good);
  EXPECT_EQ(pwnam("bob"), Status::kSuccess);
  // A base file where the journal should be (or the reverse) is refused.
  std::string base_bytes;
  {
    std::ifstream in(base_, std::ios::binary);
    base_bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  put_journal(base_bytes);
  EXPECT_EQ(pwnam("alice"), Status::kUnavail);
}

}  // namespace
}  // namespace oidc_sysauth
