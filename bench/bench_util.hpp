// Shared by the benchmark programs: bounded timing loops and one output format.
// Every figure is printed as one line "metric value unit" on stdout; bench/report.py
// turns those lines into the table. Diagnostics go to stderr.
#pragma once

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace oidc_sysauth::bench {

using SteadyClock = std::chrono::steady_clock;

inline double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// CPU time of the calling thread. In-process loops are timed with it, as `openssl speed`
// does by default (user CPU time), so the two-core machine being shared with compilers
// does not show up as a slower library.
inline double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

inline void emit(std::string_view metric, double value, std::string_view unit) {
  std::printf("%.*s %.6g %.*s\n", static_cast<int>(metric.size()), metric.data(), value,
              static_cast<int>(unit.size()), unit.data());
  std::fflush(stdout);
}

[[noreturn]] inline void die(const std::string& why) {
  std::fprintf(stderr, "bench: %s\n", why.c_str());
  std::exit(2);
}

// Calls op(i) for i = 0, 1, 2, ... in batches until `min_seconds` of thread CPU time have passed or
// `max_ops` calls were made (whichever first; at least one batch). Returns ops/s.
// op returns false on failure: a benchmark whose operation fails is not a figure.
template <typename Op>
double ops_per_second(Op&& op, double min_seconds, std::uint64_t max_ops, std::uint64_t batch = 64) {
  std::uint64_t done = 0;
  const double start = thread_cpu_seconds();
  const auto wall_start = SteadyClock::now();
  double elapsed = 0;
  do {
    for (std::uint64_t k = 0; k < batch && done < max_ops; ++k, ++done) {
      if (!op(done)) die("operation " + std::to_string(done) + " failed during timing");
    }
    elapsed = thread_cpu_seconds() - start;
    // The wall-clock bound keeps a starved run from taking forever.
  } while (elapsed < min_seconds && done < max_ops && seconds_since(wall_start) < 6 * min_seconds);
  return static_cast<double>(done) / elapsed;
}

// Per-call CPU latency in nanoseconds: `rounds` rounds of `per_round` calls; returns the
// median round's mean (robust against a noisy neighbour on a shared machine).
template <typename Op>
double median_ns_per_call(Op&& op, int rounds, std::uint64_t per_round) {
  std::vector<double> means;
  means.reserve(static_cast<std::size_t>(rounds));
  std::uint64_t i = 0;
  for (int r = 0; r < rounds; ++r) {
    const double start = thread_cpu_seconds();
    for (std::uint64_t k = 0; k < per_round; ++k, ++i) {
      if (!op(i)) die("operation " + std::to_string(i) + " failed during timing");
    }
    means.push_back((thread_cpu_seconds() - start) * 1e9 / static_cast<double>(per_round));
  }
  std::ranges::sort(means);
  return means[means.size() / 2];
}

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::ranges::sort(v);
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// "--name=value" from argv, or `fallback`.
inline std::string arg(int argc, char** argv, std::string_view name, std::string fallback) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.size() > name.size() + 3 && a.substr(0, 2) == "--" && a.substr(2, name.size()) == name &&
        a[2 + name.size()] == '=') {
      return std::string(a.substr(3 + name.size()));
    }
  }
  return fallback;
}

inline double arg_double(int argc, char** argv, std::string_view name, double fallback) {
  const std::string v = arg(argc, argv, name, "");
  return v.empty() ? fallback : std::strtod(v.c_str(), nullptr);
}

}  // namespace oidc_sysauth::bench
