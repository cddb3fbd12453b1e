#include "store/nss_source.hpp"

#include <sys/stat.h>
#include <time.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

#include "config.hpp"
#include "names.hpp"
#include "store/provisional.hpp"
#include "store/store_overlay.hpp"
#include "store/store_reader.hpp"

namespace oidc_sysauth::nss {

namespace {

using store::FoundGroup;
using store::FoundRecord;
using store::GroupView;
using store::Lookup;
using store::Overlay;
using store::RecordView;
using store::StoreView;

class Guard {
 public:
  explicit Guard(pthread_mutex_t& m) noexcept : m_(m) { pthread_mutex_lock(&m_); }
  ~Guard() { pthread_mutex_unlock(&m_); }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

 private:
  pthread_mutex_t& m_;
};

// Carves strings and pointer arrays out of the caller's buffer.
class Packer {
 public:
  Packer(char* buf, std::size_t len) noexcept : p_(buf), left_(buf == nullptr ? 0 : len) {}
  char* str(std::string_view s) noexcept {
    if (s.size() >= left_) return fail();
    char* out = p_;
    if (!s.empty()) std::memcpy(out, s.data(), s.size());
    out[s.size()] = '\0';
    advance(s.size() + 1);
    return out;
  }
  char** ptrs(std::size_t n) noexcept {
    const std::size_t pad = (alignof(char*) - reinterpret_cast<std::uintptr_t>(p_) % alignof(char*)) % alignof(char*);
    if (pad > left_ || n > (left_ - pad) / sizeof(char*)) {
      fail();
      return nullptr;
    }
    advance(pad);
    auto** out = reinterpret_cast<char**>(p_);
    advance(n * sizeof(char*));
    return out;
  }
  [[nodiscard]] bool ok() const noexcept { return ok_; }

 private:
  char* fail() noexcept {
    ok_ = false;
    return nullptr;
  }
  void advance(std::size_t n) noexcept {
    p_ += n;
    left_ -= n;
  }
  char* p_;
  std::size_t left_;
  bool ok_ = true;
};

enum class Ready { kYes, kMissing, kBad };

void drop_store(SourceState& s) noexcept {
  delete s.store;
  s.store = nullptr;
  delete s.journal;
  s.journal = nullptr;
}

// How long a mapping is trusted without a stat(). Writers going through AccountStore
// mark the replaced file superseded, which is seen at once; this period only bounds
// how long a file replaced by other means (restore from backup) goes unnoticed.
constexpr std::int64_t kRecheckMs = 1000;

std::int64_t coarse_now_ms() noexcept {
  struct timespec ts {};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);  // vDSO: no system call
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

bool stale(const store::MappedStore* m) noexcept { return m != nullptr && m->view().superseded(); }

// (Re)maps the journal if it changed. kBad: unsafe or corrupt (never ignored: it may
// hide a removal).
Ready refresh_journal(SourceState& s) {
  struct stat st {};
  if (::stat(s.journal_path, &st) != 0) {
    delete s.journal;
    s.journal = nullptr;
    return errno == ENOENT ? Ready::kYes : Ready::kBad;
  }
  if (s.journal != nullptr && s.journal->is_current(st) && !stale(s.journal)) return Ready::kYes;
  delete s.journal;
  s.journal = nullptr;
  auto m = store::MappedStore::open(s.journal_path, true);
  if (!m) return m.error().code == ErrorCode::kNotFound ? Ready::kYes : Ready::kBad;
  if (!(*m)->view().is_journal()) return Ready::kBad;
  s.journal = m->release();
  return Ready::kYes;
}

Ready refresh_base(SourceState& s) {
  struct stat st {};
  if (::stat(s.store_path, &st) != 0) {
    const bool missing = errno == ENOENT;
    drop_store(s);
    return missing ? Ready::kMissing : Ready::kBad;
  }
  if (s.store != nullptr && s.store->is_current(st) && !stale(s.store)) return Ready::kYes;
  delete s.store;
  s.store = nullptr;
  auto m = store::MappedStore::open(s.store_path, true);
  if (!m) return m.error().code == ErrorCode::kNotFound ? Ready::kMissing : Ready::kBad;
  if ((*m)->view().is_journal()) return Ready::kBad;
  s.store = m->release();
  return Ready::kYes;
}

// Usually no system call at all: the mappings are current unless a writer flagged one
// superseded or kRecheckMs passed. Without a mapping (no file, corrupt file) every
// call stats, so the first store written is seen at once.
Ready refresh(SourceState& s) {
  const std::int64_t now = coarse_now_ms();
  if (s.store != nullptr && !stale(s.store) && !stale(s.journal) && now - s.checked_ms < kRecheckMs &&
      now >= s.checked_ms) {
    return Ready::kYes;
  }
  s.checked_ms = now;
  for (int attempt = 0; attempt < 3; ++attempt) {  // bounded
    const Ready b = refresh_base(s);
    if (b != Ready::kYes) return b;
    const Ready j = refresh_journal(s);
    if (j != Ready::kYes) {
      drop_store(s);
      return j;
    }
    // A journal newer than the base: a compaction renamed both between our two opens,
    // so the base we hold is already replaced. Map it again.
    if (s.journal == nullptr || s.journal->view().generation() <= s.store->view().generation() || attempt == 2) {
      return Ready::kYes;  // a journal that still does not apply is ignored by the overlay
    }
    delete s.store;
    s.store = nullptr;
  }
  return Ready::kYes;
}

const StoreView& view_of(const SourceState& s) noexcept {
  static const StoreView kEmpty;
  return s.store != nullptr ? s.store->view() : kEmpty;
}

// The base with its journal over it (a journal for another base is ignored).
Overlay overlay_of(const SourceState& s) noexcept {
  return Overlay(view_of(s), s.journal != nullptr ? &s.journal->view() : nullptr);
}

// The config, parsed only when a lookup missed (or for enumeration), cached by file
// identity, which is checked at most once per kRecheckMs.
const Config* config_of(SourceState& s) {
  const std::int64_t now = coarse_now_ms();
  if (s.config_state != 0 && now >= s.config_checked_ms && now - s.config_checked_ms < kRecheckMs) return s.config;
  s.config_checked_ms = now;
  struct stat st {};
  if (::stat(s.config_path, &st) != 0) {
    delete s.config;
    s.config = nullptr;
    s.config_state = errno == ENOENT ? 2 : 3;
    return nullptr;
  }
  const std::int64_t mtime = st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec;
  if (s.config_state != 0 && s.config_ino == st.st_ino && s.config_dev == st.st_dev && s.config_mtime_ns == mtime &&
      s.config_size == st.st_size) {
    return s.config;
  }
  delete s.config;
  s.config = nullptr;
  s.config_ino = st.st_ino;
  s.config_dev = st.st_dev;
  s.config_mtime_ns = mtime;
  s.config_size = st.st_size;
  auto c = load_config(s.config_path);
  if (!c) {
    s.config_state = 3;  // invalid: no provisional users, no enumeration (fail closed)
    return nullptr;
  }
  s.config = new Config(std::move(*c));
  s.config_state = 1;
  return s.config;
}

bool enumeration_allowed(SourceState& s) {
  const Config* c = config_of(s);
  if (c != nullptr) return c->accounts.enumerate;
  return s.config_state == 2;  // no config file: the default (on)
}

Status pack_passwd(const RecordView& r, passwd* out, char* buf, std::size_t len) {
  Packer p(buf, len);
  out->pw_name = p.str(r.name);
  out->pw_passwd = p.str("x");
  out->pw_gecos = p.str(r.gecos);
  out->pw_dir = p.str(r.home);
  out->pw_shell = p.str(r.shell);
  out->pw_uid = r.uid;
  out->pw_gid = r.gid;
  return p.ok() ? Status::kSuccess : Status::kTryAgain;
}

Status pack_shadow(const RecordView& r, spwd* out, char* buf, std::size_t len) {
  Packer p(buf, len);
  out->sp_namp = p.str(r.name);
  out->sp_pwdp = p.str("*");  // locked: no local password ever; pam_unix refuses cleanly
  out->sp_lstchg = -1;        // never 0: that would force a password change
  out->sp_min = out->sp_max = out->sp_warn = out->sp_inact = -1;
  out->sp_expire = r.disabled() ? 1 : -1;  // disabled: expired, so account checks refuse key logins
  out->sp_flag = ~0ul;
  return p.ok() ? Status::kSuccess : Status::kTryAgain;
}

// A store group with its active members, or (g == nullptr) the user private group of r.
Status pack_group(const Overlay& ov, const FoundGroup* g, const RecordView* upg, group* out, char* buf,
                  std::size_t len) {
  Packer p(buf, len);
  std::size_t n = 0;
  if (g != nullptr && !ov.for_each_member(*g, [&n](const RecordView&) { ++n; })) return Status::kUnavail;
  char** mem = p.ptrs(n + 1);
  out->gr_name = p.str(g != nullptr ? g->g.name : upg->name);
  out->gr_passwd = p.str("x");
  out->gr_gid = g != nullptr ? g->g.gid : upg->uid;
  if (!p.ok()) return Status::kTryAgain;
  std::size_t k = 0;
  if (g != nullptr && !ov.for_each_member(*g, [&](const RecordView& m) {
        if (k < n) mem[k++] = p.str(m.name);
      })) {
    return Status::kUnavail;
  }
  if (!p.ok() || k != n) return p.ok() ? Status::kUnavail : Status::kTryAgain;
  mem[n] = nullptr;
  out->gr_mem = mem;
  return Status::kSuccess;
}

Status from_lookup(Lookup l) noexcept { return l == Lookup::kCorrupt ? Status::kUnavail : Status::kNotFound; }

// A never-seen name NSS may answer for ([accounts] provisional_users): exactly the
// uid its first login will get, no supplementary groups, never a local or group name.
// The config first: on a host without provisional users (the default) every miss ends
// there, with no name validation spent on it.
Status provisional(SourceState& s, std::string_view name, passwd* out, char* buf, std::size_t len) {
  const Config* c = config_of(s);
  if (c == nullptr || c->accounts.provisional_users.empty()) return Status::kNotFound;
  if (!is_valid_posix_name(name) || !store::provisional_allowed(*c, name)) return Status::kNotFound;
  const Overlay v = overlay_of(s);
  FoundGroup g;
  if (v.find_group(name, g) != Lookup::kNotFound) return Status::kNotFound;
  auto local = read_local_accounts(s.passwd_path, s.group_path);
  if (!local || local->has_name(name)) return Status::kNotFound;
  auto uid = store::predict_new_uid(v, *local, c->accounts, name);
  if (!uid) return Status::kNotFound;
  const std::string home = expand_home(c->accounts.home, name);
  RecordView r;
  r.name = name;
  r.uid = r.gid = *uid;
  r.home = home;
  r.shell = c->accounts.shell;
  return pack_passwd(r, out, buf, len);
}

}  // namespace

void reset(SourceState& s) noexcept {
  Guard lock(s.mutex);
  drop_store(s);
  delete s.config;
  s.config = nullptr;
  s.config_state = 0;
}

Status getpwnam(SourceState& s, const char* name, passwd* out, char* buf, std::size_t len) {
  if (name == nullptr) return Status::kNotFound;
  Guard lock(s.mutex);
  Ready ready = refresh(s);
  if (ready == Ready::kBad) return Status::kUnavail;
  FoundRecord r;
  Lookup l = overlay_of(s).find_user(name, r);
  if (l == Lookup::kFound) return pack_passwd(r.r, out, buf, len);
  if (l == Lookup::kCorrupt) return Status::kUnavail;
  return provisional(s, name, out, buf, len);
}

Status getpwuid(SourceState& s, std::uint32_t uid, passwd* out, char* buf, std::size_t len) {
  Guard lock(s.mutex);
  if (refresh(s) == Ready::kBad) return Status::kUnavail;
  FoundRecord r;
  Lookup l = overlay_of(s).find_uid(uid, r);
  return l == Lookup::kFound ? pack_passwd(r.r, out, buf, len) : from_lookup(l);
}

Status getspnam(SourceState& s, const char* name, spwd* out, char* buf, std::size_t len) {
  if (name == nullptr) return Status::kNotFound;
  Guard lock(s.mutex);
  if (refresh(s) == Ready::kBad) return Status::kUnavail;
  FoundRecord r;
  Lookup l = overlay_of(s).find_user(name, r);
  return l == Lookup::kFound ? pack_shadow(r.r, out, buf, len) : from_lookup(l);
}

Status getgrnam(SourceState& s, const char* name, group* out, char* buf, std::size_t len) {
  if (name == nullptr) return Status::kNotFound;
  Guard lock(s.mutex);
  if (refresh(s) == Ready::kBad) return Status::kUnavail;
  const Overlay v = overlay_of(s);
  FoundGroup g;
  Lookup l = v.find_group(name, g);
  if (l == Lookup::kFound) return pack_group(v, &g, nullptr, out, buf, len);
  if (l == Lookup::kCorrupt) return Status::kUnavail;
  FoundRecord r;
  l = v.find_user(name, r);
  return l == Lookup::kFound ? pack_group(v, nullptr, &r.r, out, buf, len) : from_lookup(l);
}

Status getgrgid(SourceState& s, std::uint32_t gid, group* out, char* buf, std::size_t len) {
  Guard lock(s.mutex);
  if (refresh(s) == Ready::kBad) return Status::kUnavail;
  const Overlay v = overlay_of(s);
  FoundGroup g;
  Lookup l = v.find_gid(gid, g);
  if (l == Lookup::kFound) return pack_group(v, &g, nullptr, out, buf, len);
  if (l == Lookup::kCorrupt) return Status::kUnavail;
  FoundRecord r;
  l = v.find_uid(gid, r);
  return l == Lookup::kFound ? pack_group(v, nullptr, &r.r, out, buf, len) : from_lookup(l);
}

void setent(SourceState& s, Db db) noexcept {
  Guard lock(s.mutex);
  s.cursor[static_cast<std::uint32_t>(db)] = 0;
}

namespace {

// The next active record at or after the cursor (base records, then journal ones).
// kNotFound at the end.
Lookup next_record(const Overlay& v, std::uint32_t& cur, FoundRecord& r) {
  for (; cur < v.record_slots(); ++cur) {
    const Lookup l = v.record_slot(cur, r);
    if (l != Lookup::kNotFound) return l;
  }
  return Lookup::kNotFound;
}

}  // namespace

Status getpwent(SourceState& s, passwd* out, char* buf, std::size_t len) {
  Guard lock(s.mutex);
  if (refresh(s) != Ready::kYes) return Status::kNotFound;
  if (!enumeration_allowed(s)) return Status::kNotFound;
  std::uint32_t& cur = s.cursor[static_cast<std::uint32_t>(Db::kPasswd)];
  FoundRecord r;
  const Lookup l = next_record(overlay_of(s), cur, r);
  if (l != Lookup::kFound) return from_lookup(l);
  Status st = pack_passwd(r.r, out, buf, len);
  if (st == Status::kSuccess) ++cur;  // on kTryAgain the same entry is retried
  return st;
}

Status getspent(SourceState& s, spwd* out, char* buf, std::size_t len) {
  Guard lock(s.mutex);
  if (refresh(s) != Ready::kYes) return Status::kNotFound;
  if (!enumeration_allowed(s)) return Status::kNotFound;
  std::uint32_t& cur = s.cursor[static_cast<std::uint32_t>(Db::kShadow)];
  FoundRecord r;
  const Lookup l = next_record(overlay_of(s), cur, r);
  if (l != Lookup::kFound) return from_lookup(l);
  Status st = pack_shadow(r.r, out, buf, len);
  if (st == Status::kSuccess) ++cur;
  return st;
}

// Owned groups first, then user private groups. Local groups we only add members to
// are not enumerated: `files` lists them already.
Status getgrent(SourceState& s, group* out, char* buf, std::size_t len) {
  Guard lock(s.mutex);
  if (refresh(s) != Ready::kYes) return Status::kNotFound;
  if (!enumeration_allowed(s)) return Status::kNotFound;
  const Overlay v = overlay_of(s);
  std::uint32_t& cur = s.cursor[static_cast<std::uint32_t>(Db::kGroup)];
  const std::uint64_t groups = v.group_slots();
  for (; cur < groups; ++cur) {
    FoundGroup g;
    const Lookup l = v.group_slot(cur, g);
    if (l == Lookup::kCorrupt) return Status::kUnavail;
    if (l == Lookup::kNotFound || g.g.kind != store::kGroupOwned) continue;
    Status st = pack_group(v, &g, nullptr, out, buf, len);
    if (st == Status::kSuccess) ++cur;
    return st;
  }
  std::uint32_t rec = static_cast<std::uint32_t>(cur - groups);
  FoundRecord r;
  const Lookup l = next_record(v, rec, r);
  cur = static_cast<std::uint32_t>(groups + rec);
  if (l != Lookup::kFound) return from_lookup(l);
  Status st = pack_group(v, nullptr, &r.r, out, buf, len);
  if (st == Status::kSuccess) ++cur;
  return st;
}

Status initgroups(SourceState& s, const char* user, std::uint32_t skip, long* start, long* size, gid_t** groups,
                  long limit) {
  if (user == nullptr || start == nullptr || size == nullptr || groups == nullptr) return Status::kNotFound;
  Guard lock(s.mutex);
  if (refresh(s) == Ready::kBad) return Status::kUnavail;
  const Overlay v = overlay_of(s);
  FoundRecord r;
  Lookup l = v.find_user(user, r);
  if (l != Lookup::kFound) return from_lookup(l);
  for (std::uint32_t k = 0; k < r.r.groups_count; ++k) {
    FoundGroup g;
    const Lookup lg = v.record_group(r, k, g);
    if (lg == Lookup::kCorrupt) return Status::kUnavail;
    if (lg == Lookup::kNotFound || g.g.gid == skip) continue;
    bool present = false;
    for (long i = 0; i < *start && !present; ++i) present = (*groups)[i] == g.g.gid;
    if (present) continue;
    if (*start == *size) {
      if (limit > 0 && *size >= limit) break;  // caller's cap reached: what fits is the answer
      long grow = *size > 0 ? *size * 2 : 16;
      if (limit > 0 && grow > limit) grow = limit;
      auto* bigger = static_cast<gid_t*>(std::realloc(*groups, static_cast<std::size_t>(grow) * sizeof(gid_t)));
      if (bigger == nullptr) return Status::kNoMemory;
      *groups = bigger;
      *size = grow;
    }
    (*groups)[(*start)++] = g.g.gid;
  }
  return Status::kSuccess;
}

}  // namespace oidc_sysauth::nss
