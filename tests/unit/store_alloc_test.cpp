// uid allocation: the frozen hash, the probe on collisions (records, local files),
// and "the provisional uid equals the uid of the first login".
#include <set>

#include "store/id_alloc.hpp"
#include "store/store_format.hpp"
#include "store/store_reader.hpp"
#include "store_test_util.hpp"

namespace oidc_sysauth {
namespace {

using store::id_candidate;
using store::IdKind;
using testing::StoreFixture;

constexpr std::uint32_t kMin = 200000;
constexpr std::uint32_t kMax = 2000000000;

TEST(StoreHash, Fnv1a64MatchesPublishedVectors) {
  EXPECT_EQ(store::fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(store::fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(store::fnv1a64("foobar"), 0x85944171f73967e8ull);
}

// Values computed independently (Python) from the algorithm in FORMAT.md. If this test
// fails, every host would give its users new uids: do not "fix" the expectations.
TEST(StoreHash, CandidatesAreFrozen) {
  EXPECT_EQ(id_candidate(IdKind::kUser, "alice", 0, kMin, kMax), 1194533460u);
  EXPECT_EQ(id_candidate(IdKind::kUser, "alice", 1, kMin, kMax), 532953487u);
  EXPECT_EQ(id_candidate(IdKind::kUser, "alice", 2, kMin, kMax), 1668070504u);
  EXPECT_EQ(id_candidate(IdKind::kGroup, "oidc-devs", 0, kMin, kMax), 1253187446u);
}

TEST(StoreHash, ForbiddenIdsAreSkipped) {
  auto id = store::allocate_id(IdKind::kUser, "x", 65534, 65535 + 1000, [](std::uint32_t) { return false; });
  ASSERT_TRUE(id);
  EXPECT_FALSE(store::is_forbidden_id(*id));
  auto none = store::allocate_id(IdKind::kUser, "x", 65534, 65535, [](std::uint32_t) { return false; });
  EXPECT_FALSE(none);
}

class StoreAlloc : public StoreFixture {};

TEST_F(StoreAlloc, HashUidWithoutCollision) {
  auto store = open_store();
  EXPECT_EQ(store->upsert(identity("alice", "sub-a"))->uid, 1194533460u);
}

TEST_F(StoreAlloc, LocalUidAndGidCollisionsAreProbedPast) {
  append_passwd("squatter:x:1194533460:100::/:/bin/false");  // alice's probe 0
  append_group("squatgroup:x:532953487:");                   // alice's probe 1
  auto store = open_store();
  ASSERT_EQ(*store->predict_uid("alice"), 1668070504u);
  EXPECT_EQ(store->upsert(identity("alice", "sub-a"))->uid, 1668070504u);
  // Recorded: removing the squatter later does not move alice.
  write_file(dir_ + "/passwd", testing::kTestPasswd);
  clock_.advance_seconds(3 * 86400);
  EXPECT_EQ(store->upsert(identity("alice", "sub-a"))->uid, 1668070504u);
}

TEST_F(StoreAlloc, SmallRangeGivesDistinctIdsAvoidsLocalOnesAndFailsWhenFull) {
  config_.accounts.uid_min = 200000;
  config_.accounts.uid_max = 200009;
  append_passwd("inrange:x:200003:100::/:/bin/false");
  append_group("inrangeg:x:200007:");
  auto store = open_store();
  std::set<std::uint32_t> seen;
  for (int i = 0; i < 8; ++i) {
    const std::string name = "u" + std::to_string(i);
    auto predicted = store->predict_uid(name);
    ASSERT_TRUE(predicted) << name;
    auto r = store->upsert(identity(name, "s" + std::to_string(i)));
    ASSERT_TRUE(r) << r.error().detail;
    EXPECT_EQ(r->uid, *predicted) << name;  // provisional == final, collisions included
    EXPECT_NE(r->uid, 200003u);
    EXPECT_NE(r->uid, 200007u);
    EXPECT_TRUE(seen.insert(r->uid).second) << "uid shared: " << r->uid;
  }
  auto full = store->upsert(identity("u9", "s9"));
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, ErrorCode::kInternal);
}

TEST_F(StoreAlloc, OwnedGroupsAndUsersShareOneIdSpace) {
  config_.accounts.uid_min = 300000;
  config_.accounts.uid_max = 300015;
  auto store = open_store();
  std::set<std::uint32_t> ids;
  for (int i = 0; i < 5; ++i) {
    auto r =
        store->upsert(identity("u" + std::to_string(i), "s" + std::to_string(i), {}, {"oidc-g" + std::to_string(i)}));
    ASSERT_TRUE(r) << r.error().detail;
    EXPECT_TRUE(ids.insert(r->uid).second);
  }
  auto d = effective();
  ASSERT_TRUE(d);
  for (int i = 0; i < 5; ++i) {
    store::FoundGroup g;
    ASSERT_EQ(d->overlay().find_group("oidc-g" + std::to_string(i), g), store::Lookup::kFound);
    EXPECT_TRUE(ids.insert(g.g.gid).second) << "gid " << g.g.gid << " collides";
  }
}

TEST_F(StoreAlloc, PredictionIsStableAndMatchesFirstLoginAmongManyAccounts) {
  auto store = open_store();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(store->upsert(identity("p" + std::to_string(i), "s" + std::to_string(i))));
  auto predicted = store->predict_uid("newcomer");
  ASSERT_TRUE(predicted);
  EXPECT_EQ(*store->predict_uid("newcomer"), *predicted);
  EXPECT_EQ(store->upsert(identity("newcomer", "s-new"))->uid, *predicted);
  EXPECT_EQ(*store->predict_uid("newcomer"), *predicted);  // existing: its uid
}

}  // namespace
}  // namespace oidc_sysauth
