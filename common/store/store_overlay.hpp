// The effective store: a base file (accounts.db) with its journal (accounts.journal)
// laid over it (FORMAT.md, "Journal"). Both NSS and the writer answer every question
// through this one class, so the uid a provisional lookup predicts is the uid the
// writer allocates. No allocation, no system call: lookups stay O(1).
//
// Rules: a journal entry for uid U (record or tombstone) hides the base record of uid
// U; a journal group of name N (or a "dropped" tombstone) hides the base group N.
#pragma once

#include <cstdint>
#include <string_view>

#include "store/store_reader.hpp"

namespace oidc_sysauth::store {

// A record (or group) and the file it lives in (its refs resolve in that file).
struct FoundRecord {
  RecordView r;
  const StoreView* from = nullptr;
  [[nodiscard]] bool in_journal() const noexcept { return from != nullptr && from->is_journal(); }
};
struct FoundGroup {
  GroupView g;
  const StoreView* from = nullptr;
};

class Overlay {
 public:
  // `journal` may be null; one that does not apply to `base` is ignored.
  Overlay(const StoreView& base, const StoreView* journal) noexcept
      : base_(base), journal_(journal != nullptr && journal->applies_to(base) ? journal : nullptr) {}

  [[nodiscard]] const StoreView& base() const noexcept { return base_; }
  [[nodiscard]] const StoreView* journal() const noexcept { return journal_; }
  // Writes so far: the journal's count when it applies, else the base's.
  [[nodiscard]] std::uint64_t sequence() const noexcept {
    return journal_ != nullptr ? journal_->sequence() : base_.sequence();
  }

  // Active records. `out` is meaningful only when the answer is kFound.
  Lookup find_user(std::string_view name, FoundRecord& out) const noexcept;
  // `out` is meaningful only when the answer is kFound.
  Lookup find_uid(std::uint32_t uid, FoundRecord& out, bool include_removed = false) const noexcept;
  Lookup find_subject(std::string_view issuer, std::string_view subject, FoundRecord& out) const noexcept;
  Lookup find_group(std::string_view name, FoundGroup& out) const noexcept;
  Lookup find_gid(std::uint32_t gid, FoundGroup& out) const noexcept;
  // A uid of any record (removed included) or the gid of an owned group; corrupt = taken.
  [[nodiscard]] bool id_taken(std::uint32_t id) const noexcept;

  // Does the journal hold an entry (record or tombstone) for `uid`? kFound = the base
  // record of that uid is hidden.
  [[nodiscard]] Lookup hides_uid(std::uint32_t uid) const noexcept;

  // The k-th supplementary group of a record, resolved through the overlay.
  // kNotFound: the group was dropped (skip it); kCorrupt: bad refs.
  Lookup record_group(const FoundRecord& r, std::uint32_t k, FoundGroup& out) const noexcept;

  // Calls visit(const RecordView&) for every active member of `g` (base members not
  // hidden by the journal, then journal members). false if an entry is corrupt.
  template <typename Visit>
  bool for_each_member(const FoundGroup& g, Visit&& visit) const noexcept;

  // Enumeration slots: base records then journal records. kNotFound = skip this slot
  // (hidden, removed or tombstone).
  [[nodiscard]] std::uint64_t record_slots() const noexcept {
    return std::uint64_t{base_.record_count()} + (journal_ != nullptr ? journal_->record_count() : 0);
  }
  Lookup record_slot(std::uint64_t i, FoundRecord& out) const noexcept;
  // Base groups then journal groups; kNotFound = hidden or dropped.
  [[nodiscard]] std::uint64_t group_slots() const noexcept {
    return std::uint64_t{base_.group_count()} + (journal_ != nullptr ? journal_->group_count() : 0);
  }
  Lookup group_slot(std::uint64_t i, FoundGroup& out) const noexcept;

 private:
  const StoreView& base_;
  const StoreView* journal_;
};

template <typename Visit>
bool Overlay::for_each_member(const FoundGroup& g, Visit&& visit) const noexcept {
  GroupView bg;
  const Lookup lb = g.from == &base_ ? (bg = g.g, Lookup::kFound) : base_.find_group(g.g.name, bg);
  if (lb == Lookup::kCorrupt) return false;
  if (lb == Lookup::kFound) {
    for (std::uint32_t k = 0; k < bg.members_count; ++k) {
      auto m = base_.group_member(bg, k);
      if (!m) return false;
      const Lookup h = hides_uid(m->uid);
      if (h == Lookup::kCorrupt) return false;
      if (h == Lookup::kNotFound) visit(*m);
    }
  }
  if (journal_ == nullptr) return true;
  GroupView jg;
  const Lookup lj = g.from == journal_ ? (jg = g.g, Lookup::kFound) : journal_->find_group(g.g.name, jg);
  if (lj == Lookup::kCorrupt) return false;
  if (lj == Lookup::kFound && jg.kind != kGroupDropped) {
    for (std::uint32_t k = 0; k < jg.members_count; ++k) {
      auto m = journal_->group_member(jg, k);
      if (!m) return false;
      if (!m->removed()) visit(*m);
    }
  }
  return true;
}

}  // namespace oidc_sysauth::store
