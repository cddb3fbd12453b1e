#include "store/account_store.hpp"

#include <algorithm>

#include "names.hpp"
#include "store/id_alloc.hpp"
#include "store/provisional.hpp"
#include "store/store_file.hpp"
#include "store/store_model.hpp"

namespace oidc_sysauth {

namespace {

using store::Model;
using store::ModelGroup;
using store::ModelRecord;

// last_login alone is worth a write at most once a day.
constexpr std::int64_t kLastLoginRefreshSeconds = 86'400;

// A consistent picture of the store: the mapping (may be null: no file yet) and
// the model whose string_views point into it.
struct Snapshot {
  std::unique_ptr<store::MappedStore> mapped;
  Model model;
  [[nodiscard]] const store::StoreView& view() const {
    static const store::StoreView kEmpty;  // trivially destructible
    return mapped ? mapped->view() : kEmpty;
  }
};

AccountRecord to_account(const Model& m, const ModelRecord& r) {
  AccountRecord a;
  a.issuer = r.issuer;
  a.subject = r.subject;
  a.name = r.name;
  a.display_name = r.gecos;
  a.uid = r.uid;
  a.gid = r.gid;
  a.home = r.home;
  a.shell = r.shell;
  for (std::string_view g : r.groups) {
    auto it = std::find_if(m.groups.begin(), m.groups.end(), [g](const ModelGroup& mg) { return mg.name == g; });
    if (it == m.groups.end()) continue;
    (it->kind == store::kGroupLocal ? a.groups : a.extra_groups).emplace_back(g);
  }
  for (std::string_view g : r.idp_groups) a.idp_groups.emplace_back(g);
  a.created = r.created;
  a.last_login = r.last_login;
  a.disabled = (r.flags & store::kFlagDisabled) != 0;
  a.removed = r.removed();
  return a;
}

template <typename T>
void sort_unique(std::vector<T>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

// Straight from the mapping, without decoding the whole file (PAM's account phase
// and unchanged logins must stay cheap at 100,000 accounts).
Result<AccountRecord> to_account(const store::StoreView& v, const store::RecordView& r) {
  AccountRecord a;
  a.issuer = r.issuer;
  a.subject = r.subject;
  a.name = r.name;
  a.display_name = r.gecos;
  a.uid = r.uid;
  a.gid = r.gid;
  a.home = r.home;
  a.shell = r.shell;
  for (std::uint32_t k = 0; k < r.groups_count; ++k) {
    auto g = v.record_group(r, k);
    if (!g) return fail(ErrorCode::kCorrupt, "record '" + a.name + "' has a bad group", "bad_entry");
    (g->kind == store::kGroupLocal ? a.groups : a.extra_groups).emplace_back(g->name);
  }
  for (std::uint32_t k = 0; k < r.idp_count; ++k) {
    auto g = v.record_idp_group(r, k);
    if (!g) return fail(ErrorCode::kCorrupt, "record '" + a.name + "' has a bad IdP group", "bad_entry");
    a.idp_groups.emplace_back(*g);
  }
  a.created = r.created;
  a.last_login = r.last_login;
  a.disabled = r.disabled();
  a.removed = r.removed();
  return a;
}

// True only if an upsert of `id` would certainly change nothing. Mirrors the checks of
// the full path (groups_for): any doubt answers false and the full path runs.
bool is_unchanged(const store::StoreView& v, const LocalAccounts& local, const Identity& id, std::int64_t now,
                  store::RecordView& r) {
  if (v.find_user(id.local_name, r) != store::Lookup::kFound) return false;
  if (r.issuer != id.issuer || r.subject != id.subject || now - r.last_login >= kLastLoginRefreshSeconds) return false;
  if (r.gecos != sanitize_gecos(id.display_name) || r.idp_count != id.idp_groups.size()) return false;
  for (std::uint32_t k = 0; k < r.idp_count; ++k) {
    auto g = v.record_idp_group(r, k);
    if (!g || *g != id.idp_groups[k]) return false;
  }
  std::vector<std::string_view> want, have;
  store::GroupView gv;
  for (const auto& g : id.local_groups) {
    std::uint32_t gid = 0;
    if (!is_valid_posix_name(g) || !local.group_gid(g, gid)) continue;
    if (v.find_group(g, gv) != store::Lookup::kFound) return false;
    if (gv.kind != store::kGroupLocal) continue;
    if (gv.gid != gid) return false;
    want.push_back(g);
  }
  for (const auto& g : id.extra_groups) {
    store::RecordView other;
    if (!is_valid_posix_name(g) || is_reserved_name(g) || local.has_name(g)) continue;
    if (v.find_user(g, other) != store::Lookup::kNotFound) continue;
    if (v.find_group(g, gv) != store::Lookup::kFound) return false;
    if (gv.kind == store::kGroupOwned) want.push_back(g);
  }
  for (std::uint32_t k = 0; k < r.groups_count; ++k) {
    auto g = v.record_group(r, k);
    if (!g) return false;
    have.push_back(g->name);
  }
  sort_unique(want);
  sort_unique(have);
  return want == have;
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
  // nullptr: no file yet. `populate` when the whole file will be decoded.
  Result<std::unique_ptr<store::MappedStore>> map_current(bool populate = false) const;
  Result<Snapshot> load() const;
  Result<Snapshot> load(std::unique_ptr<store::MappedStore> mapped) const;
  Result<Ok> commit(Model& model, const LocalAccounts& local);
  Result<Ok> check_new_name(const Model& m, const LocalAccounts& local, std::string_view name) const;
  Result<std::uint32_t> uid_for_new(const Snapshot& s, const LocalAccounts& local, const Identity& id) const;
  std::vector<std::string_view> groups_for(Model& m, const LocalAccounts& local, const Identity& id,
                                           bool& groups_added);

  Config config_;
  const Clock& clock_;
  StoreOptions options_;
  std::string dir_, path_, lock_path_;
};

Result<std::unique_ptr<store::MappedStore>> FileAccountStore::map_current(bool populate) const {
  auto mapped = store::MappedStore::open(path_, false, populate);
  if (!mapped) {
    if (mapped.error().code == ErrorCode::kNotFound) return nullptr;  // empty store
    return std::unexpected(mapped.error());
  }
  return std::move(*mapped);
}

Result<Snapshot> FileAccountStore::load() const {
  auto mapped = map_current(true);
  if (!mapped) return std::unexpected(mapped.error());
  return load(std::move(*mapped));
}

Result<Snapshot> FileAccountStore::load(std::unique_ptr<store::MappedStore> mapped) const {
  Snapshot s;
  if (!mapped) return s;
  s.mapped = std::move(mapped);
  auto model = Model::load(s.mapped->view());
  if (!model) return std::unexpected(model.error());
  s.model = std::move(*model);
  return s;
}

Result<Ok> FileAccountStore::commit(Model& model, const LocalAccounts& local) {
  // Local groups we add members to carry the local gid: refresh it, and drop groups
  // that no longer exist locally.
  std::erase_if(model.groups, [&](ModelGroup& g) {
    if (g.kind != store::kGroupLocal) return false;
    std::uint32_t gid = 0;
    if (!local.group_gid(g.name, gid)) return true;
    g.gid = gid;
    return false;
  });
  auto w = store::replace_file_atomically(dir_, path_, [&model](int fd) {
    store::FdSink sink(fd);
    model.write(sink);
    return sink.finish();
  });
  if (!w) return w;
  if (options_.invalidate_nscd) store::invalidate_nscd();
  return Ok{};
}

Result<Ok> FileAccountStore::check_new_name(const Model& m, const LocalAccounts& local, std::string_view name) const {
  if (!is_valid_posix_name(name))
    return fail(ErrorCode::kUserUnknown, "'" + std::string(name) + "' is not a valid account name", "invalid_name");
  if (is_reserved_name(name))
    return fail(ErrorCode::kUserUnknown, "'" + std::string(name) + "' is a reserved name", "reserved_name");
  if (local.has_name(name))
    return fail(ErrorCode::kUserUnknown, "'" + std::string(name) + "' exists in the local files", "local_name");
  for (const auto& g : m.groups) {
    if (g.name == name)
      return fail(ErrorCode::kUserUnknown, "'" + std::string(name) + "' is a group name", "group_name");
  }
  return Ok{};
}

Result<std::uint32_t> FileAccountStore::uid_for_new(const Snapshot& s, const LocalAccounts& local,
                                                    const Identity& id) const {
  const auto& acc = config_.accounts;
  if (!id.uid_hint) return store::predict_new_uid(s.view(), local, acc, id.local_name);
  const std::uint32_t uid = *id.uid_hint;
  if (uid < acc.uid_min || uid > acc.uid_max || store::is_forbidden_id(uid)) {
    return fail(ErrorCode::kUserUnknown, "uid claim " + std::to_string(uid) + " is outside uid_min..uid_max",
                "bad_uid");
  }
  // A uid from the IdP that is already in use here is refused, never shared.
  if (local.has_id(uid) || s.view().id_taken(uid)) {
    return fail(ErrorCode::kUserUnknown, "uid claim " + std::to_string(uid) + " is already in use on this host",
                "uid_in_use");
  }
  return uid;
}

std::vector<std::string_view> FileAccountStore::groups_for(Model& m, const LocalAccounts& local, const Identity& id,
                                                           bool& groups_added) {
  std::vector<std::string_view> out;
  for (const auto& g : id.local_groups) {
    std::uint32_t gid = 0;
    if (!is_valid_posix_name(g) || !local.group_gid(g, gid)) continue;
    ModelGroup* mg = m.find_group(g);
    if (mg == nullptr) {
      m.groups.push_back(ModelGroup{m.own(g), gid, store::kGroupLocal});
      groups_added = true;
      mg = &m.groups.back();
    }
    if (mg->kind == store::kGroupLocal) out.push_back(mg->name);
  }
  for (const auto& g : id.extra_groups) {
    // Local names win: an IdP group can never add its members to a local group.
    if (!is_valid_posix_name(g) || is_reserved_name(g) || local.has_name(g) || m.find_active_name(g)) continue;
    ModelGroup* mg = m.find_group(g);
    if (mg == nullptr) {
      auto gid = store::allocate_id(store::IdKind::kGroup, g, config_.accounts.uid_min, config_.accounts.uid_max,
                                    [&](std::uint32_t x) { return local.has_id(x) || m.id_taken(x); });
      if (!gid) continue;
      m.groups.push_back(ModelGroup{m.own(g), *gid, store::kGroupOwned});
      groups_added = true;
      mg = &m.groups.back();
    }
    if (mg->kind == store::kGroupOwned) out.push_back(mg->name);
  }
  sort_unique(out);
  return out;
}

Result<AccountRecord> FileAccountStore::upsert(const Identity& id) {
  if (id.issuer.empty() || id.subject.empty())
    return fail(ErrorCode::kInvalidArgument, "identity without issuer or subject");
  auto lock = store::StoreLock::acquire(lock_path_, options_.lock_timeout_ms);
  if (!lock) return std::unexpected(lock.error());
  auto local = read_local_accounts(options_.passwd_path, options_.group_path);
  if (!local) return std::unexpected(local.error());
  auto mapped = map_current();
  if (!mapped) return std::unexpected(mapped.error());
  const std::int64_t now = clock_.now_unix();
  store::RecordView current;
  if (*mapped && is_unchanged((*mapped)->view(), *local, id, now, current)) {
    return to_account((*mapped)->view(), current);  // the common login: nothing to write
  }
  auto snap = load(std::move(*mapped));
  if (!snap) return std::unexpected(snap.error());
  Model& m = snap->model;

  ModelRecord* existing = m.find_subject(id.issuer, id.subject);
  ModelRecord* holder = m.find_active_name(id.local_name);
  if (holder != nullptr && holder != existing) {
    return fail(ErrorCode::kUserUnknown, "'" + id.local_name + "' belongs to another identity", "name_taken");
  }
  if (holder == nullptr) {  // a new name (first login or rename): the full check
    if (auto c = check_new_name(m, *local, id.local_name); !c) return std::unexpected(c.error());
  }
  std::size_t index = 0;
  bool changed = false;
  if (existing == nullptr) {
    auto uid = uid_for_new(*snap, *local, id);
    if (!uid) return std::unexpected(uid.error());
    ModelRecord r;
    r.issuer = m.own(id.issuer);
    r.subject = m.own(id.subject);
    r.name = m.own(id.local_name);
    r.uid = r.gid = *uid;  // user private group
    r.home = m.own(expand_home(config_.accounts.home, id.local_name));
    r.shell = m.own(config_.accounts.shell);
    r.created = now;
    m.records.push_back(r);
    index = m.records.size() - 1;
    changed = true;
  } else {
    index = static_cast<std::size_t>(existing - m.records.data());
  }
  // Group allocation may grow m.groups but never m.records: `index` stays valid.
  bool groups_added = false;
  auto groups = groups_for(m, *local, id, groups_added);
  ModelRecord updated = m.records[index];
  const std::string gecos = sanitize_gecos(id.display_name);
  if (updated.name != id.local_name) updated.name = m.own(id.local_name);  // rename keeps uid and home
  if (updated.gecos != gecos) updated.gecos = m.own(gecos);
  updated.groups = groups;
  updated.idp_groups.clear();
  for (const auto& g : id.idp_groups) updated.idp_groups.push_back(m.own(g));
  updated.flags &= ~store::kFlagRemoved;  // a removed account that logs in again gets its uid back
  updated.last_login = m.records[index].last_login;
  changed = changed || groups_added || !(updated == m.records[index]);
  if (!changed && now - updated.last_login < kLastLoginRefreshSeconds) return to_account(m, m.records[index]);
  updated.last_login = now;
  m.records[index] = updated;
  if (auto c = commit(m, *local); !c) return std::unexpected(c.error());
  return to_account(m, m.records[index]);
}

Result<std::vector<AccountRecord>> FileAccountStore::list() {
  auto snap = load();
  if (!snap) return std::unexpected(snap.error());
  std::vector<AccountRecord> out;
  out.reserve(snap->model.records.size());
  for (const auto& r : snap->model.records) out.push_back(to_account(snap->model, r));
  return out;
}

Result<AccountRecord> FileAccountStore::find_by_name(const std::string& name) {
  auto mapped = map_current();
  if (!mapped) return std::unexpected(mapped.error());
  store::RecordView r;
  if (*mapped) {
    const store::Lookup l = (*mapped)->view().find_user(name, r);
    if (l == store::Lookup::kFound) return to_account((*mapped)->view(), r);
    if (l == store::Lookup::kCorrupt) return fail(ErrorCode::kCorrupt, path_ + ": corrupt name index", "bad_index");
  }
  return fail(ErrorCode::kNotFound, "no account named '" + name + "'");
}

Result<AccountRecord> FileAccountStore::find_by_subject(const std::string& issuer, const std::string& subject) {
  auto mapped = map_current();
  if (!mapped) return std::unexpected(mapped.error());
  if (*mapped) {
    const store::StoreView& v = (*mapped)->view();
    for (std::uint32_t i = 0; i < v.record_count(); ++i) {
      auto r = v.record(i);
      if (!r) return fail(ErrorCode::kCorrupt, path_ + ": record " + std::to_string(i) + " is corrupt", "bad_entry");
      if (r->subject == subject && r->issuer == issuer) return to_account(v, *r);
    }
  }
  return fail(ErrorCode::kNotFound, "no account for this subject");
}

Result<Ok> FileAccountStore::set_disabled(const std::string& name, bool disabled) {
  auto lock = store::StoreLock::acquire(lock_path_, options_.lock_timeout_ms);
  if (!lock) return std::unexpected(lock.error());
  auto local = read_local_accounts(options_.passwd_path, options_.group_path);
  if (!local) return std::unexpected(local.error());
  auto snap = load();
  if (!snap) return std::unexpected(snap.error());
  ModelRecord* r = snap->model.find_active_name(name);
  if (r == nullptr) return fail(ErrorCode::kNotFound, "no account named '" + name + "'");
  const std::uint32_t flags = disabled ? (r->flags | store::kFlagDisabled) : (r->flags & ~store::kFlagDisabled);
  if (flags == r->flags) return Ok{};
  r->flags = flags;
  return commit(snap->model, *local);
}

Result<Ok> FileAccountStore::remove(const std::string& name, bool forget) {
  auto lock = store::StoreLock::acquire(lock_path_, options_.lock_timeout_ms);
  if (!lock) return std::unexpected(lock.error());
  auto local = read_local_accounts(options_.passwd_path, options_.group_path);
  if (!local) return std::unexpected(local.error());
  auto snap = load();
  if (!snap) return std::unexpected(snap.error());
  Model& m = snap->model;
  ModelRecord* r = m.find_active_name(name);
  if (r == nullptr) return fail(ErrorCode::kNotFound, "no account named '" + name + "'");
  if (forget) {
    m.records.erase(m.records.begin() + (r - m.records.data()));
  } else {
    r->flags |= store::kFlagRemoved;  // name free, uid reserved for this (issuer, subject)
  }
  return commit(m, *local);
}

Result<std::uint32_t> FileAccountStore::predict_uid(const std::string& name) {
  auto local = read_local_accounts(options_.passwd_path, options_.group_path);
  if (!local) return std::unexpected(local.error());
  auto snap = load();
  if (!snap) return std::unexpected(snap.error());
  if (auto* r = snap->model.find_active_name(name)) return r->uid;
  if (auto c = check_new_name(snap->model, *local, name); !c) return std::unexpected(c.error());
  return store::predict_new_uid(snap->view(), *local, config_.accounts, name);
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
