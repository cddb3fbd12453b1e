// Reads every entry of a StoreView through every accessor and lookup. Shared by the
// reader unit test and the fuzz target: whatever the bytes, this must not crash.
#pragma once

#include <cstdint>

#include "store/store_overlay.hpp"
#include "store/store_reader.hpp"

namespace oidc_sysauth::testing {

inline std::uint64_t exercise_view(const store::StoreView& v) {
  std::uint64_t sum = 0;
  const std::uint32_t records = v.record_count() < 4096 ? v.record_count() : 4096;
  for (std::uint32_t i = 0; i < records; ++i) {
    auto r = v.record(i);
    if (!r) continue;
    sum += r->name.size() + r->gecos.size() + r->home.size() + r->shell.size() + r->issuer.size() + r->subject.size();
    for (std::uint32_t k = 0; k < r->groups_count && k < 64; ++k) {
      if (auto g = v.record_group(*r, k)) sum += g->gid;
    }
    for (std::uint32_t k = 0; k < r->idp_count && k < 64; ++k) {
      if (auto s = v.record_idp_group(*r, k)) sum += s->size();
    }
    store::RecordView out;
    sum += static_cast<std::uint64_t>(v.find_user(r->name, out));
    sum += static_cast<std::uint64_t>(v.find_uid(r->uid, out, true));
    store::GroupView gout;
    sum += static_cast<std::uint64_t>(v.find_group(r->name, gout));
    sum += v.id_taken(r->uid) ? 1 : 0;
  }
  const std::uint32_t groups = v.group_count() < 4096 ? v.group_count() : 4096;
  for (std::uint32_t i = 0; i < groups; ++i) {
    auto g = v.group(i);
    if (!g) continue;
    for (std::uint32_t k = 0; k < g->members_count && k < 64; ++k) {
      if (auto m = v.group_member(*g, k)) sum += m->name.size();
    }
    store::GroupView out;
    sum += static_cast<std::uint64_t>(v.find_group(g->name, out));
    sum += static_cast<std::uint64_t>(v.find_gid(g->gid, out));
  }
  store::RecordView r;
  sum += static_cast<std::uint64_t>(v.find_user("alice", r));
  sum += static_cast<std::uint64_t>(v.find_uid(1194533460, r));
  return sum;
}

// The same through a base + journal overlay (any bytes for either): every lookup,
// enumeration slot, group resolution and member walk.
inline std::uint64_t exercise_overlay(const store::StoreView& base, const store::StoreView& journal) {
  const store::Overlay ov(base, &journal);
  std::uint64_t sum = ov.sequence();
  auto probe_record = [&](const store::FoundRecord& f) {
    sum += f.r.name.size();
    for (std::uint32_t k = 0; k < f.r.groups_count && k < 64; ++k) {
      store::FoundGroup g;
      if (ov.record_group(f, k, g) == store::Lookup::kFound) sum += g.g.gid;
    }
    store::FoundRecord out;
    sum += static_cast<std::uint64_t>(ov.find_user(f.r.name, out));
    sum += static_cast<std::uint64_t>(ov.find_uid(f.r.uid, out, true));
    sum += static_cast<std::uint64_t>(ov.find_subject(f.r.issuer, f.r.subject, out));
    sum += ov.id_taken(f.r.uid) ? 1 : 0;
  };
  const std::uint64_t records = ov.record_slots() < 4096 ? ov.record_slots() : 4096;
  for (std::uint64_t i = 0; i < records; ++i) {
    store::FoundRecord f;
    if (ov.record_slot(i, f) == store::Lookup::kFound) probe_record(f);
  }
  for (const store::StoreView* v : {&base, &journal}) {  // hidden and tombstone entries too
    const std::uint32_t n = v->record_count() < 1024 ? v->record_count() : 1024;
    for (std::uint32_t i = 0; i < n; ++i) {
      auto r = v->record(i);
      if (r) probe_record(store::FoundRecord{*r, v});
    }
  }
  const std::uint64_t groups = ov.group_slots() < 4096 ? ov.group_slots() : 4096;
  for (std::uint64_t i = 0; i < groups; ++i) {
    store::FoundGroup g;
    if (ov.group_slot(i, g) != store::Lookup::kFound) continue;
    std::uint32_t budget = 256;
    sum += ov.for_each_member(g,
                              [&](const store::RecordView& m) {
                                if (budget > 0) {
                                  --budget;
                                  sum += m.name.size();
                                }
                              })
               ? 1
               : 0;
    store::FoundGroup out;
    sum += static_cast<std::uint64_t>(ov.find_group(g.g.name, out));
    sum += static_cast<std::uint64_t>(ov.find_gid(g.g.gid, out));
  }
  return sum;
}

}  // namespace oidc_sysauth::testing
