// 50 writer processes at once (parallel logins) lose nothing, and a reader that keeps
// reopening the file never sees a torn or inconsistent store.
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <set>

#include "store/store_model.hpp"
#include "store/store_overlay.hpp"
#include "store/store_reader.hpp"
#include "store_test_util.hpp"

namespace oidc_sysauth {
namespace {

constexpr int kWriters = 50;

class StoreConcurrency : public testing::StoreFixture {};

// Child: exit 0 if every snapshot it saw (base + journal, opened as NSS does: base
// first, then the journal, again if the journal is newer) decoded completely, answered
// every active record by name and never shrank.
[[noreturn]] void reader_loop(const std::string& path, const std::string& journal_path, const std::string& stop_file) {
  std::uint64_t last_count = 0;
  std::uint64_t last_sequence = 0;
  for (int i = 0; i < 1'000'000 && ::access(stop_file.c_str(), F_OK) != 0; ++i) {
    auto m = store::MappedStore::open(path, true);
    if (!m) {
      if (m.error().code == ErrorCode::kNotFound) continue;  // before the first write
      ::_exit(10);
    }
    auto j = store::MappedStore::open(journal_path, true);
    if (!j && j.error().code != ErrorCode::kNotFound) ::_exit(14);
    if (j && (*j)->view().generation() > (*m)->view().generation()) continue;  // compaction in between
    const store::StoreView* jv = j ? &(*j)->view() : nullptr;
    if (!store::Model::load((*m)->view()) || (jv != nullptr && !store::Model::load(*jv))) ::_exit(11);
    const store::Overlay ov((*m)->view(), jv);
    std::uint64_t count = 0;
    for (std::uint64_t k = 0; k < ov.record_slots(); ++k) {
      store::FoundRecord r, by_name;
      const auto l = ov.record_slot(k, r);
      if (l == store::Lookup::kCorrupt) ::_exit(11);
      if (l != store::Lookup::kFound) continue;
      ++count;
      if (ov.find_user(r.r.name, by_name) != store::Lookup::kFound || by_name.r.uid != r.r.uid) ::_exit(13);
    }
    if (count < last_count || ov.sequence() < last_sequence) ::_exit(12);
    last_count = count;
    last_sequence = ov.sequence();
  }
  ::_exit(0);
}

int wait_bounded(pid_t pid, int seconds) {
  for (int i = 0; i < seconds * 100; ++i) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
    struct timespec ts {
      0, 10'000'000
    };
    ::nanosleep(&ts, nullptr);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return -1;
}

TEST_F(StoreConcurrency, FiftyParallelWritersLoseNothingAndReadersNeverSeeATornFile) {
  // 100 serialised writes with fsync on a loaded 2-core VM can pass the production 10 s
  // lock wait; this test is about losing nothing, so writers wait as long as it takes.
  options_.lock_timeout_ms = 120'000;
  ASSERT_TRUE(open_store());  // creates the state dir
  const std::string stop = dir_ + "/stop";
  pid_t reader = ::fork();
  ASSERT_GE(reader, 0);
  if (reader == 0) reader_loop(store_path(), journal_path(), stop);

  std::vector<pid_t> writers;
  for (int i = 0; i < kWriters; ++i) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto s = AccountStore::open(config_, clock_, options_);
      if (!s) ::_exit(20);
      const std::string n = std::to_string(i);
      if (!(*s)->upsert(identity("w" + n, "sub-w" + n, {"sudo"}, {"oidc-team" + std::to_string(i % 5)}))) ::_exit(21);
      // Everyone also refreshes one shared account: the updates must serialise.
      auto shared = identity("shared", "sub-shared");
      shared.idp_groups = {"g" + n};
      if (!(*s)->upsert(shared)) ::_exit(22);
      ::_exit(0);
    }
    writers.push_back(pid);
  }
  for (pid_t pid : writers) EXPECT_EQ(wait_bounded(pid, 120), 0);
  testing::StoreFixture::write_file(stop, "");
  EXPECT_EQ(wait_bounded(reader, 30), 0) << "reader saw a torn or shrinking store";

  auto store = open_store();
  auto all = store->list();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), static_cast<std::size_t>(kWriters + 1));
  std::set<std::uint32_t> uids;
  for (const auto& a : *all) EXPECT_TRUE(uids.insert(a.uid).second) << a.name;
  for (int i = 0; i < kWriters; ++i) {
    auto r = store->find_by_name("w" + std::to_string(i));
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->groups, (std::vector<std::string>{"sudo"}));
    EXPECT_EQ(r->extra_groups.size(), 1u);
  }
  EXPECT_EQ(members("sudo").size(), static_cast<std::size_t>(kWriters));
  // Exactly one write per change: 50 creations + the shared account's 50 updates (its
  // first creation included), no lost update.
  EXPECT_EQ(writes(), static_cast<std::uint64_t>(2 * kWriters));
}

}  // namespace
}  // namespace oidc_sysauth
