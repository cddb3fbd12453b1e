#include "store/store_reader.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace oidc_sysauth::store {

namespace {

bool is_power_of_two(std::uint64_t v) noexcept { return v != 0 && (v & (v - 1)) == 0; }

// Entry count of a u32 bucket array, or 0 if its length is not a power-of-two count.
std::uint64_t bucket_count(std::uint64_t length) noexcept {
  if (length % 4 != 0) return 0;
  std::uint64_t n = length / 4;
  return is_power_of_two(n) ? n : 0;
}

}  // namespace

Result<StoreView> StoreView::parse(const unsigned char* data, std::size_t size) {
  if (data == nullptr || size < kHeaderSize) return fail(ErrorCode::kCorrupt, "store file too short", "truncated");
  if (size > kMaxFileSize) return fail(ErrorCode::kCorrupt, "store file too large", "too_large");
  if (std::memcmp(data + kOffMagic, kMagic, sizeof kMagic) != 0) {
    return fail(ErrorCode::kCorrupt, "not an oidc-sysauth account store (bad magic)", "bad_magic");
  }
  if (load_u32(data + kOffVersion) != kVersion) {
    return fail(ErrorCode::kCorrupt, "unsupported store version " + std::to_string(load_u32(data + kOffVersion)),
                "bad_version");
  }
  if (load_u32(data + kOffHeaderSize) != kHeaderSize) return fail(ErrorCode::kCorrupt, "bad header size", "bad_header");
  if (load_u64(data + kOffFileSize) != size) {
    return fail(ErrorCode::kCorrupt, "file size does not match its header (truncated?)", "truncated");
  }
  StoreView v;
  v.data_ = data;
  v.generation_ = load_u64(data + kOffGeneration);
  v.record_count_ = load_u32(data + kOffRecordCount);
  v.group_count_ = load_u32(data + kOffGroupCount);
  v.kind_ = load_u32(data + kOffKind);
  v.tag_ = load_u64(data + kOffTag);
  v.sequence_ = load_u64(data + kOffSequence);
  if (v.kind_ != kFileBase && v.kind_ != kFileJournal)
    return fail(ErrorCode::kCorrupt, "unknown file kind", "bad_kind");
  if (v.record_count_ > kMaxRecords || v.group_count_ > kMaxRecords) {
    return fail(ErrorCode::kCorrupt, "record count out of range", "bad_count");
  }
  for (std::uint32_t s = 0; s < kSectionCount; ++s) {
    const unsigned char* entry = data + kHeaderFixed + s * kSectionEntrySize;
    const std::uint64_t off = load_u64(entry);
    const std::uint64_t len = load_u64(entry + 8);
    // off and len are each bounded by size before they are added: no overflow.
    if (off < kHeaderSize || off > size || len > size - off) {
      return fail(ErrorCode::kCorrupt, "section " + std::to_string(s) + " outside the file", "bad_section");
    }
    v.sections_[s] = Span{data + off, len};
  }
  if (v.sections_[kRecords].size != std::uint64_t{v.record_count_} * kRecordSize ||
      v.sections_[kGroups].size != std::uint64_t{v.group_count_} * kGroupSize || v.sections_[kRefs].size % 4 != 0) {
    return fail(ErrorCode::kCorrupt, "section sizes do not match the counts", "bad_section");
  }
  for (Section s : {kNameIndex, kUidIndex, kGroupNameIndex, kGidIndex, kSubjectIndex}) {
    if (bucket_count(v.sections_[s].size) == 0) {
      return fail(ErrorCode::kCorrupt, "hash index size is not a power of two", "bad_index");
    }
  }
  return v;
}

std::optional<std::string_view> StoreView::string_at(const unsigned char* ref) const noexcept {
  const std::uint64_t off = load_u32(ref);
  const std::uint64_t len = load_u32(ref + 4);
  const Span& s = sections_[kStrings];
  if (off > s.size || len > s.size - off) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(s.data + off), len);
}

std::optional<std::uint32_t> StoreView::ref(std::uint64_t index) const noexcept {
  const Span& s = sections_[kRefs];
  if (index >= s.size / 4) return std::nullopt;
  return load_u32(s.data + index * 4);
}

std::optional<RecordView> StoreView::record(std::uint32_t index) const noexcept {
  RecordView r;
  if (!read_record(index, r)) return std::nullopt;
  return r;
}

bool StoreView::read_record(std::uint32_t index, RecordView& r) const noexcept {
  if (index >= record_count_) return false;
  const unsigned char* p = sections_[kRecords].data + std::uint64_t{index} * kRecordSize;
  r.index = index;
  r.uid = load_u32(p + kRecUid);
  r.gid = load_u32(p + kRecGid);
  r.flags = load_u32(p + kRecFlags);
  // A tombstone exists only in a journal and is always also "removed".
  if (r.forgotten() && (kind_ != kFileJournal || !r.removed())) return false;
  std::string_view* fields[] = {&r.name, &r.gecos, &r.home, &r.shell, &r.issuer, &r.subject};
  std::size_t at = kRecName;
  for (std::string_view* f : fields) {
    auto s = string_at(p + at);
    if (!s) return false;
    *f = *s;
    at += 8;
  }
  r.groups_first = load_u32(p + kRecGroupsFirst);
  r.groups_count = load_u32(p + kRecGroupsCount);
  r.idp_first = load_u32(p + kRecIdpFirst);
  r.idp_count = load_u32(p + kRecIdpCount);
  r.created = static_cast<std::int64_t>(load_u64(p + kRecCreated));
  r.last_login = static_cast<std::int64_t>(load_u64(p + kRecLastLogin));
  const std::uint64_t refs = sections_[kRefs].size / 4;
  // u64 sums of u32 values cannot overflow.
  if (std::uint64_t{r.groups_first} + r.groups_count > refs ||
      std::uint64_t{r.idp_first} + std::uint64_t{r.idp_count} * 2 > refs) {
    return false;
  }
  return true;
}

std::optional<GroupView> StoreView::group(std::uint32_t index) const noexcept {
  if (index >= group_count_) return std::nullopt;
  const unsigned char* p = sections_[kGroups].data + std::uint64_t{index} * kGroupSize;
  GroupView g;
  g.index = index;
  g.gid = load_u32(p + kGrpGid);
  g.kind = load_u32(p + kGrpKind);
  auto name = string_at(p + kGrpName);
  if (!name) return std::nullopt;
  g.name = *name;
  g.members_first = load_u32(p + kGrpMembersFirst);
  g.members_count = load_u32(p + kGrpMembersCount);
  if (std::uint64_t{g.members_first} + g.members_count > sections_[kRefs].size / 4) return std::nullopt;
  if (g.kind != kGroupLocal && g.kind != kGroupOwned && (g.kind != kGroupDropped || kind_ != kFileJournal)) {
    return std::nullopt;
  }
  return g;
}

std::optional<GroupView> StoreView::record_group(const RecordView& r, std::uint32_t k) const noexcept {
  if (k >= r.groups_count) return std::nullopt;
  auto idx = ref(std::uint64_t{r.groups_first} + k);
  if (!idx) return std::nullopt;
  return group(*idx);
}

std::optional<RecordView> StoreView::group_member(const GroupView& g, std::uint32_t k) const noexcept {
  if (k >= g.members_count) return std::nullopt;
  auto idx = ref(std::uint64_t{g.members_first} + k);
  if (!idx) return std::nullopt;
  return record(*idx);
}

std::optional<std::string_view> StoreView::record_idp_group(const RecordView& r, std::uint32_t k) const noexcept {
  if (k >= r.idp_count) return std::nullopt;
  const std::uint64_t at = std::uint64_t{r.idp_first} + std::uint64_t{k} * 2;
  auto off = ref(at);
  auto len = ref(at + 1);
  if (!off || !len) return std::nullopt;
  unsigned char pair[8];
  store_u32(pair, *off);
  store_u32(pair + 4, *len);
  return string_at(pair);
}

// Linear probing from hash & mask, at most `buckets` steps, stopping at an empty
// bucket. Every bucket visited is validated (entry in range) before its tag is looked
// at; only entries whose tag matches are handed to `match(index)`, which returns a
// Lookup for the candidate (and checks the key itself: the tag is only a filter).
template <typename Match>
Lookup StoreView::probe(const Span& index, std::uint64_t hash, std::uint32_t limit, Match&& match) const noexcept {
  const std::uint64_t n = index.size / 4;
  const std::uint64_t mask = n - 1;
  const std::uint32_t tag = bucket_tag(hash);
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint32_t e = load_u32(index.data + ((hash + i) & mask) * 4);
    if (e == 0) return Lookup::kNotFound;
    const std::uint32_t entry = e & kBucketEntryMask;
    if (entry == 0 || entry - 1 >= limit) return Lookup::kCorrupt;
    if (e >> 24 != tag) continue;
    Lookup l = match(entry - 1);
    if (l != Lookup::kNotFound) return l;
  }
  return Lookup::kNotFound;
}

// The match lambdas compare the key first (one field, validated like any other) and
// decode and validate the whole entry only for the one that matches.
const unsigned char* StoreView::record_bytes(std::uint32_t index) const noexcept {
  return sections_[kRecords].data + std::uint64_t{index} * kRecordSize;  // index < record_count_ (probe)
}

// A candidate whose key matched: decoded into `out`, or passed over when it is removed and
// removed records are not wanted. Either way every field is validated, so a corrupt entry
// is reported, never skipped.
Lookup StoreView::answer_record(std::uint32_t index, bool answer_removed, RecordView& out) const noexcept {
  if (!answer_removed && (load_u32(record_bytes(index) + kRecFlags) & kFlagRemoved) != 0) {
    RecordView removed;
    return read_record(index, removed) ? Lookup::kNotFound : Lookup::kCorrupt;
  }
  return read_record(index, out) ? Lookup::kFound : Lookup::kCorrupt;
}

Lookup StoreView::find_user(std::string_view name, RecordView& out) const noexcept {
  return find_user(name, fnv1a64(name), out);
}

Lookup StoreView::find_user(std::string_view name, std::uint64_t name_hash, RecordView& out) const noexcept {
  return probe(sections_[kNameIndex], name_hash, record_count_, [&](std::uint32_t i) {
    prefetch_hot_slot(i);  // the name compared below, and GECOS and home for the answer
    const unsigned char* p = record_bytes(i);
    const auto key = string_at(p + kRecName);
    if (!key) return Lookup::kCorrupt;
    if (*key != name) return Lookup::kNotFound;
    return answer_record(i, false, out);
  });
}

Lookup StoreView::find_uid(std::uint32_t uid, RecordView& out, bool include_removed) const noexcept {
  return probe(sections_[kUidIndex], id_hash(uid), record_count_, [&](std::uint32_t i) {
    prefetch_hot_slot(i);  // name, GECOS and home for the answer
    const unsigned char* p = record_bytes(i);
    if (load_u32(p + kRecUid) != uid) return Lookup::kNotFound;
    return answer_record(i, include_removed, out);
  });
}

Lookup StoreView::find_group(std::string_view name, GroupView& out) const noexcept {
  return probe(sections_[kGroupNameIndex], fnv1a64(name), group_count_, [&](std::uint32_t i) {
    auto g = group(i);
    if (!g) return Lookup::kCorrupt;
    if (g->name != name) return Lookup::kNotFound;
    out = *g;
    return Lookup::kFound;
  });
}

Lookup StoreView::find_gid(std::uint32_t gid, GroupView& out, Lookup (*filter)(const void*, const GroupView&),
                           const void* ctx) const noexcept {
  return probe(sections_[kGidIndex], id_hash(gid), group_count_, [&](std::uint32_t i) {
    auto g = group(i);
    if (!g) return Lookup::kCorrupt;
    if (g->gid != gid || g->kind == kGroupDropped) return Lookup::kNotFound;
    if (filter != nullptr) {
      const Lookup f = filter(ctx, *g);
      if (f != Lookup::kFound) return f;
    }
    out = *g;
    return Lookup::kFound;
  });
}

Lookup StoreView::find_subject(std::string_view issuer, std::string_view subject, RecordView& out) const noexcept {
  return probe(sections_[kSubjectIndex], subject_hash(issuer, subject), record_count_, [&](std::uint32_t i) {
    auto r = record(i);
    if (!r) return Lookup::kCorrupt;
    if (r->forgotten() || r->subject != subject || r->issuer != issuer) return Lookup::kNotFound;
    out = *r;
    return Lookup::kFound;
  });
}

bool StoreView::id_taken(std::uint32_t id) const noexcept {
  RecordView r;
  Lookup u = find_uid(id, r, true);
  if (u != Lookup::kNotFound) return true;
  GroupView g;
  Lookup gl = find_gid(id, g);
  if (gl == Lookup::kCorrupt) return true;
  return gl == Lookup::kFound && g.kind == kGroupOwned;
}

Result<std::unique_ptr<MappedStore>> MappedStore::open(const std::string& path, bool require_root_owned,
                                                       bool populate) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
  if (fd < 0) {
    int e = errno;
    return fail(e == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo, path + ": " + std::strerror(e));
  }
  std::unique_ptr<MappedStore> m(new MappedStore());
  if (::fstat(fd, &m->stat_) != 0) {
    int e = errno;
    ::close(fd);
    return fail(ErrorCode::kIo, path + ": fstat: " + std::strerror(e));
  }
  if (!S_ISREG(m->stat_.st_mode) || (require_root_owned && (m->stat_.st_uid != 0 || (m->stat_.st_mode & 022) != 0))) {
    ::close(fd);
    return fail(ErrorCode::kIo, path + ": not a root-owned regular file writable only by root", "unsafe_file");
  }
  const auto size = static_cast<std::uint64_t>(m->stat_.st_size);
  if (size < kHeaderSize || size > kMaxFileSize) {
    ::close(fd);
    return fail(ErrorCode::kCorrupt, path + ": bad file size", "truncated");
  }
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED | (populate ? MAP_POPULATE : 0), fd, 0);
  int e = errno;
  ::close(fd);  // the mapping keeps the file alive
  if (p == MAP_FAILED) return fail(ErrorCode::kIo, path + ": mmap: " + std::strerror(e));
  m->map_ = p;
  m->map_size_ = size;
  auto view = StoreView::parse(static_cast<const unsigned char*>(p), size);
  if (!view) return std::unexpected(Error{view.error().code, path + ": " + view.error().detail, view.error().reason});
  m->view_ = *view;
  return m;
}

MappedStore::~MappedStore() {
  if (map_ != nullptr) ::munmap(map_, map_size_);
}

bool MappedStore::is_current(const struct stat& st) const noexcept {
  return st.st_ino == stat_.st_ino && st.st_dev == stat_.st_dev && st.st_size == stat_.st_size &&
         st.st_mtim.tv_sec == stat_.st_mtim.tv_sec && st.st_mtim.tv_nsec == stat_.st_mtim.tv_nsec &&
         st.st_ctim.tv_sec == stat_.st_ctim.tv_sec && st.st_ctim.tv_nsec == stat_.st_ctim.tv_nsec;
}

}  // namespace oidc_sysauth::store
