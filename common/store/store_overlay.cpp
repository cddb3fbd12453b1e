#include "store/store_overlay.hpp"

namespace oidc_sysauth::store {

Lookup Overlay::hides_uid(std::uint32_t uid) const noexcept {
  if (journal_ == nullptr) return Lookup::kNotFound;
  RecordView r;
  return journal_->find_uid(uid, r, true);  // tombstones are "removed": found here
}

// Decodes straight into `out` (the NSS hot path): out is meaningful only on kFound.
Lookup Overlay::find_user(std::string_view name, FoundRecord& out) const noexcept {
  const std::uint64_t hash = fnv1a64(name);  // both files index names by the same hash
  base_.prefetch_name_bucket(hash);            // the base's bucket loads while the journal is asked
  if (journal_ != nullptr) {
    const Lookup l = journal_->find_user(name, hash, out.r);
    if (l == Lookup::kFound) out.from = journal_;
    if (l != Lookup::kNotFound) return l;
  }
  const Lookup l = base_.find_user(name, hash, out.r);
  if (l != Lookup::kFound) return l;
  // The base record was renamed, removed or forgotten if the journal has its uid.
  const Lookup h = hides_uid(out.r.uid);
  if (h != Lookup::kNotFound) return h == Lookup::kFound ? Lookup::kNotFound : h;
  out.from = &base_;
  return Lookup::kFound;
}

// Like find_user: decodes straight into `out`, meaningful only on kFound.
Lookup Overlay::find_uid(std::uint32_t uid, FoundRecord& out, bool include_removed) const noexcept {
  base_.prefetch_uid_bucket(uid);  // the base's bucket loads while the journal is asked
  if (journal_ != nullptr) {
    const Lookup l = journal_->find_uid(uid, out.r, true);
    if (l == Lookup::kCorrupt) return l;
    if (l == Lookup::kFound) {
      if (out.r.forgotten() || (out.r.removed() && !include_removed)) return Lookup::kNotFound;
      out.from = journal_;
      return Lookup::kFound;
    }
  }
  const Lookup l = base_.find_uid(uid, out.r, include_removed);
  if (l == Lookup::kFound) out.from = &base_;
  return l;
}

Lookup Overlay::find_subject(std::string_view issuer, std::string_view subject, FoundRecord& out) const noexcept {
  RecordView r;
  if (journal_ != nullptr) {
    const Lookup l = journal_->find_subject(issuer, subject, r);
    if (l == Lookup::kFound) out = FoundRecord{r, journal_};
    if (l != Lookup::kNotFound) return l;
  }
  const Lookup l = base_.find_subject(issuer, subject, r);
  if (l != Lookup::kFound) return l;
  const Lookup h = hides_uid(r.uid);
  if (h != Lookup::kNotFound) return h == Lookup::kFound ? Lookup::kNotFound : h;
  out = FoundRecord{r, &base_};
  return Lookup::kFound;
}

Lookup Overlay::find_group(std::string_view name, FoundGroup& out) const noexcept {
  GroupView g;
  if (journal_ != nullptr) {
    const Lookup l = journal_->find_group(name, g);
    if (l == Lookup::kCorrupt) return l;
    if (l == Lookup::kFound) {
      if (g.kind == kGroupDropped) return Lookup::kNotFound;
      out = FoundGroup{g, journal_};
      return Lookup::kFound;
    }
  }
  const Lookup l = base_.find_group(name, g);
  if (l == Lookup::kFound) out = FoundGroup{g, &base_};
  return l;
}

namespace {

// A base group is visible unless the journal redefines or drops its name.
Lookup base_group_visible(const void* journal, const GroupView& g) {
  GroupView j;
  const Lookup l = static_cast<const StoreView*>(journal)->find_group(g.name, j);
  if (l == Lookup::kCorrupt) return l;
  return l == Lookup::kFound ? Lookup::kNotFound : Lookup::kFound;
}

}  // namespace

Lookup Overlay::find_gid(std::uint32_t gid, FoundGroup& out) const noexcept {
  GroupView g;
  if (journal_ != nullptr) {
    const Lookup l = journal_->find_gid(gid, g);  // dropped groups are not in the gid index
    if (l == Lookup::kFound) out = FoundGroup{g, journal_};
    if (l != Lookup::kNotFound) return l;
  }
  const Lookup l = journal_ != nullptr ? base_.find_gid(gid, g, base_group_visible, journal_) : base_.find_gid(gid, g);
  if (l == Lookup::kFound) out = FoundGroup{g, &base_};
  return l;
}

bool Overlay::id_taken(std::uint32_t id) const noexcept {
  FoundRecord r;
  if (find_uid(id, r, true) != Lookup::kNotFound) return true;
  FoundGroup g;
  const Lookup l = find_gid(id, g);
  if (l == Lookup::kCorrupt) return true;
  return l == Lookup::kFound && g.g.kind == kGroupOwned;
}

Lookup Overlay::record_group(const FoundRecord& r, std::uint32_t k, FoundGroup& out) const noexcept {
  if (r.from == nullptr) return Lookup::kCorrupt;
  auto g = r.from->record_group(r.r, k);
  if (!g) return Lookup::kCorrupt;
  if (r.from == journal_ || journal_ == nullptr) {
    if (g->kind == kGroupDropped) return Lookup::kNotFound;
    out = FoundGroup{*g, r.from};
    return Lookup::kFound;
  }
  return find_group(g->name, out);  // a base record's group, as the journal may redefine it
}

Lookup Overlay::record_slot(std::uint64_t i, FoundRecord& out) const noexcept {
  if (i < base_.record_count()) {
    auto r = base_.record(static_cast<std::uint32_t>(i));
    if (!r) return Lookup::kCorrupt;
    if (r->removed()) return Lookup::kNotFound;
    const Lookup h = hides_uid(r->uid);
    if (h != Lookup::kNotFound) return h == Lookup::kFound ? Lookup::kNotFound : h;
    out = FoundRecord{*r, &base_};
    return Lookup::kFound;
  }
  if (journal_ == nullptr || i - base_.record_count() >= journal_->record_count()) return Lookup::kNotFound;
  auto r = journal_->record(static_cast<std::uint32_t>(i - base_.record_count()));
  if (!r) return Lookup::kCorrupt;
  if (r->removed()) return Lookup::kNotFound;
  out = FoundRecord{*r, journal_};
  return Lookup::kFound;
}

Lookup Overlay::group_slot(std::uint64_t i, FoundGroup& out) const noexcept {
  if (i < base_.group_count()) {
    auto g = base_.group(static_cast<std::uint32_t>(i));
    if (!g) return Lookup::kCorrupt;
    if (journal_ != nullptr) {
      const Lookup v = base_group_visible(journal_, *g);
      if (v != Lookup::kFound) return v;
    }
    out = FoundGroup{*g, &base_};
    return Lookup::kFound;
  }
  if (journal_ == nullptr || i - base_.group_count() >= journal_->group_count()) return Lookup::kNotFound;
  auto g = journal_->group(static_cast<std::uint32_t>(i - base_.group_count()));
  if (!g) return Lookup::kCorrupt;
  if (g->kind == kGroupDropped) return Lookup::kNotFound;
  out = FoundGroup{*g, journal_};
  return Lookup::kFound;
}

}  // namespace oidc_sysauth::store
