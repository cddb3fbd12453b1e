// On-disk layout of accounts.db (see FORMAT.md, which is the normative description).
// Shared by the writer (store_builder.cpp) and the reader (store_reader.cpp).
// Every field is little-endian and fixed-width; nothing here is ever cast from the
// mapping: fields are read byte-wise through load_u32/load_u64.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace oidc_sysauth::store {

inline constexpr char kMagic[8] = {'O', 'I', 'D', 'C', 'A', 'C', 'C', 'T'};
inline constexpr std::uint32_t kVersion = 3;
inline constexpr const char* kStoreFileName = "accounts.db";
// The small delta file beside accounts.db (FORMAT.md, "Journal"): same layout, kind 1.
inline constexpr const char* kJournalFileName = "accounts.journal";
inline constexpr const char* kLockFileName = "accounts.lock";

// Section ids, in the order of the section directory in the header.
enum Section : std::uint32_t {
  kRecords = 0,     // record_count × kRecordSize
  kGroups,          // group_count × kGroupSize
  kRefs,            // u32 array: group indices, record indices, string (off, len) pairs
  kStrings,         // bytes; each string NUL-terminated, addressed by (offset, length)
  // Every index is u32 buckets (0 = empty), each a tag (bits 24-31) and 1 + an entry index
  // (bits 0-23): see make_bucket below.
  kNameIndex,       // 1 + record index of an ACTIVE record
  kUidIndex,        // 1 + record index of ANY record (removed ones reserve their uid)
  kGroupNameIndex,  // 1 + group index
  kGidIndex,        // 1 + group index
  kSubjectIndex,    // 1 + record index, keyed by issuer NUL subject (tombstones excluded)
  kSectionCount
};

// Header: fixed 64 bytes, then the section directory (kSectionCount × 16 bytes).
inline constexpr std::size_t kHeaderFixed = 64;
inline constexpr std::size_t kSectionEntrySize = 16;                                          // u64 offset, u64 length
inline constexpr std::size_t kHeaderSize = kHeaderFixed + kSectionCount * kSectionEntrySize;  // 208
// Offsets inside the fixed header.
inline constexpr std::size_t kOffMagic = 0;
inline constexpr std::size_t kOffVersion = 8;
inline constexpr std::size_t kOffHeaderSize = 12;
inline constexpr std::size_t kOffFileSize = 16;
inline constexpr std::size_t kOffGeneration = 24;
inline constexpr std::size_t kOffRecordCount = 32;
inline constexpr std::size_t kOffGroupCount = 36;
// u32, 0 when written. After renaming a new file into place the writer sets it to 1 in
// the file it replaced: every process that still maps the old file sees the change in
// its mapping at once and remaps, with no system call on the lookup path.
inline constexpr std::size_t kOffSuperseded = 40;
// u32: kFileBase (accounts.db) or kFileJournal (accounts.journal).
inline constexpr std::size_t kOffKind = 44;
// u64: a base file's random tag; a journal carries the tag of the base it applies to
// (and that base's generation in its generation field).
inline constexpr std::size_t kOffTag = 48;
// u64: the number of writes the store has seen (base or journal), + 1 on every write.
// The effective value is the journal's when it applies, else the base's.
inline constexpr std::size_t kOffSequence = 56;
inline constexpr std::uint32_t kFileBase = 0;
inline constexpr std::uint32_t kFileJournal = 1;
// The journal is folded into a new base once it holds more entries or bytes than this.
inline constexpr std::size_t kJournalMaxEntries = 256;
inline constexpr std::uint64_t kJournalMaxBytes = 256 * 1024;

// Record: 96 bytes.
inline constexpr std::size_t kRecordSize = 96;
inline constexpr std::size_t kRecUid = 0;
inline constexpr std::size_t kRecGid = 4;
inline constexpr std::size_t kRecFlags = 8;
inline constexpr std::size_t kRecName = 12;  // string ref: u32 offset, u32 length
inline constexpr std::size_t kRecGecos = 20;
inline constexpr std::size_t kRecHome = 28;
inline constexpr std::size_t kRecShell = 36;
inline constexpr std::size_t kRecIssuer = 44;
inline constexpr std::size_t kRecSubject = 52;
inline constexpr std::size_t kRecGroupsFirst = 60;  // into refs: group indices
inline constexpr std::size_t kRecGroupsCount = 64;
inline constexpr std::size_t kRecIdpFirst = 68;  // into refs: (offset, length) pairs
inline constexpr std::size_t kRecIdpCount = 72;
inline constexpr std::size_t kRecCreated = 80;  // i64 unix seconds
inline constexpr std::size_t kRecLastLogin = 88;

// The writer's string placement (FORMAT.md, "String placement"): the strings section
// starts with one 64-byte slot per record holding its name, GECOS and home when they
// fit. Readers never rely on it (every string ref is validated wherever it points);
// NSS only prefetches slot i beside record i.
inline constexpr std::size_t kHotSlotSize = 64;

inline constexpr std::uint32_t kFlagDisabled = 1;
inline constexpr std::uint32_t kFlagRemoved = 2;
// Journal only, always with kFlagRemoved: "no record has this uid any more" (forget).
inline constexpr std::uint32_t kFlagForgotten = 4;

// Group: 32 bytes.
inline constexpr std::size_t kGroupSize = 32;
inline constexpr std::size_t kGrpGid = 0;
inline constexpr std::size_t kGrpKind = 4;
inline constexpr std::size_t kGrpName = 8;
inline constexpr std::size_t kGrpMembersFirst = 16;  // into refs: record indices
inline constexpr std::size_t kGrpMembersCount = 20;

// A group that exists in the local /etc/group: we only add members (glibc merge,
// initgroups_dyn). Its gid is the local one, copied when the store was written.
inline constexpr std::uint32_t kGroupLocal = 1;
// A group the store owns (prefixed IdP group): gid allocated like a uid.
inline constexpr std::uint32_t kGroupOwned = 2;
// Journal only: the group of this name no longer exists (a local group that vanished).
inline constexpr std::uint32_t kGroupDropped = 3;

// Hard limits, far above any real deployment, so every count fits u32 arithmetic and
// 1 + any entry index fits the 24 bits a bucket gives it.
inline constexpr std::uint64_t kMaxFileSize = 1ull << 32;
inline constexpr std::uint32_t kMaxRecords = (1u << 24) - 1;

// Hash-index bucket: bits 0-23 = 1 + entry index (never 0 in a used bucket), bits 24-31 =
// the top 8 bits of the key's 64-bit hash. The bucket position uses the low bits, so the
// tag is independent of it: a lookup passes over 255/256 of the foreign entries in its
// probe sequence without reading their records (a miss reads the index alone).
inline constexpr std::uint32_t kBucketEntryMask = 0x00FFFFFFu;
inline constexpr std::uint32_t bucket_tag(std::uint64_t hash) noexcept {
  return static_cast<std::uint32_t>(hash >> 56);
}
inline constexpr std::uint32_t make_bucket(std::uint64_t hash, std::uint32_t entry_index) noexcept {
  return bucket_tag(hash) << 24 | ((entry_index + 1) & kBucketEntryMask);
}

inline std::uint32_t load_u32(const unsigned char* p) noexcept {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}
inline std::uint64_t load_u64(const unsigned char* p) noexcept {
  return static_cast<std::uint64_t>(load_u32(p)) | static_cast<std::uint64_t>(load_u32(p + 4)) << 32;
}
inline void store_u32(unsigned char* p, std::uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
inline void store_u64(unsigned char* p, std::uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

// FNV-1a, 64-bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3), over the
// bytes as given. FROZEN: uids on every host are derived from it; changing it
// changes everyone's uid. Also used for the hash-table buckets.
inline constexpr std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t h = 0xcbf29ce484222325ull) noexcept {
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

// Bucket hash of a numeric id: FNV-1a-64 over its 4 little-endian bytes.
inline std::uint64_t id_hash(std::uint32_t id) noexcept {
  unsigned char b[4];
  store_u32(b, id);
  return fnv1a64(std::string_view(reinterpret_cast<const char*>(b), 4));
}

// Subject-index hash: FNV-1a-64 over issuer, one NUL byte, subject.
inline std::uint64_t subject_hash(std::string_view issuer, std::string_view subject) noexcept {
  return fnv1a64(subject, fnv1a64(std::string_view("\0", 1), fnv1a64(issuer)));
}

}  // namespace oidc_sysauth::store
