// Reads every entry of a StoreView through every accessor and lookup. Shared by the
// reader unit test and the fuzz target: whatever the bytes, this must not crash.
#pragma once

#include <cstdint>

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

}  // namespace oidc_sysauth::testing
