#include "store/store_model.hpp"

#include <algorithm>
#include <unordered_map>

namespace oidc_sysauth::store {

namespace {

// Load factor <= 1/2 keeps linear-probe chains short.
std::uint32_t bucket_count_for(std::size_t entries) {
  std::uint32_t n = 8;
  while (n < entries * 2) n *= 2;
  return n;
}

class Encoder {
 public:
  explicit Encoder(const Model& m) : m_(m) {}
  std::string run();

 private:
  std::uint32_t add_string(std::string_view s);
  void put_string_ref(unsigned char* at, std::string_view s);
  static void fill_index(std::vector<std::uint32_t>& buckets, std::uint64_t hash, std::uint32_t entry);
  void encode_records(const std::unordered_map<std::string_view, std::uint32_t>& group_index);
  void encode_groups();

  const Model& m_;
  std::vector<unsigned char> records_, groups_;
  std::vector<std::uint32_t> refs_;
  std::string strings_;
  std::vector<std::vector<std::uint32_t>> members_;  // per group: active record indices
  std::string_view last_shell_, last_issuer_;        // most records share these: store once
  std::uint32_t last_shell_off_ = 0, last_issuer_off_ = 0;
};

std::uint32_t Encoder::add_string(std::string_view s) {
  auto off = static_cast<std::uint32_t>(strings_.size());
  strings_.append(s);
  strings_.push_back('\0');
  return off;
}

void Encoder::put_string_ref(unsigned char* at, std::string_view s) {
  store_u32(at, add_string(s));
  store_u32(at + 4, static_cast<std::uint32_t>(s.size()));
}

void Encoder::fill_index(std::vector<std::uint32_t>& buckets, std::uint64_t hash, std::uint32_t entry) {
  const std::uint64_t mask = buckets.size() - 1;
  for (std::uint64_t i = 0;; ++i) {  // bounded: the table is at most half full
    auto& b = buckets[(hash + i) & mask];
    if (b == 0) {
      b = entry + 1;
      return;
    }
  }
}

void Encoder::encode_records(const std::unordered_map<std::string_view, std::uint32_t>& group_index) {
  records_.assign(m_.records.size() * kRecordSize, 0);
  for (std::size_t i = 0; i < m_.records.size(); ++i) {
    const ModelRecord& r = m_.records[i];
    unsigned char* p = records_.data() + i * kRecordSize;
    store_u32(p + kRecUid, r.uid);
    store_u32(p + kRecGid, r.gid);
    store_u32(p + kRecFlags, r.flags);
    put_string_ref(p + kRecName, r.name);
    put_string_ref(p + kRecGecos, r.gecos);
    put_string_ref(p + kRecHome, r.home);
    if (r.shell != last_shell_ || i == 0) {
      last_shell_ = r.shell;
      last_shell_off_ = add_string(r.shell);
    }
    store_u32(p + kRecShell, last_shell_off_);
    store_u32(p + kRecShell + 4, static_cast<std::uint32_t>(r.shell.size()));
    if (r.issuer != last_issuer_ || i == 0) {
      last_issuer_ = r.issuer;
      last_issuer_off_ = add_string(r.issuer);
    }
    store_u32(p + kRecIssuer, last_issuer_off_);
    store_u32(p + kRecIssuer + 4, static_cast<std::uint32_t>(r.issuer.size()));
    put_string_ref(p + kRecSubject, r.subject);
    store_u32(p + kRecGroupsFirst, static_cast<std::uint32_t>(refs_.size()));
    std::uint32_t n = 0;
    for (std::string_view g : r.groups) {
      auto it = group_index.find(g);
      if (it == group_index.end()) continue;
      refs_.push_back(it->second);
      if (!r.removed()) members_[it->second].push_back(static_cast<std::uint32_t>(i));
      ++n;
    }
    store_u32(p + kRecGroupsCount, n);
    store_u32(p + kRecIdpFirst, static_cast<std::uint32_t>(refs_.size()));
    store_u32(p + kRecIdpCount, static_cast<std::uint32_t>(r.idp_groups.size()));
    for (std::string_view g : r.idp_groups) {
      refs_.push_back(add_string(g));
      refs_.push_back(static_cast<std::uint32_t>(g.size()));
    }
    store_u64(p + kRecCreated, static_cast<std::uint64_t>(r.created));
    store_u64(p + kRecLastLogin, static_cast<std::uint64_t>(r.last_login));
  }
}

void Encoder::encode_groups() {
  groups_.assign(m_.groups.size() * kGroupSize, 0);
  for (std::size_t i = 0; i < m_.groups.size(); ++i) {
    const ModelGroup& g = m_.groups[i];
    unsigned char* p = groups_.data() + i * kGroupSize;
    store_u32(p + kGrpGid, g.gid);
    store_u32(p + kGrpKind, g.kind);
    put_string_ref(p + kGrpName, g.name);
    store_u32(p + kGrpMembersFirst, static_cast<std::uint32_t>(refs_.size()));
    store_u32(p + kGrpMembersCount, static_cast<std::uint32_t>(members_[i].size()));
    refs_.insert(refs_.end(), members_[i].begin(), members_[i].end());
  }
}

std::string Encoder::run() {
  std::unordered_map<std::string_view, std::uint32_t> group_index;
  for (std::size_t i = 0; i < m_.groups.size(); ++i) group_index.emplace(m_.groups[i].name, static_cast<std::uint32_t>(i));
  members_.assign(m_.groups.size(), {});
  strings_.reserve(m_.records.size() * 64);
  encode_records(group_index);
  encode_groups();

  std::vector<std::uint32_t> name_idx(bucket_count_for(m_.records.size()), 0);
  std::vector<std::uint32_t> uid_idx(name_idx.size(), 0);
  for (std::size_t i = 0; i < m_.records.size(); ++i) {
    const auto idx = static_cast<std::uint32_t>(i);
    if (!m_.records[i].removed()) fill_index(name_idx, fnv1a64(m_.records[i].name), idx);
    fill_index(uid_idx, id_hash(m_.records[i].uid), idx);
  }
  std::vector<std::uint32_t> gname_idx(bucket_count_for(m_.groups.size()), 0);
  std::vector<std::uint32_t> gid_idx(gname_idx.size(), 0);
  for (std::size_t i = 0; i < m_.groups.size(); ++i) {
    fill_index(gname_idx, fnv1a64(m_.groups[i].name), static_cast<std::uint32_t>(i));
    fill_index(gid_idx, id_hash(m_.groups[i].gid), static_cast<std::uint32_t>(i));
  }

  // Layout: header, then each section in id order, each padded to 8 bytes.
  std::string out(kHeaderSize, '\0');
  auto hdr = [&out]() { return reinterpret_cast<unsigned char*>(out.data()); };
  auto append_section = [&](Section s, const void* data, std::size_t len) {
    while (out.size() % 8 != 0) out.push_back('\0');
    store_u64(hdr() + kHeaderFixed + s * kSectionEntrySize, out.size());
    store_u64(hdr() + kHeaderFixed + s * kSectionEntrySize + 8, len);
    out.append(static_cast<const char*>(data), len);
  };
  auto append_u32s = [&](Section s, const std::vector<std::uint32_t>& v) {
    std::string bytes(v.size() * 4, '\0');
    for (std::size_t i = 0; i < v.size(); ++i) store_u32(reinterpret_cast<unsigned char*>(bytes.data()) + i * 4, v[i]);
    append_section(s, bytes.data(), bytes.size());
  };
  out.reserve(kHeaderSize + records_.size() + groups_.size() + refs_.size() * 4 + strings_.size() +
              (name_idx.size() * 2 + gname_idx.size() * 2) * 4 + 64);
  append_section(kRecords, records_.data(), records_.size());
  append_section(kGroups, groups_.data(), groups_.size());
  append_u32s(kRefs, refs_);
  append_section(kStrings, strings_.data(), strings_.size());
  append_u32s(kNameIndex, name_idx);
  append_u32s(kUidIndex, uid_idx);
  append_u32s(kGroupNameIndex, gname_idx);
  append_u32s(kGidIndex, gid_idx);

  std::memcpy(out.data() + kOffMagic, kMagic, sizeof kMagic);
  store_u32(hdr() + kOffVersion, kVersion);
  store_u32(hdr() + kOffHeaderSize, static_cast<std::uint32_t>(kHeaderSize));
  store_u64(hdr() + kOffFileSize, out.size());
  store_u64(hdr() + kOffGeneration, m_.generation + 1);
  store_u32(hdr() + kOffRecordCount, static_cast<std::uint32_t>(m_.records.size()));
  store_u32(hdr() + kOffGroupCount, static_cast<std::uint32_t>(m_.groups.size()));
  return out;
}

}  // namespace

Result<Model> Model::load(const StoreView& view) {
  Model m;
  m.generation = view.generation();
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
    ModelRecord mr{r->issuer, r->subject, r->name, r->gecos, r->home, r->shell, r->uid, r->gid, r->flags,
                   {}, {}, r->created, r->last_login};
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

std::string Model::encode() const { return Encoder(*this).run(); }

}  // namespace oidc_sysauth::store
