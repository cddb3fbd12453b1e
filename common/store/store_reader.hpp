// Reading accounts.db: a validated, zero-copy view over the bytes (StoreView) and
// a read-only memory mapping of the file (MappedStore). Used by NSS on every lookup
// and by the writer to load the current state. No allocation on the lookup path.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "result.hpp"
#include "store/store_format.hpp"

namespace oidc_sysauth::store {

struct RecordView {
  std::uint32_t index = 0;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint32_t flags = 0;
  std::string_view name, gecos, home, shell, issuer, subject;
  std::uint32_t groups_first = 0, groups_count = 0;  // refs: group indices
  std::uint32_t idp_first = 0, idp_count = 0;        // refs: (offset, length) pairs
  std::int64_t created = 0, last_login = 0;
  [[nodiscard]] bool removed() const noexcept { return (flags & kFlagRemoved) != 0; }
  [[nodiscard]] bool disabled() const noexcept { return (flags & kFlagDisabled) != 0; }
  [[nodiscard]] bool forgotten() const noexcept { return (flags & kFlagForgotten) != 0; }
};

struct GroupView {
  std::uint32_t index = 0;
  std::uint32_t gid = 0;
  std::uint32_t kind = 0;  // kGroupLocal or kGroupOwned
  std::string_view name;
  std::uint32_t members_first = 0, members_count = 0;  // refs: record indices
};

enum class Lookup { kFound, kNotFound, kCorrupt };

class StoreView {
 public:
  StoreView() = default;  // an empty store (no file yet)

  // Checks magic, version, sizes and every section's bounds (O(1), overflow-safe).
  // Entries are checked when read, so opening a 100,000-account file costs nothing.
  static Result<StoreView> parse(const unsigned char* data, std::size_t size);

  [[nodiscard]] std::uint32_t record_count() const noexcept { return record_count_; }
  [[nodiscard]] std::uint32_t group_count() const noexcept { return group_count_; }
  [[nodiscard]] std::uint64_t generation() const noexcept { return generation_; }
  [[nodiscard]] std::uint64_t tag() const noexcept { return tag_; }
  [[nodiscard]] std::uint64_t sequence() const noexcept { return sequence_; }
  [[nodiscard]] bool is_journal() const noexcept { return kind_ == kFileJournal; }
  // Is this journal the delta of `base` (same tag and generation)?
  [[nodiscard]] bool applies_to(const StoreView& base) const noexcept {
    return is_journal() && !base.is_journal() && base.data_ != nullptr && tag_ == base.tag_ &&
           generation_ == base.generation_;
  }
  // Has a writer replaced this file since it was mapped? Reads the live mapping.
  [[nodiscard]] bool superseded() const noexcept {
    return data_ != nullptr && __atomic_load_n(data_ + kOffSuperseded, __ATOMIC_ACQUIRE) != 0;
  }

  // nullopt: the entry is corrupt (a string or list outside its section).
  [[nodiscard]] std::optional<RecordView> record(std::uint32_t index) const noexcept;
  [[nodiscard]] std::optional<GroupView> group(std::uint32_t index) const noexcept;
  [[nodiscard]] std::optional<std::uint32_t> ref(std::uint64_t index) const noexcept;
  // The k-th supplementary group of a record, the k-th member of a group, the k-th IdP group.
  [[nodiscard]] std::optional<GroupView> record_group(const RecordView& r, std::uint32_t k) const noexcept;
  [[nodiscard]] std::optional<RecordView> group_member(const GroupView& g, std::uint32_t k) const noexcept;
  [[nodiscard]] std::optional<std::string_view> record_idp_group(const RecordView& r, std::uint32_t k) const noexcept;

  // O(1) hash lookups. find_user and find_uid answer only active (not removed) records.
  // `out` is written only when the answer is kFound (or kCorrupt: then it is unspecified).
  Lookup find_user(std::string_view name, RecordView& out) const noexcept;
  // The same with fnv1a64(name) computed by the caller (the overlay asks two files).
  Lookup find_user(std::string_view name, std::uint64_t name_hash, RecordView& out) const noexcept;
  Lookup find_uid(std::uint32_t uid, RecordView& out, bool include_removed = false) const noexcept;
  Lookup find_group(std::string_view name, GroupView& out) const noexcept;
  Lookup find_gid(std::uint32_t gid, GroupView& out) const noexcept { return find_gid(gid, out, nullptr, nullptr); }
  // The same, asking filter(ctx, group) about each candidate: kFound keeps it,
  // kNotFound passes over it (the overlay's groups hidden by the journal; several local
  // groups may share a gid), kCorrupt ends the lookup as corrupt.
  Lookup find_gid(std::uint32_t gid, GroupView& out, Lookup (*filter)(const void*, const GroupView&),
                  const void* ctx) const noexcept;
  // A hint: starts loading the first bucket `hash` probes in the name or uid index, so
  // that a cache miss on it overlaps the caller's work on the journal. Reads nothing.
  void prefetch_name_bucket(std::uint64_t hash) const noexcept { prefetch_bucket(sections_[kNameIndex], hash); }
  void prefetch_uid_bucket(std::uint32_t uid) const noexcept { prefetch_bucket(sections_[kUidIndex], id_hash(uid)); }
  // Any record (removed included, journal tombstones excluded) of (issuer, subject).
  Lookup find_subject(std::string_view issuer, std::string_view subject, RecordView& out) const noexcept;

  // Is `id` used as a uid by any record (removed ones included) or as the gid of a
  // store-owned group? Corrupt entries count as taken (fail closed).
  [[nodiscard]] bool id_taken(std::uint32_t id) const noexcept;

 private:
  struct Span {
    const unsigned char* data = nullptr;
    std::uint64_t size = 0;
  };
  [[nodiscard]] std::optional<std::string_view> string_at(const unsigned char* ref) const noexcept;
  // The bucket's address lies inside the index span (bucket count is a power of two, so
  // hash & (count - 1) < count); an empty span (no file) prefetches nothing.
  static void prefetch_bucket(const Span& index, std::uint64_t hash) noexcept {
    const std::uint64_t n = index.size / 4;
    if (n != 0) __builtin_prefetch(index.data + (hash & (n - 1)) * 4);
  }
  // record() into `out`: false (out unspecified) when the entry is corrupt.
  bool read_record(std::uint32_t index, RecordView& out) const noexcept;
  // A hint: starts loading record `index`'s hot slot (the writer's string placement,
  // FORMAT.md) so that its strings arrive with the record instead of after it.
  void prefetch_hot_slot(std::uint32_t index) const noexcept {
    const std::uint64_t at = std::uint64_t{index} * kHotSlotSize;
    if (at < sections_[kStrings].size) __builtin_prefetch(sections_[kStrings].data + at);
  }
  Lookup answer_record(std::uint32_t index, bool answer_removed, RecordView& out) const noexcept;
  // The raw bytes of record `index`; the caller guarantees index < record_count_.
  [[nodiscard]] const unsigned char* record_bytes(std::uint32_t index) const noexcept;
  template <typename Match>
  Lookup probe(const Span& index, std::uint64_t hash, std::uint32_t limit, Match&& match) const noexcept;

  const unsigned char* data_ = nullptr;
  Span sections_[kSectionCount];
  std::uint32_t record_count_ = 0;
  std::uint32_t group_count_ = 0;
  std::uint64_t generation_ = 0;
  std::uint64_t tag_ = 0;
  std::uint64_t sequence_ = 0;
  std::uint32_t kind_ = kFileBase;
};

// A read-only mapping of one store file, remembering which file it was, so a
// caller can tell with one stat() whether the file has been replaced.
class MappedStore {
 public:
  // kNotFound if the file does not exist; kCorrupt if it fails validation; kIo for
  // other errors, and when `require_root_owned` and the file is not owned by root or
  // is writable by group/others (the store decides uids: only root may write it).
  // `populate` prefaults the whole mapping at once (the writer reads every page anyway;
  // one bulk fault is much cheaper than one per page).
  static Result<std::unique_ptr<MappedStore>> open(const std::string& path, bool require_root_owned,
                                                   bool populate = false);
  ~MappedStore();
  MappedStore(const MappedStore&) = delete;
  MappedStore& operator=(const MappedStore&) = delete;

  [[nodiscard]] const StoreView& view() const noexcept { return view_; }
  // Same inode, device, size, mtime and ctime as when mapped.
  [[nodiscard]] bool is_current(const struct stat& st) const noexcept;
  [[nodiscard]] const struct stat& file_stat() const noexcept { return stat_; }

 private:
  MappedStore() = default;
  void* map_ = nullptr;
  std::size_t map_size_ = 0;
  struct stat stat_ {};
  StoreView view_;
};

}  // namespace oidc_sysauth::store
