// Writer → file → reader round trips, renames, removal, refusal of local and reserved
// names, and "a login that changes nothing writes nothing".
#include <sys/stat.h>

#include "names.hpp"
#include "store/id_alloc.hpp"
#include "store/store_reader.hpp"
#include "store_test_util.hpp"

namespace oidc_sysauth {
namespace {

using testing::StoreFixture;

class StoreRoundTrip : public StoreFixture {
 protected:
  // Every write bumps the sequence (inode numbers can be reused after a few writes).
  std::uint64_t generation() { return writes(); }
};

struct stat stat_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st;
}

TEST_F(StoreRoundTrip, UpsertThenReadBackThroughWriterAndReader) {
  auto store = open_store();
  auto rec = store->upsert(identity("alice", "sub-a", {"sudo", "users"}, {"oidc-devs"}));
  ASSERT_TRUE(rec) << rec.error().detail;
  EXPECT_EQ(rec->name, "alice");
  EXPECT_EQ(rec->uid, rec->gid);
  EXPECT_GE(rec->uid, config_.accounts.uid_min);
  EXPECT_LE(rec->uid, config_.accounts.uid_max);
  EXPECT_EQ(rec->home, "/home/alice");
  EXPECT_EQ(rec->shell, "/bin/bash");
  EXPECT_EQ(rec->groups, (std::vector<std::string>{"sudo", "users"}));
  EXPECT_EQ(rec->extra_groups, (std::vector<std::string>{"oidc-devs"}));
  EXPECT_EQ(rec->idp_groups, (std::vector<std::string>{"everyone"}));
  EXPECT_EQ(rec->created, clock_.now_unix());

  auto again = store->find_by_name("alice");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->uid, rec->uid);
  EXPECT_EQ(again->display_name, "User alice");
  EXPECT_EQ(again->groups, rec->groups);
  EXPECT_EQ(again->extra_groups, rec->extra_groups);
  auto by_sub = store->find_by_subject("https://idp.test", "sub-a");
  ASSERT_TRUE(by_sub);
  EXPECT_EQ(by_sub->name, "alice");

  auto mapped = store::MappedStore::open(store_path(), true);
  ASSERT_TRUE(mapped) << mapped.error().detail;
  const auto& v = (*mapped)->view();
  store::RecordView r;
  ASSERT_EQ(v.find_user("alice", r), store::Lookup::kFound);
  EXPECT_EQ(r.uid, rec->uid);
  ASSERT_EQ(v.find_uid(rec->uid, r), store::Lookup::kFound);
  EXPECT_EQ(r.name, "alice");
  store::GroupView g;
  ASSERT_EQ(v.find_group("sudo", g), store::Lookup::kFound);
  EXPECT_EQ(g.gid, 27u);
  EXPECT_EQ(g.kind, store::kGroupLocal);
  ASSERT_EQ(g.members_count, 1u);
  EXPECT_EQ(v.group_member(g, 0)->name, "alice");
  ASSERT_EQ(v.find_group("oidc-devs", g), store::Lookup::kFound);
  EXPECT_EQ(g.kind, store::kGroupOwned);
  EXPECT_EQ(g.gid, store::id_candidate(store::IdKind::kGroup, "oidc-devs", 0, 200000, 2000000000));
  ASSERT_EQ(v.find_gid(g.gid, g), store::Lookup::kFound);
  EXPECT_EQ(g.name, "oidc-devs");
  EXPECT_EQ(v.find_user("bob", r), store::Lookup::kNotFound);
  EXPECT_EQ(v.find_uid(12345, r), store::Lookup::kNotFound);
}

TEST_F(StoreRoundTrip, ManyAccountsAllFindable) {
  auto store = open_store();
  for (int i = 0; i < 200; ++i)
    ASSERT_TRUE(store->upsert(identity("user" + std::to_string(i), "s" + std::to_string(i))));
  auto all = store->list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 200u);
  auto d = effective();
  ASSERT_TRUE(d);
  const store::Overlay ov = d->overlay();
  for (const auto& a : *all) {
    store::FoundRecord r;
    ASSERT_EQ(ov.find_user(a.name, r), store::Lookup::kFound) << a.name;
    ASSERT_EQ(ov.find_uid(a.uid, r), store::Lookup::kFound);
    EXPECT_EQ(r.r.name, a.name);
  }
  EXPECT_EQ(ov.sequence(), 200u);
}

TEST_F(StoreRoundTrip, RenameKeepsUidAndHome) {
  auto store = open_store();
  auto a = store->upsert(identity("alice", "sub-a", {"sudo"}));
  ASSERT_TRUE(a);
  auto b = store->upsert(identity("alicia", "sub-a", {"sudo"}));
  ASSERT_TRUE(b) << b.error().detail;
  EXPECT_EQ(b->uid, a->uid);
  EXPECT_EQ(b->name, "alicia");
  EXPECT_EQ(b->home, "/home/alice");
  EXPECT_FALSE(store->find_by_name("alice"));
  EXPECT_TRUE(store->find_by_name("alicia"));
  // The old name is free for somebody else, who gets a different uid.
  auto c = store->upsert(identity("alice", "sub-c"));
  ASSERT_TRUE(c) << c.error().detail;
  EXPECT_NE(c->uid, a->uid);
}

TEST_F(StoreRoundTrip, NameOfAnotherIdentityIsRefused) {
  auto store = open_store();
  ASSERT_TRUE(store->upsert(identity("alice", "sub-a")));
  auto r = store->upsert(identity("alice", "sub-other"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUserUnknown);
  auto other_issuer = identity("alice", "sub-a");
  other_issuer.issuer = "https://elsewhere.test";
  EXPECT_FALSE(store->upsert(other_issuer));
}

TEST_F(StoreRoundTrip, LocalReservedInvalidAndGroupNamesAreRefused) {
  auto store = open_store();
  ASSERT_TRUE(store->upsert(identity("alice", "sub-a", {}, {"oidc-devs"})));
  for (const char* name : {"localuser", "root", "daemon", "sudo", "docker-local", "www-data", "systemd-foo", "Alice",
                           "9lives", "", "a b", "oidc-devs", "toolongname_toolongname_toolongname"}) {
    auto r = store->upsert(identity(name, std::string("sub-") + name));
    ASSERT_FALSE(r) << name;
    EXPECT_EQ(r.error().code, ErrorCode::kUserUnknown) << name;
    EXPECT_FALSE(store->predict_uid(name)) << name;
  }
  auto list = store->list();
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 1u);
}

TEST_F(StoreRoundTrip, UnchangedLoginWritesNothing) {
  auto store = open_store();
  ASSERT_TRUE(store->upsert(identity("alice", "sub-a", {"sudo"})));
  const struct stat before = stat_of(store_path());
  clock_.advance_seconds(3600);
  auto same = store->upsert(identity("alice", "sub-a", {"sudo"}));
  ASSERT_TRUE(same);
  EXPECT_EQ(same->name, "alice");
  EXPECT_EQ(same->groups, (std::vector<std::string>{"sudo"}));
  EXPECT_EQ(same->idp_groups, (std::vector<std::string>{"everyone"}));
  EXPECT_EQ(same->display_name, "User alice");
  const struct stat after = stat_of(store_path());
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_EQ(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
  EXPECT_EQ(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
  // Each kind of change is written: display name, IdP groups, owned groups...
  auto renamed_display = identity("alice", "sub-a", {"sudo"});
  renamed_display.display_name = "Alice";
  ASSERT_TRUE(store->upsert(renamed_display));
  EXPECT_EQ(store->find_by_name("alice")->display_name, "Alice");
  auto more_idp = identity("alice", "sub-a", {"sudo"});
  more_idp.idp_groups = {"everyone", "admin"};
  ASSERT_TRUE(store->upsert(more_idp));
  EXPECT_EQ(store->find_by_name("alice")->idp_groups.size(), 2u);
  ASSERT_TRUE(store->upsert(identity("alice", "sub-a", {"sudo"}, {"oidc-new"})));
  EXPECT_EQ(store->find_by_name("alice")->extra_groups, (std::vector<std::string>{"oidc-new"}));
  // ...and a change of local groups.
  const std::uint64_t gen = generation();
  ASSERT_TRUE(store->upsert(identity("alice", "sub-a", {"sudo", "users"})));
  EXPECT_EQ(generation(), gen + 1);
  // ...and so is last_login once a day.
  clock_.advance_seconds(2 * 86400);
  auto r = store->upsert(identity("alice", "sub-a", {"sudo", "users"}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->last_login, clock_.now_unix());
  EXPECT_EQ(generation(), gen + 2);
}

TEST_F(StoreRoundTrip, RemoveKeepsUidReservedForTheSubject) {
  auto store = open_store();
  auto a = store->upsert(identity("alice", "sub-a", {"sudo"}));
  ASSERT_TRUE(a);
  ASSERT_TRUE(store->remove("alice", false));
  EXPECT_EQ(store->find_by_name("alice").error().code, ErrorCode::kNotFound);
  auto kept = store->find_by_subject("https://idp.test", "sub-a");
  ASSERT_TRUE(kept);
  EXPECT_TRUE(kept->removed);
  {
    auto d = effective();
    ASSERT_TRUE(d);
    EXPECT_TRUE(d->overlay().id_taken(a->uid));
    store::FoundRecord r;
    EXPECT_EQ(d->overlay().find_uid(a->uid, r), store::Lookup::kNotFound);  // not answered
    store::FoundGroup g;
    ASSERT_EQ(d->overlay().find_group("sudo", g), store::Lookup::kFound);
    EXPECT_TRUE(members("sudo").empty());
  }
  // The name is free for another identity; the same subject logging in again gets its uid back.
  auto other = store->upsert(identity("alice", "sub-new"));
  ASSERT_TRUE(other);
  EXPECT_NE(other->uid, a->uid);
  auto back = store->upsert(identity("alice2", "sub-a"));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->uid, a->uid);
  EXPECT_FALSE(back->removed);
  // forget: the record and its reservation go.
  ASSERT_TRUE(store->remove("alice2", true));
  EXPECT_FALSE(store->find_by_subject("https://idp.test", "sub-a"));
  EXPECT_EQ(store->remove("nobody-here", false).error().code, ErrorCode::kNotFound);
}

TEST_F(StoreRoundTrip, DisableIsRecordedAndUnchangedDisableWritesNothing) {
  auto store = open_store();
  ASSERT_TRUE(store->upsert(identity("alice", "sub-a")));
  ASSERT_TRUE(store->set_disabled("alice", true));
  EXPECT_TRUE(store->find_by_name("alice")->disabled);
  const struct stat before = stat_of(store_path());
  ASSERT_TRUE(store->set_disabled("alice", true));
  EXPECT_EQ(stat_of(store_path()).st_ino, before.st_ino);
  // A login does not re-enable.
  EXPECT_TRUE(store->upsert(identity("alice", "sub-a"))->disabled);
  ASSERT_TRUE(store->set_disabled("alice", false));
  EXPECT_FALSE(store->find_by_name("alice")->disabled);
}

TEST_F(StoreRoundTrip, GecosIsSanitisedAndUnmappedLocalNamesIgnored) {
  auto store = open_store();
  auto id = identity("alice", "sub-a", {"sudo", "no-such-group"}, {"sudo", "localuser", "oidc-ok", "Bad Name"});
  id.display_name = "Alice: the\nadmin";
  auto r = store->upsert(id);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->display_name, "Alice  the admin");
  EXPECT_EQ(r->groups, (std::vector<std::string>{"sudo"}));
  // Prefixed IdP groups never join a local group, whatever their name.
  EXPECT_EQ(r->extra_groups, (std::vector<std::string>{"oidc-ok"}));
}

TEST_F(StoreRoundTrip, LocalGroupGidIsRefreshedOnWrite) {
  auto store = open_store();
  ASSERT_TRUE(store->upsert(identity("alice", "sub-a", {"users"})));
  write_file(dir_ + "/group", std::string(testing::kTestGroup)
                                  .replace(std::string(testing::kTestGroup).find("users:x:100"), 11, "users:x:101"));
  ASSERT_TRUE(store->upsert(identity("bob", "sub-b")));
  auto d = effective();
  ASSERT_TRUE(d);
  store::FoundGroup g;
  ASSERT_EQ(d->overlay().find_group("users", g), store::Lookup::kFound);
  EXPECT_EQ(g.g.gid, 101u);
}

TEST_F(StoreRoundTrip, UidClaimIsUsedWhenFreeAndInRange) {
  auto store = open_store();
  auto id = identity("alice", "sub-a");
  id.uid_hint = 300000;
  auto r = store->upsert(id);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->uid, 300000u);
  auto dup = identity("bob", "sub-b");
  dup.uid_hint = 300000;  // taken by alice
  EXPECT_EQ(store->upsert(dup).error().reason, "uid_in_use");
  auto low = identity("carol", "sub-c");
  low.uid_hint = 1000;  // below uid_min (and a local uid)
  EXPECT_EQ(store->upsert(low).error().reason, "bad_uid");
  // An existing account keeps its uid whatever the claim says later.
  id.uid_hint = 300001;
  EXPECT_EQ(store->upsert(id)->uid, 300000u);
}

TEST_F(StoreRoundTrip, CorruptStoreIsNotOverwritten) {
  auto store = open_store();
  ASSERT_TRUE(store->upsert(identity("alice", "sub-a")));
  write_file(store_path(), "OIDCACCT garbage");
  auto r = store->upsert(identity("bob", "sub-b"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
}

}  // namespace
}  // namespace oidc_sysauth
