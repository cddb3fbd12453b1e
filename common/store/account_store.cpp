#include "store/account_store.hpp"

#include <algorithm>

#include "names.hpp"
#include "store/id_alloc.hpp"
#include "store/provisional.hpp"
#include "store/store_delta.hpp"
#include "store/store_file.hpp"
#include "store/store_model.hpp"

namespace oidc_sysauth {

namespace {

using store::Model;
using store::ModelGroup;
using store::ModelRecord;

// last_login alone is worth a write at most once a day.
constexpr std::int64_t kLastLoginRefreshSeconds = 86'400;

using store::Delta;
using store::FoundGroup;
using store::FoundRecord;
using store::Lookup;
using store::Overlay;

// The fields a model record and a mapped record view carry under the same names.
template <typename Record>
AccountRecord common_fields(const Record& r) {
  AccountRecord a;
  a.issuer = r.issuer;
  a.subject = r.subject;
  a.name = r.name;
  a.display_name = r.gecos;
  a.uid = r.uid;
  a.gid = r.gid;
  a.home = r.home;
  a.shell = r.shell;
  a.created = r.created;
  a.last_login = r.last_login;
  a.removed = r.removed();
  return a;
}

AccountRecord to_account(const Model& m, const ModelRecord& r) {
  AccountRecord a = common_fields(r);
  for (std::string_view g : r.groups) {
    auto it = std::find_if(m.groups.begin(), m.groups.end(), [g](const ModelGroup& mg) { return mg.name == g; });
    if (it == m.groups.end()) continue;
    (it->kind == store::kGroupLocal ? a.groups : a.extra_groups).emplace_back(g);
  }
  for (std::string_view g : r.idp_groups) a.idp_groups.emplace_back(g);
  a.disabled = (r.flags & store::kFlagDisabled) != 0;
  return a;
}

template <typename T>
void sort_unique(std::vector<T>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

// Straight from the mappings, without decoding the whole base (PAM's account phase and
// unchanged logins must stay cheap at 100,000 accounts).
Result<AccountRecord> to_account(const Overlay& ov, const FoundRecord& f) {
  const store::RecordView& r = f.r;
  AccountRecord a = common_fields(r);
  for (std::uint32_t k = 0; k < r.groups_count; ++k) {
    FoundGroup g;
    const Lookup l = ov.record_group(f, k, g);
    if (l == Lookup::kCorrupt) return fail(ErrorCode::kCorrupt, "record '" + a.name + "' has a bad group", "bad_entry");
    if (l == Lookup::kFound) (g.g.kind == store::kGroupLocal ? a.groups : a.extra_groups).emplace_back(g.g.name);
  }
  for (std::uint32_t k = 0; k < r.idp_count; ++k) {
    auto g = f.from->record_idp_group(r, k);
    if (!g) return fail(ErrorCode::kCorrupt, "record '" + a.name + "' has a bad IdP group", "bad_entry");
    a.idp_groups.emplace_back(*g);
  }
  a.disabled = r.disabled();
  return a;
}

// A record the writer holds in its delta, group kinds looked up through the overlay.
AccountRecord to_account(const Overlay& ov, const ModelRecord& r) {
  AccountRecord a = common_fields(r);
  for (std::string_view g : r.groups) {
    FoundGroup fg;
    if (ov.find_group(g, fg) != Lookup::kFound) continue;
    (fg.g.kind == store::kGroupLocal ? a.groups : a.extra_groups).emplace_back(g);
  }
  for (std::string_view g : r.idp_groups) a.idp_groups.emplace_back(g);
  a.disabled = (r.flags & store::kFlagDisabled) != 0;
  return a;
}

// True only if an upsert of `id` would certainly change nothing. Mirrors the checks of
// the full path (groups_for): any doubt answers false and the full path runs.
bool is_unchanged(const Overlay& ov, const LocalAccounts& local, const Identity& id, std::int64_t now, FoundRecord& f) {
  if (ov.find_user(id.local_name, f) != Lookup::kFound) return false;
  const store::RecordView& r = f.r;
  if (r.issuer != id.issuer || r.subject != id.subject || now - r.last_login >= kLastLoginRefreshSeconds) return false;
  if (r.gecos != sanitize_gecos(id.display_name) || r.idp_count != id.idp_groups.size()) return false;
  for (std::uint32_t k = 0; k < r.idp_count; ++k) {
    auto g = f.from->record_idp_group(r, k);
    if (!g || *g != id.idp_groups[k]) return false;
  }
  std::vector<std::string_view> want, have;
  FoundGroup gv;
  for (const auto& g : id.local_groups) {
    std::uint32_t gid = 0;
    if (!is_valid_posix_name(g) || !local.group_gid(g, gid)) continue;
    if (ov.find_group(g, gv) != Lookup::kFound) return false;
    if (gv.g.kind != store::kGroupLocal) continue;
    if (gv.g.gid != gid) return false;
    want.push_back(g);
  }
  for (const auto& g : id.extra_groups) {
    FoundRecord other;
    if (!is_valid_posix_name(g) || is_reserved_name(g) || local.has_name(g)) continue;
    if (ov.find_user(g, other) != Lookup::kNotFound) continue;
    if (ov.find_group(g, gv) != Lookup::kFound) return false;
    if (gv.g.kind == store::kGroupOwned) want.push_back(g);
  }
  for (std::uint32_t k = 0; k < r.groups_count; ++k) {
    if (ov.record_group(f, k, gv) != Lookup::kFound) return false;
    have.push_back(gv.g.name);
  }
  sort_unique(want);
  sort_unique(have);
  return want == have;
}

Error corrupt(const std::string& path) {
  return Error{ErrorCode::kCorrupt, path + ": corrupt entry or index", "bad_entry"};
}

class FileAccountStore final : public AccountStore {
 public:
  FileAccountStore(const Config& config, const Clock& clock, StoreOptions options)
      : config_(config),
        clock_(clock),
        options_(std::move(options)),
        dir_(config.accounts.state_dir),
        path_(dir_ + "/" + store::kStoreFileName),
        lock_path_(dir_ + "/" + store::kLockFileName) {}

  Result<AccountRecord> upsert(const Identity& identity) override;
  Result<std::vector<AccountRecord>> list() override;
  Result<AccountRecord> find_by_name(const std::string& name) override;
  Result<AccountRecord> find_by_subject(const std::string& issuer, const std::string& subject) override;
  Result<Ok> set_disabled(const std::string& name, bool disabled) override;
  Result<Ok> remove(const std::string& name, bool forget) override;
  Result<std::uint32_t> predict_uid(const std::string& name) override;

 private:
  Result<Ok> commit(Delta& d, const LocalAccounts& local);
  template <typename Change>
  Result<Ok> change_named(const std::string& name, Change&& change);
  Result<Ok> check_new_name(const Overlay& ov, const LocalAccounts& local, std::string_view name) const;
  Result<std::uint32_t> uid_for_new(const Overlay& ov, const LocalAccounts& local, const Identity& id) const;
  Result<std::vector<std::string>> groups_for(Delta& d, const LocalAccounts& local, const Identity& id,
                                              bool& groups_added);
  Result<ModelRecord> record_for(Delta& d, const LocalAccounts& local, const Identity& id, std::int64_t now,
                                 bool& is_new);

  Config config_;
  const Clock& clock_;
  StoreOptions options_;
  std::string dir_, path_, lock_path_;
};

Result<Ok> FileAccountStore::commit(Delta& d, const LocalAccounts& local) {
  // Local groups we add members to carry the local gid: refresh it, and drop groups
  // that no longer exist locally (a "dropped" entry in the journal).
  struct Change {
    std::string name;  // a copy: the journal's bytes move with every edit
    std::uint32_t gid, kind;
  };
  std::vector<Change> changes;
  const Overlay ov = d.overlay();
  for (std::uint64_t i = 0; i < ov.group_slots(); ++i) {
    FoundGroup g;
    const Lookup l = ov.group_slot(i, g);
    if (l == Lookup::kCorrupt) return std::unexpected(corrupt(path_));
    if (l != Lookup::kFound || g.g.kind != store::kGroupLocal) continue;
    std::uint32_t gid = 0;
    if (!local.group_gid(g.g.name, gid)) {
      changes.push_back(Change{std::string(g.g.name), g.g.gid, store::kGroupDropped});
    } else if (gid != g.g.gid) {
      changes.push_back(Change{std::string(g.g.name), gid, store::kGroupLocal});
    }
  }
  for (const auto& c : changes) d.put_group(ModelGroup{c.name, c.gid, c.kind});
  auto saved = d.save();
  if (!saved) return std::unexpected(saved.error());
  if (options_.invalidate_nscd) store::invalidate_nscd();
  return Ok{};
}

Result<Ok> FileAccountStore::check_new_name(const Overlay& ov, const LocalAccounts& local,
                                            std::string_view name) const {
  if (!is_valid_posix_name(name))
    return fail(ErrorCode::kUserUnknown, "'" + std::string(name) + "' is not a valid account name", "invalid_name");
  if (is_reserved_name(name))
    return fail(ErrorCode::kUserUnknown, "'" + std::string(name) + "' is a reserved name", "reserved_name");
  if (local.has_name(name))
    return fail(ErrorCode::kUserUnknown, "'" + std::string(name) + "' exists in the local files", "local_name");
  FoundGroup g;
  const Lookup l = ov.find_group(name, g);
  if (l == Lookup::kCorrupt) return std::unexpected(corrupt(path_));
  if (l == Lookup::kFound)
    return fail(ErrorCode::kUserUnknown, "'" + std::string(name) + "' is a group name", "group_name");
  return Ok{};
}

Result<std::uint32_t> FileAccountStore::uid_for_new(const Overlay& ov, const LocalAccounts& local,
                                                    const Identity& id) const {
  const auto& acc = config_.accounts;
  if (!id.uid_hint) return store::predict_new_uid(ov, local, acc, id.local_name);
  const std::uint32_t uid = *id.uid_hint;
  if (uid < acc.uid_min || uid > acc.uid_max || store::is_forbidden_id(uid)) {
    return fail(ErrorCode::kUserUnknown, "uid claim " + std::to_string(uid) + " is outside uid_min..uid_max",
                "bad_uid");
  }
  // A uid from the IdP that is already in use here is refused, never shared.
  if (local.has_id(uid) || ov.id_taken(uid)) {
    return fail(ErrorCode::kUserUnknown, "uid claim " + std::to_string(uid) + " is already in use on this host",
                "uid_in_use");
  }
  return uid;
}

Result<std::vector<std::string>> FileAccountStore::groups_for(Delta& d, const LocalAccounts& local, const Identity& id,
                                                              bool& groups_added) {
  std::vector<std::string> out;
  for (const auto& g : id.local_groups) {
    std::uint32_t gid = 0;
    if (!is_valid_posix_name(g) || !local.group_gid(g, gid)) continue;
    FoundGroup fg;
    const Lookup l = d.overlay().find_group(g, fg);
    if (l == Lookup::kCorrupt) return std::unexpected(corrupt(path_));
    if (l == Lookup::kNotFound) {
      d.put_group(ModelGroup{g, gid, store::kGroupLocal});
      groups_added = true;
      out.push_back(g);
    } else if (fg.g.kind == store::kGroupLocal) {
      out.push_back(g);
    }
  }
  for (const auto& g : id.extra_groups) {
    // Local names win: an IdP group can never add its members to a local group.
    if (!is_valid_posix_name(g) || is_reserved_name(g) || local.has_name(g)) continue;
    FoundRecord user;
    const Lookup lu = d.overlay().find_user(g, user);
    if (lu == Lookup::kCorrupt) return std::unexpected(corrupt(path_));
    if (lu == Lookup::kFound) continue;
    FoundGroup fg;
    const Lookup l = d.overlay().find_group(g, fg);
    if (l == Lookup::kCorrupt) return std::unexpected(corrupt(path_));
    if (l == Lookup::kNotFound) {
      const Overlay ov = d.overlay();
      auto gid = store::allocate_id(store::IdKind::kGroup, g, config_.accounts.uid_min, config_.accounts.uid_max,
                                    [&](std::uint32_t x) { return local.has_id(x) || ov.id_taken(x); });
      if (!gid) continue;
      d.put_group(ModelGroup{g, *gid, store::kGroupOwned});
      groups_added = true;
      out.push_back(g);
    } else if (fg.g.kind == store::kGroupOwned) {
      out.push_back(g);
    }
  }
  sort_unique(out);
  return out;
}

// The record of id.(issuer, subject) as it stands, or a new one (uid allocated and put
// into the journal at once, so that group gids allocated next avoid it).
Result<ModelRecord> FileAccountStore::record_for(Delta& d, const LocalAccounts& local, const Identity& id,
                                                 std::int64_t now, bool& is_new) {
  const Overlay ov = d.overlay();
  FoundRecord existing, holder;
  const Lookup le = ov.find_subject(id.issuer, id.subject, existing);
  const Lookup lh = ov.find_user(id.local_name, holder);
  if (le == Lookup::kCorrupt || lh == Lookup::kCorrupt) return std::unexpected(corrupt(path_));
  if (lh == Lookup::kFound && (le != Lookup::kFound || holder.r.uid != existing.r.uid)) {
    return fail(ErrorCode::kUserUnknown, "'" + id.local_name + "' belongs to another identity", "name_taken");
  }
  if (lh == Lookup::kNotFound) {  // a new name (first login or rename): the full check
    if (auto c = check_new_name(ov, local, id.local_name); !c) return std::unexpected(c.error());
  }
  if (le == Lookup::kFound) {
    is_new = false;
    return d.to_model(existing);
  }
  auto uid = uid_for_new(ov, local, id);
  if (!uid) return std::unexpected(uid.error());
  const std::string home = expand_home(config_.accounts.home, id.local_name);
  ModelRecord r;
  r.issuer = id.issuer;
  r.subject = id.subject;
  r.name = id.local_name;
  r.uid = r.gid = *uid;  // user private group
  r.home = home;
  r.shell = config_.accounts.shell;
  r.created = now;
  d.put_record(r);
  is_new = true;
  FoundRecord added;
  if (d.overlay().find_uid(*uid, added, true) != Lookup::kFound) return fail(ErrorCode::kInternal, "new record lost");
  return d.to_model(added);
}

Result<AccountRecord> FileAccountStore::upsert(const Identity& id) {
  if (id.issuer.empty() || id.subject.empty())
    return fail(ErrorCode::kInvalidArgument, "identity without issuer or subject");
  auto lock = store::StoreLock::acquire(lock_path_, options_.lock_timeout_ms);
  if (!lock) return std::unexpected(lock.error());
  auto local = read_local_accounts(options_.passwd_path, options_.group_path);
  if (!local) return std::unexpected(local.error());
  auto delta = Delta::open(dir_);
  if (!delta) return std::unexpected(delta.error());
  Delta& d = **delta;
  const std::int64_t now = clock_.now_unix();
  FoundRecord current;
  if (is_unchanged(d.overlay(), *local, id, now, current)) {
    return to_account(d.overlay(), current);  // the common login: nothing to write
  }
  bool is_new = false;
  auto original = record_for(d, *local, id, now, is_new);
  if (!original) return std::unexpected(original.error());
  bool groups_added = false;
  auto groups = groups_for(d, *local, id, groups_added);
  if (!groups) return std::unexpected(groups.error());
  ModelRecord updated = *original;
  const std::string gecos = sanitize_gecos(id.display_name);
  updated.name = id.local_name;  // rename keeps uid and home
  updated.gecos = gecos;
  updated.groups.assign(groups->begin(), groups->end());
  updated.idp_groups.assign(id.idp_groups.begin(), id.idp_groups.end());
  updated.flags &= ~store::kFlagRemoved;  // a removed account that logs in again gets its uid back
  const bool changed = is_new || groups_added || !(updated == *original);
  if (!changed && now - updated.last_login < kLastLoginRefreshSeconds) return to_account(d.overlay(), *original);
  updated.last_login = now;
  d.put_record(updated);
  if (auto c = commit(d, *local); !c) return std::unexpected(c.error());
  return to_account(d.overlay(), updated);
}

Result<std::vector<AccountRecord>> FileAccountStore::list() {
  auto delta = Delta::open(dir_, true);
  if (!delta) return std::unexpected(delta.error());
  auto m = (*delta)->merged();
  if (!m) return std::unexpected(m.error());
  std::vector<AccountRecord> out;
  out.reserve(m->records.size());
  for (const auto& r : m->records) out.push_back(to_account(*m, r));
  return out;
}

Result<AccountRecord> FileAccountStore::find_by_name(const std::string& name) {
  auto delta = Delta::open(dir_);
  if (!delta) return std::unexpected(delta.error());
  const Overlay ov = (*delta)->overlay();
  FoundRecord r;
  const Lookup l = ov.find_user(name, r);
  if (l == Lookup::kFound) return to_account(ov, r);
  if (l == Lookup::kCorrupt) return fail(ErrorCode::kCorrupt, path_ + ": corrupt name index", "bad_index");
  return fail(ErrorCode::kNotFound, "no account named '" + name + "'");
}

Result<AccountRecord> FileAccountStore::find_by_subject(const std::string& issuer, const std::string& subject) {
  auto delta = Delta::open(dir_);
  if (!delta) return std::unexpected(delta.error());
  const Overlay ov = (*delta)->overlay();
  FoundRecord r;
  const Lookup l = ov.find_subject(issuer, subject, r);
  if (l == Lookup::kFound) return to_account(ov, r);
  if (l == Lookup::kCorrupt) return fail(ErrorCode::kCorrupt, path_ + ": corrupt subject index", "bad_index");
  return fail(ErrorCode::kNotFound, "no account for this subject");
}

// Lock, load, find the active record named `name`, let `change` edit the delta, commit.
// `change` returns false when nothing changed (then nothing is written).
template <typename Change>
Result<Ok> FileAccountStore::change_named(const std::string& name, Change&& change) {
  auto lock = store::StoreLock::acquire(lock_path_, options_.lock_timeout_ms);
  if (!lock) return std::unexpected(lock.error());
  auto local = read_local_accounts(options_.passwd_path, options_.group_path);
  if (!local) return std::unexpected(local.error());
  auto delta = Delta::open(dir_);
  if (!delta) return std::unexpected(delta.error());
  Delta& d = **delta;
  FoundRecord f;
  const Lookup l = d.overlay().find_user(name, f);
  if (l == Lookup::kCorrupt) return std::unexpected(corrupt(path_));
  if (l == Lookup::kNotFound) return fail(ErrorCode::kNotFound, "no account named '" + name + "'");
  if (!change(d, f)) return Ok{};
  return commit(d, *local);
}

Result<Ok> FileAccountStore::set_disabled(const std::string& name, bool disabled) {
  return change_named(name, [disabled](Delta& d, const FoundRecord& f) {
    ModelRecord r = d.to_model(f);
    const std::uint32_t flags = disabled ? (r.flags | store::kFlagDisabled) : (r.flags & ~store::kFlagDisabled);
    if (flags == r.flags) return false;
    r.flags = flags;
    d.put_record(r);
    return true;
  });
}

Result<Ok> FileAccountStore::remove(const std::string& name, bool forget) {
  return change_named(name, [forget](Delta& d, const FoundRecord& f) {
    if (forget) {
      d.forget(f.r.uid);  // a tombstone: the uid is free again
    } else {
      ModelRecord r = d.to_model(f);
      r.flags |= store::kFlagRemoved;  // name free, uid reserved for this (issuer, subject)
      d.put_record(r);
    }
    return true;
  });
}

Result<std::uint32_t> FileAccountStore::predict_uid(const std::string& name) {
  auto local = read_local_accounts(options_.passwd_path, options_.group_path);
  if (!local) return std::unexpected(local.error());
  auto delta = Delta::open(dir_);
  if (!delta) return std::unexpected(delta.error());
  const Overlay ov = (*delta)->overlay();
  FoundRecord f;
  const Lookup l = ov.find_user(name, f);
  if (l == Lookup::kCorrupt) return std::unexpected(corrupt(path_));
  if (l == Lookup::kFound) return f.r.uid;
  if (auto c = check_new_name(ov, *local, name); !c) return std::unexpected(c.error());
  return store::predict_new_uid(ov, *local, config_.accounts, name);
}

}  // namespace

Result<std::unique_ptr<AccountStore>> AccountStore::open(const Config& config, const Clock& clock) {
  return open(config, clock, StoreOptions{});
}

Result<std::unique_ptr<AccountStore>> AccountStore::open(const Config& config, const Clock& clock,
                                                         const StoreOptions& options) {
  if (auto d = store::ensure_state_dir(config.accounts.state_dir); !d) return std::unexpected(d.error());
  return std::unique_ptr<AccountStore>(new FileAccountStore(config, clock, options));
}

}  // namespace oidc_sysauth
