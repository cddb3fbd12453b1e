// Test and ops helper for the account store (the real CLI is `oidc-sysauth accounts`).
//   store_tool [--state-dir D] [--config F] [--passwd P] [--group G] [--no-nscd] COMMAND ...
//   upsert --issuer I --subject S --name N [--display D] [--group LOCAL]... [--extra G]...
//          [--idp-group G]... [--uid N]
//   list | find NAME | predict NAME | remove NAME [--forget] | disable NAME | enable NAME
//   bulk COUNT PREFIX     write COUNT synthetic accounts at once (benchmarks)
//   time-upsert ...       like upsert, prints the elapsed microseconds on stderr
//   compact               fold accounts.journal into a new accounts.db now (prints compact_us)
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

#include "clock.hpp"
#include "config.hpp"
#include "names.hpp"
#include "store/account_store.hpp"
#include "store/id_alloc.hpp"
#include "store/store_delta.hpp"
#include "store/store_file.hpp"
#include "store/store_model.hpp"

using namespace oidc_sysauth;

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: store_tool [--state-dir D] [--config F] [--passwd P] [--group G] [--no-nscd] "
               "upsert|time-upsert|list|find|predict|remove|disable|enable|bulk|compact ...\n");
  return 2;
}

int report(const Error& e) {
  std::fprintf(stderr, "error: %s: %s\n", error_code_name(e.code), e.detail.c_str());
  return e.code == ErrorCode::kUserUnknown ? 3 : e.code == ErrorCode::kNotFound ? 4 : 1;
}

void print(const AccountRecord& r) {
  std::string groups;
  for (const auto& g : r.groups) groups += (groups.empty() ? "" : ",") + g;
  for (const auto& g : r.extra_groups) groups += (groups.empty() ? "" : ",") + g;
  std::printf("%s:%u:%u:%s:%s:%s:%s|%s|%s%s%s\n", r.name.c_str(), r.uid, r.gid, r.display_name.c_str(), r.home.c_str(),
              r.shell.c_str(), groups.c_str(), r.issuer.c_str(), r.subject.c_str(), r.disabled ? "|disabled" : "",
              r.removed ? "|removed" : "");
}

int bulk(const Config& config, long count, const std::string& prefix) {
  store::Model m;
  std::unordered_set<std::uint32_t> taken;
  for (long i = 0; i < count; ++i) {
    std::string name = prefix + std::to_string(i);
    auto uid = store::allocate_id(store::IdKind::kUser, name, config.accounts.uid_min, config.accounts.uid_max,
                                  [&](std::uint32_t id) { return taken.count(id) != 0; });
    if (!uid) return report(uid.error());
    taken.insert(*uid);
    store::ModelRecord r;
    r.issuer = m.own("https://idp.test");
    r.subject = m.own("sub-" + name);
    r.name = m.own(name);
    r.gecos = m.own("Bulk User " + std::to_string(i));
    r.home = m.own(expand_home(config.accounts.home, name));
    r.shell = m.own(config.accounts.shell);
    r.uid = r.gid = *uid;
    r.created = r.last_login = 1'800'000'000;
    m.records.push_back(r);
  }
  const std::string& dir = config.accounts.state_dir;
  if (auto d = store::ensure_state_dir(dir); !d) return report(d.error());
  auto w = store::install_new_store(dir, m);  // base + empty journal, as a compaction writes them
  return w ? 0 : report(w.error());
}

// Folds the journal into a new base now (what a write past the journal bound does),
// under the writers' lock; prints the elapsed microseconds on stderr.
int compact(const Config& config) {
  const std::string& dir = config.accounts.state_dir;
  auto t0 = std::chrono::steady_clock::now();
  auto lock = store::StoreLock::acquire(dir + "/" + store::kLockFileName, 10'000);
  if (!lock) return report(lock.error());
  auto delta = store::Delta::open(dir);
  if (!delta) return report(delta.error());
  auto saved = (*delta)->save(true);
  if (!saved) return report(saved.error());
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "compact_us=%lld\n", static_cast<long long>(us));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  Config config;
  StoreOptions options;
  std::string state_dir;
  std::size_t i = 0;
  for (; i < args.size() && args[i].starts_with("--"); ++i) {
    const std::string& a = args[i];
    if (a == "--no-nscd") {
      options.invalidate_nscd = false;
      continue;
    }
    if (i + 1 >= args.size()) return usage();
    const std::string& v = args[++i];
    if (a == "--state-dir")
      state_dir = v;
    else if (a == "--passwd")
      options.passwd_path = v;
    else if (a == "--group")
      options.group_path = v;
    else if (a == "--config") {
      auto c = load_config(v, true);
      if (!c) return report(c.error());
      config = *c;
    } else
      return usage();
  }
  if (!state_dir.empty()) config.accounts.state_dir = state_dir;
  if (i >= args.size()) return usage();
  const std::string cmd = args[i++];
  if (cmd == "bulk") return i + 1 < args.size() ? bulk(config, std::stol(args[i]), args[i + 1]) : usage();
  if (cmd == "compact") return compact(config);

  SystemClock clock;
  auto store = AccountStore::open(config, clock, options);
  if (!store) return report(store.error());
  auto& s = **store;
  if (cmd == "upsert" || cmd == "time-upsert") {
    Identity id;
    for (; i + 1 < args.size(); i += 2) {
      const std::string& k = args[i];
      const std::string& v = args[i + 1];
      if (k == "--issuer")
        id.issuer = v;
      else if (k == "--subject")
        id.subject = v;
      else if (k == "--name")
        id.local_name = id.idp_username = v;
      else if (k == "--display")
        id.display_name = v;
      else if (k == "--group")
        id.local_groups.push_back(v);
      else if (k == "--extra")
        id.extra_groups.push_back(v);
      else if (k == "--idp-group")
        id.idp_groups.push_back(v);
      else if (k == "--uid")
        id.uid_hint = static_cast<std::uint32_t>(std::stoul(v));
      else
        return usage();
    }
    auto t0 = std::chrono::steady_clock::now();
    auto r = s.upsert(id);
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
    if (cmd == "time-upsert") std::fprintf(stderr, "upsert_us=%lld\n", static_cast<long long>(us));
    if (!r) return report(r.error());
    print(*r);
    return 0;
  }
  if (cmd == "list") {
    auto all = s.list();
    if (!all) return report(all.error());
    for (const auto& r : *all) print(r);
    return 0;
  }
  if (i >= args.size()) return usage();
  const std::string name = args[i++];
  if (cmd == "find") {
    auto r = s.find_by_name(name);
    if (!r) return report(r.error());
    print(*r);
    return 0;
  }
  if (cmd == "predict") {
    auto uid = s.predict_uid(name);
    if (!uid) return report(uid.error());
    std::printf("%u\n", *uid);
    return 0;
  }
  Result<Ok> r = fail(ErrorCode::kInvalidArgument, "unknown command");
  if (cmd == "remove")
    r = s.remove(name, i < args.size() && args[i] == "--forget");
  else if (cmd == "disable")
    r = s.set_disabled(name, true);
  else if (cmd == "enable")
    r = s.set_disabled(name, false);
  else
    return usage();
  return r ? 0 : report(r.error());
}
