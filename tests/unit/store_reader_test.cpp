// The reader against truncated, corrupted and garbage files: always a clean error or
// a consistent answer, never a read outside the buffer (run under ASan: ctest preset).
#include "store/store_reader.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <random>

#include "store/store_model.hpp"
#include "store_exercise.hpp"
#include "store_test_util.hpp"

namespace oidc_sysauth {
namespace {

using store::StoreView;

std::vector<unsigned char> sample_file() {
  store::Model m;
  m.groups.push_back({"sudo", 27, store::kGroupLocal});
  m.groups.push_back({"oidc-devs", 1253187446, store::kGroupOwned});
  for (int i = 0; i < 5; ++i) {
    store::ModelRecord r;
    r.issuer = "https://idp.test";
    r.subject = m.own("sub" + std::to_string(i));
    r.name = m.own("user" + std::to_string(i));
    r.gecos = "G";
    r.home = m.own("/home/user" + std::to_string(i));
    r.shell = "/bin/bash";
    r.uid = r.gid = 300000 + static_cast<std::uint32_t>(i);
    r.flags = i == 3 ? store::kFlagRemoved : 0;
    r.groups = {"sudo", "oidc-devs"};
    r.idp_groups = {"admin", "dev"};
    m.records.push_back(r);
  }
  std::string bytes = m.encode();
  return {bytes.begin(), bytes.end()};
}

// Parses an exact-size heap copy so ASan sees any read past the end.
Result<std::uint64_t> parse_and_exercise(const std::vector<unsigned char>& bytes) {
  std::unique_ptr<unsigned char[]> copy(new unsigned char[bytes.size() + 1]);
  std::copy(bytes.begin(), bytes.end(), copy.get());
  auto v = StoreView::parse(bytes.empty() ? nullptr : copy.get(), bytes.size());
  if (!v) return std::unexpected(v.error());
  return testing::exercise_view(*v);
}

void set_u32(std::vector<unsigned char>& b, std::size_t at, std::uint32_t v) { store::store_u32(b.data() + at, v); }
void set_u64(std::vector<unsigned char>& b, std::size_t at, std::uint64_t v) { store::store_u64(b.data() + at, v); }

TEST(StoreReader, ValidSampleParses) {
  auto bytes = sample_file();
  auto v = StoreView::parse(bytes.data(), bytes.size());
  ASSERT_TRUE(v) << v.error().detail;
  EXPECT_EQ(v->record_count(), 5u);
  store::RecordView r;
  EXPECT_EQ(v->find_user("user2", r), store::Lookup::kFound);
  EXPECT_EQ(v->find_user("user3", r), store::Lookup::kNotFound);  // removed
  EXPECT_EQ(v->find_uid(300003, r, true), store::Lookup::kFound);
  EXPECT_TRUE(parse_and_exercise(bytes));
}

TEST(StoreReader, EveryTruncationIsRefused) {
  auto bytes = sample_file();
  for (std::size_t len = 0; len < bytes.size(); ++len) {
    std::vector<unsigned char> cut(bytes.begin(), bytes.begin() + static_cast<long>(len));
    auto r = parse_and_exercise(cut);
    ASSERT_FALSE(r) << len;
    EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
    // Even with the size field patched to match, nothing reads out of bounds.
    if (len >= store::kHeaderSize) {
      set_u64(cut, store::kOffFileSize, len);
      (void)parse_and_exercise(cut);
    }
  }
}

TEST(StoreReader, EveryByteFlipIsHandled) {
  auto bytes = sample_file();
  int accepted = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (int mask : {0x01, 0x80, 0xff}) {
      auto bad = bytes;
      bad[i] = static_cast<unsigned char>(bad[i] ^ mask);
      if (parse_and_exercise(bad)) ++accepted;
    }
  }
  EXPECT_GT(accepted, 0);  // flips in strings and ids parse; the point is no crash
}

TEST(StoreReader, RandomCorruptionIsHandled) {
  auto bytes = sample_file();
  std::mt19937 rng(12345);
  for (int iter = 0; iter < 3000; ++iter) {
    auto bad = bytes;
    const int n = 1 + static_cast<int>(rng() % 16);
    for (int k = 0; k < n; ++k) {
      const std::size_t at = rng() % bad.size();
      if (rng() % 2 == 0) {
        bad[at] = static_cast<unsigned char>(rng());
      } else if (at + 4 <= bad.size()) {
        set_u32(bad, at, static_cast<std::uint32_t>(rng()));  // plausible-looking big numbers
      }
    }
    (void)parse_and_exercise(bad);
  }
  std::vector<unsigned char> garbage(4096);
  for (auto& c : garbage) c = static_cast<unsigned char>(rng());
  EXPECT_FALSE(parse_and_exercise(garbage));
}

TEST(StoreReader, HeaderChecksHaveReasons) {
  auto bytes = sample_file();
  auto reason = [](std::vector<unsigned char> b) {
    auto v = StoreView::parse(b.data(), b.size());
    return v ? std::string("accepted") : v.error().reason;
  };
  auto b = bytes;
  b[0] = 'X';
  EXPECT_EQ(reason(b), "bad_magic");
  b = bytes;
  set_u32(b, store::kOffVersion, 2);  // the format before bucket tags: refused
  EXPECT_EQ(reason(b), "bad_version");
  b = bytes;
  set_u32(b, store::kOffRecordCount, 0xffffffffu);
  EXPECT_EQ(reason(b), "bad_count");
  b = bytes;
  set_u32(b, store::kOffRecordCount, 6);
  EXPECT_EQ(reason(b), "bad_section");
  b = bytes;
  set_u64(b, store::kHeaderFixed + store::kStrings * store::kSectionEntrySize, ~0ull - 4);  // offset near 2^64
  EXPECT_EQ(reason(b), "bad_section");
  b = bytes;
  set_u64(b, store::kHeaderFixed + store::kStrings * store::kSectionEntrySize + 8, ~0ull);  // length 2^64-1
  EXPECT_EQ(reason(b), "bad_section");
  b = bytes;
  set_u64(b, store::kHeaderFixed + store::kNameIndex * store::kSectionEntrySize + 8, 12);  // 3 buckets
  EXPECT_EQ(reason(b), "bad_index");
}

TEST(StoreReader, BucketPointingOutsideIsCorrupt) {
  auto bytes = sample_file();
  const std::uint64_t idx_off =
      store::load_u64(bytes.data() + store::kHeaderFixed + store::kNameIndex * store::kSectionEntrySize);
  const std::uint64_t idx_len =
      store::load_u64(bytes.data() + store::kHeaderFixed + store::kNameIndex * store::kSectionEntrySize + 8);
  for (std::uint64_t i = 0; i < idx_len / 4; ++i) set_u32(bytes, idx_off + i * 4, 0x7fffffff);
  auto v = StoreView::parse(bytes.data(), bytes.size());
  ASSERT_TRUE(v);
  store::RecordView r;
  EXPECT_EQ(v->find_user("user1", r), store::Lookup::kCorrupt);
}

// Format 3 buckets: bits 0-23 = 1 + entry, bits 24-31 = tag (FORMAT.md, "Hash indexes").
std::pair<std::uint64_t, std::uint64_t> name_index_of(const std::vector<unsigned char>& b) {
  const unsigned char* e = b.data() + store::kHeaderFixed + store::kNameIndex * store::kSectionEntrySize;
  return {store::load_u64(e), store::load_u64(e + 8) / 4};
}

TEST(StoreReader, WriterTagsEveryBucketWithTheKeysTopHashBits) {
  auto bytes = sample_file();
  auto v = StoreView::parse(bytes.data(), bytes.size());
  ASSERT_TRUE(v);
  const auto [off, n] = name_index_of(bytes);
  int used = 0;
  for (std::uint64_t k = 0; k < n; ++k) {
    const std::uint32_t e = store::load_u32(bytes.data() + off + k * 4);
    if (e == 0) continue;
    ++used;
    auto r = v->record((e & store::kBucketEntryMask) - 1);
    ASSERT_TRUE(r);
    EXPECT_EQ(e >> 24, store::bucket_tag(store::fnv1a64(r->name))) << r->name;
  }
  EXPECT_EQ(used, 4);  // the active records (user3 is removed)
}

TEST(StoreReader, BucketWithTagButNoEntryIsCorrupt) {
  auto bytes = sample_file();
  const auto [off, n] = name_index_of(bytes);
  for (std::uint64_t k = 0; k < n; ++k) set_u32(bytes, off + k * 4, 0xab000000u);  // tag, entry part 0
  auto v = StoreView::parse(bytes.data(), bytes.size());
  ASSERT_TRUE(v);
  store::RecordView r;
  EXPECT_EQ(v->find_user("user1", r), store::Lookup::kCorrupt);
  EXPECT_EQ(v->find_user("nosuch", r), store::Lookup::kCorrupt);
}

TEST(StoreReader, OutOfRangeEntryIsCorruptWhateverItsTag) {
  auto bytes = sample_file();
  const auto [off, n] = name_index_of(bytes);
  // Entry 6 (> 5 records) under a tag no lookup below carries: still refused, before the tag is looked at.
  const std::uint32_t foreign = (store::bucket_tag(store::fnv1a64("user1")) + 1) & 0xff;
  for (std::uint64_t k = 0; k < n; ++k) set_u32(bytes, off + k * 4, foreign << 24 | 6);
  auto v = StoreView::parse(bytes.data(), bytes.size());
  ASSERT_TRUE(v);
  store::RecordView r;
  EXPECT_EQ(v->find_user("user1", r), store::Lookup::kCorrupt);
}

TEST(StoreReader, TagCollisionStillComparesTheName) {
  auto bytes = sample_file();
  store::RecordView user1;
  {
    auto v = StoreView::parse(bytes.data(), bytes.size());
    ASSERT_TRUE(v);
    ASSERT_EQ(v->find_user("user1", user1), store::Lookup::kFound);
  }
  const auto [off, n] = name_index_of(bytes);
  // Every bucket: user1's record under user2's tag (a full table: no empty bucket ends the probe).
  for (std::uint64_t k = 0; k < n; ++k) {
    set_u32(bytes, off + k * 4, store::make_bucket(store::fnv1a64("user2"), user1.index));
  }
  auto v = StoreView::parse(bytes.data(), bytes.size());
  ASSERT_TRUE(v);
  store::RecordView r;
  EXPECT_EQ(v->find_user("user2", r), store::Lookup::kNotFound);  // tag matches, name does not: bounded probe
  if (store::bucket_tag(store::fnv1a64("user1")) != store::bucket_tag(store::fnv1a64("user2"))) {
    EXPECT_EQ(v->find_user("user1", r), store::Lookup::kNotFound);  // right record, wrong tag: filtered out
  }
  // The same table under user1's own tag answers user1 from any starting bucket.
  for (std::uint64_t k = 0; k < n; ++k) {
    set_u32(bytes, off + k * 4, store::make_bucket(store::fnv1a64("user1"), user1.index));
  }
  auto w = StoreView::parse(bytes.data(), bytes.size());
  ASSERT_TRUE(w);
  ASSERT_EQ(w->find_user("user1", r), store::Lookup::kFound);
  EXPECT_EQ(r.uid, user1.uid);
}

TEST(StoreReader, NameIndexPointingAtARemovedRecordNeverAnswersIt) {
  auto bytes = sample_file();  // user3 (record 3) is removed, so no name bucket names it
  const auto [off, n] = name_index_of(bytes);
  for (std::uint64_t k = 0; k < n; ++k) set_u32(bytes, off + k * 4, store::make_bucket(store::fnv1a64("user3"), 3));
  auto v = StoreView::parse(bytes.data(), bytes.size());
  ASSERT_TRUE(v);
  store::RecordView r;
  r.uid = 42;
  EXPECT_EQ(v->find_user("user3", r), store::Lookup::kNotFound);
  EXPECT_EQ(r.uid, 42u);  // untouched unless found
}

TEST(StoreReader, CountAboveTheBucketEntryRangeIsRefused) {
  auto bytes = sample_file();
  set_u32(bytes, store::kOffRecordCount, 1u << 24);  // 1 + index would not fit 24 bits
  auto v = StoreView::parse(bytes.data(), bytes.size());
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().reason, "bad_count");
}

TEST(StoreReader, WriterPlacesNameGecosAndHomeInTheRecordsHotSlot) {
  store::Model m;
  const std::string long_home = "/home/" + std::string(70, 'h');  // cannot fit 64 bytes with the rest
  for (int i = 0; i < 3; ++i) {
    store::ModelRecord r;
    r.issuer = "https://idp.test";
    r.subject = m.own("sub" + std::to_string(i));
    r.name = m.own("user" + std::to_string(i));
    r.gecos = "Some One";
    r.home = i == 1 ? std::string_view(long_home) : m.own("/home/user" + std::to_string(i));
    r.shell = "/bin/bash";
    r.uid = r.gid = 300000 + static_cast<std::uint32_t>(i);
    m.records.push_back(r);
  }
  const std::string bytes = m.encode();
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  const unsigned char* strings_entry = data + store::kHeaderFixed + store::kStrings * store::kSectionEntrySize;
  EXPECT_EQ(store::load_u64(strings_entry) % store::kHotSlotSize, 0u);  // one slot = one cache line
  auto v = StoreView::parse(data, bytes.size());
  ASSERT_TRUE(v);
  for (std::uint32_t i = 0; i < 3; ++i) {
    auto r = v->record(i);
    ASSERT_TRUE(r);
    const auto* strings = data + store::load_u64(strings_entry);
    const auto off = static_cast<std::size_t>(reinterpret_cast<const unsigned char*>(r->name.data()) - strings);
    if (i == 1) {
      EXPECT_GE(off, 3 * store::kHotSlotSize);  // after the slots
      EXPECT_EQ(r->home, long_home);
    } else {
      EXPECT_EQ(off, i * store::kHotSlotSize);
      EXPECT_EQ(r->gecos.data(), r->name.data() + r->name.size() + 1);
      EXPECT_EQ(r->home.data(), r->gecos.data() + r->gecos.size() + 1);
      EXPECT_EQ(r->home.data()[r->home.size()], '\0');
    }
    store::RecordView found;
    ASSERT_EQ(v->find_user(r->name, found), store::Lookup::kFound);
    EXPECT_EQ(found.home, r->home);
  }
}

class StoreReaderFile : public testing::StoreFixture {};

TEST_F(StoreReaderFile, OpenRefusesEmptyDirectoryAndUnsafeFiles) {
  const std::string p = dir_ + "/f.db";
  EXPECT_EQ(store::MappedStore::open(p, true).error().code, ErrorCode::kNotFound);
  write_file(p, "");
  EXPECT_EQ(store::MappedStore::open(p, true).error().code, ErrorCode::kCorrupt);
  EXPECT_FALSE(store::MappedStore::open(dir_, true));
  auto bytes = sample_file();
  write_file(p, std::string(bytes.begin(), bytes.end()));
  ASSERT_TRUE(store::MappedStore::open(p, true));
  ASSERT_EQ(::chown(p.c_str(), 65534, 65534), 0);
  EXPECT_EQ(store::MappedStore::open(p, true).error().reason, "unsafe_file");
  EXPECT_TRUE(store::MappedStore::open(p, false));
  ASSERT_EQ(::chown(p.c_str(), 0, 0), 0);
  ASSERT_EQ(::chmod(p.c_str(), 0646), 0);
  EXPECT_EQ(store::MappedStore::open(p, true).error().reason, "unsafe_file");
  ASSERT_EQ(::symlink(p.c_str(), (p + ".link").c_str()), 0);
  EXPECT_FALSE(store::MappedStore::open(p + ".link", false));  // O_NOFOLLOW
}

}  // namespace
}  // namespace oidc_sysauth
