// NSS lookups through glibc (getpwnam_r / getpwuid_r), hit and miss, for whatever
// /etc/nsswitch.conf names. bench/nss_run.sh runs it inside a private mount namespace
// with one source at a time ("passwd: oidc", "passwd: files", ...) and the same accounts.
//
//   nss_bench --source=oidc --size=10000 --accounts=FILE [--budget=0.25] [--calls=K]
//   nss_bench --source=oidc --rss --module=libnss_oidc.so.2 --accounts=FILE
//   nss_bench --source=null --size=N --accounts=FILE [--touch=STOREFILE]
//
// FILE has one "name uid" line per account that the source holds. Prints
// "nss.<source>.<size>.<pwnam|pwuid>_<hit|miss> <ns> ns" lines. --source=null is the
// floor: nsswitch.conf names bench/nss_null.c's module, which answers NOTFOUND at once,
// so only the misses are timed ("nss.null.<size>.pwnam_miss" / "pwuid_miss": glibc's own
// cost per lookup, under any source). --touch=FILE adds "nss.<source>.<size>.touch_line":
// one dependent read of a random cache line of FILE mapped read-only (what one cold
// access into a mapping of that size costs here: cache + TLB miss). --rss prints
// "rss.<source>.<load|lookups|anon> <KiB> KiB"; --calls=K [--op=pwnam_hit|pwnam_miss|pwuid_hit|
// pwuid_miss] does K such lookups untimed inside `measured_lookups` (for callgrind; the null
// source: misses only).
#include <dlfcn.h>
#include <pwd.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <valgrind/callgrind.h>

#include "bench_util.hpp"

namespace oidc_sysauth::bench {
namespace {

struct Account {
  std::string name;
  uid_t uid = 0;
};

std::vector<Account> read_accounts(const std::string& path) {
  std::ifstream in(path);
  if (!in) die("cannot read " + path);
  std::vector<Account> out;
  std::string name;
  unsigned long uid = 0;
  while (in >> name >> uid) out.push_back({name, static_cast<uid_t>(uid)});
  if (out.empty()) die("no accounts in " + path);
  return out;
}

// A deterministic spread over the accounts (no cache-friendly sequential order).
std::size_t pick(std::uint64_t i, std::size_t n) {
  std::uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ULL;
  x ^= x >> 29;
  return static_cast<std::size_t>(x % n);
}

char g_buf[16384];

bool pwnam(const char* name, bool expect_found) {
  passwd pw{};
  passwd* res = nullptr;
  const int rc = getpwnam_r(name, &pw, g_buf, sizeof g_buf, &res);
  if (rc != 0) return false;
  return (res != nullptr) == expect_found && (!expect_found || std::strcmp(pw.pw_name, name) == 0);
}

bool pwuid(uid_t uid, bool expect_found) {
  passwd pw{};
  passwd* res = nullptr;
  const int rc = getpwuid_r(uid, &pw, g_buf, sizeof g_buf, &res);
  if (rc != 0) return false;
  return (res != nullptr) == expect_found && (!expect_found || pw.pw_uid == uid);
}

// Median of 5 rounds; each round sized from one calibration call to take ~budget/5 s,
// so a 5 ms lookup (nss_files at 100,000 accounts) and a 500 ns one both stay bounded.
template <typename Op>
double latency_ns(Op&& op, double budget) {
  const double t0 = thread_cpu_seconds();
  if (!op(0)) die("calibration lookup failed (wrong answer from the source)");
  const double one = std::max(thread_cpu_seconds() - t0, 1e-8);
  const auto per_round = static_cast<std::uint64_t>(std::clamp(budget / 5 / one, 1.0, 2'000'000.0));
  return median_ns_per_call(op, 5, per_round);
}

// A stranger's name or uid for a miss: never an account (uids above every allocator's range).
std::string stranger_name(std::uint64_t i) { return "nosuch" + std::to_string(i % 512); }
uid_t stranger_uid(std::uint64_t i) { return static_cast<uid_t>(4'000'000'000U + i % 4096); }

[[gnu::noinline]] bool measured_lookups(const std::vector<Account>& acc, long calls, const std::string& op) {
  std::vector<std::string> strangers;
  for (int i = 0; i < 512; ++i) strangers.push_back(stranger_name(i));
  const bool by_uid = op.starts_with("pwuid");
  const bool hit = op.ends_with("_hit");
  CALLGRIND_START_INSTRUMENTATION;
  CALLGRIND_TOGGLE_COLLECT;
  bool ok = true;
  for (long i = 0; i < calls; ++i) {
    const Account& a = acc[pick(i, acc.size())];
    if (by_uid) ok = pwuid(hit ? a.uid : stranger_uid(i), hit) && ok;
    else ok = pwnam(hit ? a.name.c_str() : strangers[i % 512].c_str(), hit) && ok;
  }
  CALLGRIND_TOGGLE_COLLECT;
  CALLGRIND_STOP_INSTRUMENTATION;
  return ok;
}

// Dependent reads of random cache lines of `path` (each offset depends on the byte read
// before, so the misses cannot overlap, like the few accesses of one lookup).
void touch_lines(const std::string& path, const std::string& prefix, double budget) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("cannot open " + path);
  struct stat st {};
  if (fstat(fd, &st) != 0 || st.st_size < 64) die("cannot stat " + path);
  const auto size = static_cast<std::size_t>(st.st_size);
  void* map = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (map == MAP_FAILED) die("cannot map " + path);
  const auto* bytes = static_cast<const volatile unsigned char*>(map);
  const std::size_t lines = size / 64;
  for (std::size_t off = 0; off < size; off += 4096) (void)bytes[off];  // fault every page in once, like a warm NSS run
  unsigned carry = 0;
  emit(prefix + "touch_line", latency_ns([&](std::uint64_t i) {
         carry = bytes[pick(i ^ carry, lines) * 64] & 1u;
         return true;
       }, budget / 2), "ns");
  munmap(map, size);
}

struct Status {
  long rss_kib = 0;
  long anon_kib = 0;
};

Status read_status() {
  std::ifstream in("/proc/self/status");
  Status s;
  std::string key;
  long value = 0;
  std::string unit;
  while (in >> key) {
    if (key == "VmRSS:" && in >> value >> unit) s.rss_kib = value;
    else if (key == "RssAnon:" && in >> value >> unit) s.anon_kib = value;
  }
  return s;
}

int rss_mode(const std::string& source, const std::string& module, const std::vector<Account>& acc) {
  const Status before = read_status();
  void* handle = dlopen(module.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) die(std::string("dlopen: ") + dlerror());
  const Status loaded = read_status();
  for (std::uint64_t i = 0; i < 1000; ++i) {
    if (!pwnam(acc[pick(i, acc.size())].name.c_str(), true)) die("lookup failed in --rss mode");
  }
  const Status used = read_status();
  emit("rss." + source + ".load", static_cast<double>(loaded.rss_kib - before.rss_kib), "KiB");
  emit("rss." + source + ".lookups", static_cast<double>(used.rss_kib - before.rss_kib), "KiB");
  emit("rss." + source + ".anon", static_cast<double>(used.anon_kib - before.anon_kib), "KiB");
  return 0;
}

int run(int argc, char** argv) {
  const std::string source = arg(argc, argv, "source", "files");
  const std::string size = arg(argc, argv, "size", "0");
  const auto accounts = read_accounts(arg(argc, argv, "accounts", ""));
  const double budget = arg_double(argc, argv, "budget", 0.25);
  const long calls = static_cast<long>(arg_double(argc, argv, "calls", 0));

  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--rss") return rss_mode(source, arg(argc, argv, "module", ""), accounts);
  }
  const std::string prefix = "nss." + source + "." + size + ".";
  const std::string touch = arg(argc, argv, "touch", "");
  if (!touch.empty()) touch_lines(touch, prefix, budget);
  if (source == "null") {
    // The floor: a module that answers nothing, so every call is a miss glibc dispatched.
    if (!pwnam(accounts.front().name.c_str(), false) || !pwuid(accounts.front().uid, false)) {
      die("the null source answered a lookup (is nsswitch.conf \"passwd: benchnull\"?)");
    }
    if (calls > 0) {
      return measured_lookups(accounts, calls, arg(argc, argv, "op", "pwnam_hit").starts_with("pwuid") ? "pwuid_miss" : "pwnam_miss") ? 0 : 1;
    }
    emit(prefix + "pwnam_miss", latency_ns([&](std::uint64_t i) { return pwnam(accounts[pick(i, accounts.size())].name.c_str(), false); }, budget), "ns");
    emit(prefix + "pwuid_miss", latency_ns([&](std::uint64_t i) { return pwuid(accounts[pick(i, accounts.size())].uid, false); }, budget), "ns");
    return 0;
  }
  // Correctness first: the source answers the first and last account and refuses a stranger.
  if (!pwnam(accounts.front().name.c_str(), true) || !pwnam(accounts.back().name.c_str(), true) ||
      !pwuid(accounts.back().uid, true) || !pwnam("nosuch-bench-user", false)) {
    die("source " + source + " does not answer the seeded accounts correctly");
  }
  if (calls > 0) return measured_lookups(accounts, calls, arg(argc, argv, "op", "pwnam_hit")) ? 0 : 1;

  const std::size_t n = accounts.size();
  std::vector<std::string> strangers;
  for (int i = 0; i < 512; ++i) strangers.push_back(stranger_name(i));
  // The floor under every source: glibc stats /etc/nsswitch.conf on each lookup.
  struct stat st {};
  emit(prefix + "stat_floor", latency_ns([&](std::uint64_t) { return stat("/etc/nsswitch.conf", &st) == 0; }, budget / 2), "ns");
  emit(prefix + "pwnam_hit", latency_ns([&](std::uint64_t i) { return pwnam(accounts[pick(i, n)].name.c_str(), true); }, budget), "ns");
  emit(prefix + "pwnam_miss", latency_ns([&](std::uint64_t i) { return pwnam(strangers[i % 512].c_str(), false); }, budget), "ns");
  emit(prefix + "pwuid_hit", latency_ns([&](std::uint64_t i) { return pwuid(accounts[pick(i, n)].uid, true); }, budget), "ns");
  // 4,000,000,000 + i: above every allocator's range, so never an account.
  emit(prefix + "pwuid_miss", latency_ns([&](std::uint64_t i) { return pwuid(stranger_uid(i), false); }, budget), "ns");
  return 0;
}

}  // namespace
}  // namespace oidc_sysauth::bench

int main(int argc, char** argv) { return oidc_sysauth::bench::run(argc, argv); }
