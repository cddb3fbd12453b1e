#include "store/store_model.hpp"

#include <algorithm>
#include <cstring>
#include <unordered_map>

namespace oidc_sysauth::store {

namespace {

// Load factor <= 1/2 keeps linear-probe chains short.
std::uint32_t bucket_count_for(std::size_t entries) {
  std::uint32_t n = 8;
  while (n < entries * 2) n *= 2;
  return n;
}

void fill_index(std::vector<std::uint32_t>& buckets, std::uint64_t hash, std::uint32_t entry) {
  const std::uint64_t mask = buckets.size() - 1;
  for (std::uint64_t i = 0; i < buckets.size(); ++i) {  // the table is at most half full
    auto& b = buckets[(hash + i) & mask];
    if (b == 0) {
      b = make_bucket(hash, entry);  // entry < kMaxRecords: the reader refuses larger counts
      return;
    }
  }
}

struct StrRef {
  std::uint32_t off = 0, len = 0;
};

// Does record r's hot slot hold its name, GECOS and home (each NUL-terminated)?
bool fits_hot_slot(const ModelRecord& r) noexcept {
  return r.name.size() + r.gecos.size() + r.home.size() + 3 <= kHotSlotSize;
}

// Assigns string offsets. The strings section starts with one kHotSlotSize slot per
// record (FORMAT.md, "String placement"): slot i holds record i's name, GECOS and home
// when they fit, so a reader can load them in parallel with the record. Every other
// string follows the slots in visiting order; only those are passed to `visit`, and
// every pass of the encoder replays the same sequence, so offsets computed while
// writing records match the strings written later. Shell and issuer are stored once
// per run of equal values (usually once in all).
class StringLayout {
 public:
  explicit StringLayout(std::size_t record_count) : next_(record_count * kHotSlotSize) {}
  struct RecordRefs {
    StrRef name, gecos, home, shell, issuer, subject;
  };
  template <typename Visit>
  RecordRefs record(std::size_t index, const ModelRecord& r, Visit&& visit) {
    RecordRefs out;
    if (fits_hot_slot(r)) {
      const auto at = static_cast<std::uint32_t>(index * kHotSlotSize);  // < 2^24 × 64: fits
      const auto name = static_cast<std::uint32_t>(r.name.size());
      const auto gecos = static_cast<std::uint32_t>(r.gecos.size());
      out.name = StrRef{at, name};
      out.gecos = StrRef{at + name + 1, gecos};
      out.home = StrRef{at + name + 1 + gecos + 1, static_cast<std::uint32_t>(r.home.size())};
    } else {
      out.name = put(r.name, visit);
      out.gecos = put(r.gecos, visit);
      out.home = put(r.home, visit);
    }
    out.shell = shared(r.shell, shell_, visit);
    out.issuer = shared(r.issuer, issuer_, visit);
    out.subject = put(r.subject, visit);
    idp.clear();
    for (std::string_view g : r.idp_groups) idp.push_back(put(g, visit));
    return out;
  }
  template <typename Visit>
  StrRef put(std::string_view s, Visit&& visit) {
    StrRef ref{static_cast<std::uint32_t>(next_), static_cast<std::uint32_t>(s.size())};
    next_ += s.size() + 1;
    visit(s);
    return ref;
  }
  [[nodiscard]] std::uint64_t size() const noexcept { return next_; }
  std::vector<StrRef> idp;  // the IdP-group strings of the last record()

 private:
  struct Shared {
    bool set = false;
    std::string_view value;
    StrRef ref;
  };
  template <typename Visit>
  StrRef shared(std::string_view s, Shared& sh, Visit&& visit) {
    if (!sh.set || sh.value != s) sh = Shared{true, s, put(s, visit)};
    return sh.ref;
  }
  std::uint64_t next_ = 0;
  Shared shell_, issuer_;
};

constexpr auto kNoVisit = [](std::string_view) {};

// Streams the file into a Sink section by section, never holding the whole file:
// at 100,000 accounts only the hash indexes (~2 MiB) live in memory.
class Encoder {
 public:
  explicit Encoder(const Model& m) : m_(m) {}
  void run(Sink& out);

 private:
  void prepare();
  void write_header(Sink& out) const;
  void write_records(Sink& out) const;
  void write_refs(Sink& out) const;
  void write_strings(Sink& out) const;

  const Model& m_;
  std::vector<std::uint32_t> rec_groups_;        // resolved group indices, all records
  std::vector<std::uint32_t> rec_groups_first_;  // per record, into rec_groups_ (n + 1)
  std::vector<std::vector<std::uint32_t>> members_;
  std::vector<std::uint32_t> name_idx_, uid_idx_, gname_idx_, gid_idx_, subject_idx_;
  std::uint64_t refs_count_ = 0, strings_size_ = 0;
  std::uint64_t off_[kSectionCount]{}, len_[kSectionCount]{}, total_ = 0;
};

void Encoder::prepare() {
  std::unordered_map<std::string_view, std::uint32_t> group_index;
  for (std::size_t i = 0; i < m_.groups.size(); ++i)
    group_index.emplace(m_.groups[i].name, static_cast<std::uint32_t>(i));
  members_.assign(m_.groups.size(), {});
  rec_groups_first_.reserve(m_.records.size() + 1);
  StringLayout strings(m_.records.size());
  for (std::size_t i = 0; i < m_.records.size(); ++i) {
    const ModelRecord& r = m_.records[i];
    rec_groups_first_.push_back(static_cast<std::uint32_t>(rec_groups_.size()));
    for (std::string_view g : r.groups) {
      auto it = group_index.find(g);
      if (it == group_index.end()) continue;  // a local group that vanished
      rec_groups_.push_back(it->second);
      if (!r.removed()) members_[it->second].push_back(static_cast<std::uint32_t>(i));
    }
    strings.record(i, r, kNoVisit);
    refs_count_ += r.idp_groups.size() * 2;
  }
  rec_groups_first_.push_back(static_cast<std::uint32_t>(rec_groups_.size()));
  refs_count_ += rec_groups_.size();
  for (const auto& g : m_.groups) strings.put(g.name, kNoVisit);
  for (const auto& mem : members_) refs_count_ += mem.size();
  strings_size_ = strings.size();

  name_idx_.assign(bucket_count_for(m_.records.size()), 0);
  uid_idx_.assign(name_idx_.size(), 0);
  subject_idx_.assign(name_idx_.size(), 0);
  for (std::size_t i = 0; i < m_.records.size(); ++i) {
    const auto idx = static_cast<std::uint32_t>(i);
    const ModelRecord& r = m_.records[i];
    if (!r.removed()) fill_index(name_idx_, fnv1a64(r.name), idx);
    fill_index(uid_idx_, id_hash(r.uid), idx);
    if (!r.forgotten()) fill_index(subject_idx_, subject_hash(r.issuer, r.subject), idx);
  }
  gname_idx_.assign(bucket_count_for(m_.groups.size()), 0);
  gid_idx_.assign(gname_idx_.size(), 0);
  for (std::size_t i = 0; i < m_.groups.size(); ++i) {
    fill_index(gname_idx_, fnv1a64(m_.groups[i].name), static_cast<std::uint32_t>(i));
    if (m_.groups[i].kind != kGroupDropped)
      fill_index(gid_idx_, id_hash(m_.groups[i].gid), static_cast<std::uint32_t>(i));
  }

  // Sections in id order after the header, each on an 8-byte boundary; the strings on a
  // 64-byte one, so that each hot slot is one cache line of the mapping.
  len_[kRecords] = m_.records.size() * kRecordSize;
  len_[kGroups] = m_.groups.size() * kGroupSize;
  len_[kRefs] = refs_count_ * 4;
  len_[kStrings] = strings_size_;
  len_[kNameIndex] = name_idx_.size() * 4;
  len_[kUidIndex] = uid_idx_.size() * 4;
  len_[kGroupNameIndex] = gname_idx_.size() * 4;
  len_[kGidIndex] = gid_idx_.size() * 4;
  len_[kSubjectIndex] = subject_idx_.size() * 4;
  std::uint64_t at = kHeaderSize;
  for (std::uint32_t s = 0; s < kSectionCount; ++s) {
    const std::uint64_t align = s == kStrings ? kHotSlotSize : 8;
    at = (at + align - 1) & ~(align - 1);
    off_[s] = at;
    at += len_[s];
  }
  total_ = at;
}

void Encoder::write_header(Sink& out) const {
  unsigned char h[kHeaderSize] = {};
  std::memcpy(h + kOffMagic, kMagic, sizeof kMagic);
  store_u32(h + kOffVersion, kVersion);
  store_u32(h + kOffHeaderSize, static_cast<std::uint32_t>(kHeaderSize));
  store_u64(h + kOffFileSize, total_);
  store_u64(h + kOffGeneration, m_.kind == kFileJournal ? m_.generation : m_.generation + 1);
  store_u32(h + kOffKind, m_.kind);
  store_u64(h + kOffTag, m_.tag);
  store_u64(h + kOffSequence, m_.sequence);
  store_u32(h + kOffRecordCount, static_cast<std::uint32_t>(m_.records.size()));
  store_u32(h + kOffGroupCount, static_cast<std::uint32_t>(m_.groups.size()));
  for (std::uint32_t s = 0; s < kSectionCount; ++s) {
    store_u64(h + kHeaderFixed + s * kSectionEntrySize, off_[s]);
    store_u64(h + kHeaderFixed + s * kSectionEntrySize + 8, len_[s]);
  }
  out.put(h, sizeof h);
}

// Records, then groups (their string and ref offsets follow the records').
void Encoder::write_records(Sink& out) const {
  StringLayout strings(m_.records.size());
  std::uint64_t ref = 0;
  auto put_ref = [](unsigned char* p, StrRef r) {
    store_u32(p, r.off);
    store_u32(p + 4, r.len);
  };
  out.pad_to(off_[kRecords]);
  for (std::size_t i = 0; i < m_.records.size(); ++i) {
    const ModelRecord& r = m_.records[i];
    unsigned char p[kRecordSize] = {};
    const auto refs = strings.record(i, r, kNoVisit);
    store_u32(p + kRecUid, r.uid);
    store_u32(p + kRecGid, r.gid);
    store_u32(p + kRecFlags, r.flags);
    put_ref(p + kRecName, refs.name);
    put_ref(p + kRecGecos, refs.gecos);
    put_ref(p + kRecHome, refs.home);
    put_ref(p + kRecShell, refs.shell);
    put_ref(p + kRecIssuer, refs.issuer);
    put_ref(p + kRecSubject, refs.subject);
    const std::uint32_t ngroups = rec_groups_first_[i + 1] - rec_groups_first_[i];
    store_u32(p + kRecGroupsFirst, static_cast<std::uint32_t>(ref));
    store_u32(p + kRecGroupsCount, ngroups);
    ref += ngroups;
    store_u32(p + kRecIdpFirst, static_cast<std::uint32_t>(ref));
    store_u32(p + kRecIdpCount, static_cast<std::uint32_t>(r.idp_groups.size()));
    ref += r.idp_groups.size() * 2;
    store_u64(p + kRecCreated, static_cast<std::uint64_t>(r.created));
    store_u64(p + kRecLastLogin, static_cast<std::uint64_t>(r.last_login));
    out.put(p, sizeof p);
  }
  out.pad_to(off_[kGroups]);
  for (std::size_t i = 0; i < m_.groups.size(); ++i) {
    unsigned char p[kGroupSize] = {};
    store_u32(p + kGrpGid, m_.groups[i].gid);
    store_u32(p + kGrpKind, m_.groups[i].kind);
    put_ref(p + kGrpName, strings.put(m_.groups[i].name, kNoVisit));
    store_u32(p + kGrpMembersFirst, static_cast<std::uint32_t>(ref));
    store_u32(p + kGrpMembersCount, static_cast<std::uint32_t>(members_[i].size()));
    ref += members_[i].size();
    out.put(p, sizeof p);
  }
}

void Encoder::write_refs(Sink& out) const {
  StringLayout strings(m_.records.size());
  out.pad_to(off_[kRefs]);
  auto put_u32 = [&out](std::uint32_t v) {
    unsigned char b[4];
    store_u32(b, v);
    out.put(b, 4);
  };
  for (std::size_t i = 0; i < m_.records.size(); ++i) {
    for (std::uint32_t k = rec_groups_first_[i]; k < rec_groups_first_[i + 1]; ++k) put_u32(rec_groups_[k]);
    strings.record(i, m_.records[i], kNoVisit);
    for (const StrRef& s : strings.idp) {
      put_u32(s.off);
      put_u32(s.len);
    }
  }
  for (const auto& mem : members_) {
    for (std::uint32_t r : mem) put_u32(r);
  }
}

void Encoder::write_strings(Sink& out) const {
  StringLayout strings(m_.records.size());
  out.pad_to(off_[kStrings]);
  auto emit = [&out](std::string_view s) {
    out.put(s.data(), s.size());
    out.put("", 1);  // NUL
  };
  // The hot slots (zero-padded), then everything else in layout order.
  for (const auto& r : m_.records) {
    unsigned char slot[kHotSlotSize] = {};
    if (fits_hot_slot(r)) {
      std::size_t at = 0;
      for (std::string_view str : {r.name, r.gecos, r.home}) {
        if (!str.empty()) std::memcpy(slot + at, str.data(), str.size());
        at += str.size() + 1;
      }
    }
    out.put(slot, sizeof slot);
  }
  for (std::size_t i = 0; i < m_.records.size(); ++i) strings.record(i, m_.records[i], emit);
  for (const auto& g : m_.groups) strings.put(g.name, emit);
}

void Encoder::run(Sink& out) {
  prepare();
  write_header(out);
  write_records(out);
  write_refs(out);
  write_strings(out);
  auto put_index = [&out, this](Section s, const std::vector<std::uint32_t>& v) {
    out.pad_to(off_[s]);
    unsigned char b[4096];
    std::size_t n = 0;
    for (std::uint32_t x : v) {
      store_u32(b + n, x);
      n += 4;
      if (n == sizeof b) {
        out.put(b, n);
        n = 0;
      }
    }
    out.put(b, n);
  };
  put_index(kNameIndex, name_idx_);
  put_index(kUidIndex, uid_idx_);
  put_index(kGroupNameIndex, gname_idx_);
  put_index(kGidIndex, gid_idx_);
  put_index(kSubjectIndex, subject_idx_);
}

class StringSink final : public Sink {
 public:
  explicit StringSink(std::string& out) : out_(out) {}
  void put(const void* data, std::size_t len) override { out_.append(static_cast<const char*>(data), len); }
  [[nodiscard]] std::uint64_t position() const override { return out_.size(); }

 private:
  std::string& out_;
};

}  // namespace

Result<Model> Model::load(const StoreView& view) {
  Model m;
  m.generation = view.generation();
  m.tag = view.tag();
  m.sequence = view.sequence();
  m.kind = view.is_journal() ? kFileJournal : kFileBase;
  m.groups.reserve(view.group_count());
  for (std::uint32_t i = 0; i < view.group_count(); ++i) {
    auto g = view.group(i);
    if (!g) return fail(ErrorCode::kCorrupt, "group entry " + std::to_string(i) + " is corrupt", "bad_entry");
    m.groups.push_back(ModelGroup{g->name, g->gid, g->kind});
  }
  m.records.reserve(view.record_count());
  for (std::uint32_t i = 0; i < view.record_count(); ++i) {
    auto r = view.record(i);
    if (!r) return fail(ErrorCode::kCorrupt, "record " + std::to_string(i) + " is corrupt", "bad_entry");
    ModelRecord mr{r->issuer, r->subject, r->name, r->gecos, r->home,    r->shell,     r->uid,
                   r->gid,    r->flags,   {},      {},       r->created, r->last_login};
    mr.groups.reserve(r->groups_count);
    for (std::uint32_t k = 0; k < r->groups_count; ++k) {
      auto g = view.record_group(*r, k);
      if (!g) return fail(ErrorCode::kCorrupt, "record " + std::to_string(i) + " has a bad group", "bad_entry");
      mr.groups.push_back(g->name);
    }
    for (std::uint32_t k = 0; k < r->idp_count; ++k) {
      auto s = view.record_idp_group(*r, k);
      if (!s) return fail(ErrorCode::kCorrupt, "record " + std::to_string(i) + " has a bad IdP group", "bad_entry");
      mr.idp_groups.push_back(*s);
    }
    m.records.push_back(std::move(mr));
  }
  return m;
}

std::string_view Model::own(std::string_view s) { return arena_.emplace_back(s); }

ModelRecord* Model::find_subject(std::string_view issuer, std::string_view subject) {
  for (auto& r : records) {
    if (r.subject == subject && r.issuer == issuer) return &r;
  }
  return nullptr;
}

ModelRecord* Model::find_active_name(std::string_view name) {
  for (auto& r : records) {
    if (!r.removed() && r.name == name) return &r;
  }
  return nullptr;
}

ModelGroup* Model::find_group(std::string_view name) {
  for (auto& g : groups) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

bool Model::id_taken(std::uint32_t id) const {
  for (const auto& r : records) {
    if (r.uid == id) return true;
  }
  for (const auto& g : groups) {
    if (g.kind == kGroupOwned && g.gid == id) return true;
  }
  return false;
}

void Model::write(Sink& out) const { Encoder(*this).run(out); }

std::string Model::encode() const {
  std::string bytes;
  StringSink sink(bytes);
  write(sink);
  return bytes;
}

void Sink::pad_to(std::uint64_t offset) {
  static const char kZeros[8] = {};
  while (position() < offset) put(kZeros, std::min<std::uint64_t>(8, offset - position()));
}

}  // namespace oidc_sysauth::store
