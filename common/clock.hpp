// Time is injected so expiry, leeway and cache TTLs are tested without sleeping.
#pragma once

#include <chrono>
#include <cstdint>

namespace oidc_sysauth {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch (wall clock: token exp/nbf/iat, cache expiry on disk).
  [[nodiscard]] virtual std::int64_t now_unix() const noexcept = 0;
  // Monotonic milliseconds (rate limits, polling intervals, deadlines).
  [[nodiscard]] virtual std::int64_t now_monotonic_ms() const noexcept = 0;
};

class SystemClock final : public Clock {
 public:
  [[nodiscard]] std::int64_t now_unix() const noexcept override {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  [[nodiscard]] std::int64_t now_monotonic_ms() const noexcept override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

// For tests: time moves only when told.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::int64_t unix_seconds = 1'800'000'000) noexcept : unix_(unix_seconds) {}
  [[nodiscard]] std::int64_t now_unix() const noexcept override { return unix_; }
  [[nodiscard]] std::int64_t now_monotonic_ms() const noexcept override { return mono_ms_; }
  void advance_seconds(std::int64_t s) noexcept {
    unix_ += s;
    mono_ms_ += s * 1000;
  }
  void set_unix(std::int64_t s) noexcept { unix_ = s; }

 private:
  std::int64_t unix_;
  std::int64_t mono_ms_ = 1'000'000;
};

}  // namespace oidc_sysauth
