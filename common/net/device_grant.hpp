// RFC 8628 device authorization grant, as a small state machine: start() asks for a
// code, poll_once() makes one token request without sleeping, wait() loops with an
// injected sleeper. PAM interleaves its own prompts between polls.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "clock.hpp"
#include "net/oauth_client.hpp"
#include "result.hpp"

namespace oidc_sysauth {

// Sleeps for the given milliseconds. Tests pass one that advances a FakeClock.
using Sleeper = std::function<void(std::int64_t milliseconds)>;
Sleeper real_sleeper();

inline constexpr std::int64_t kSlowDownIncrementSeconds = 5;
inline constexpr int kMaxConsecutiveNetworkErrors = 3;

class DeviceGrant {
 public:
  // Asks the device authorization endpoint for a code. The overall limit is the smaller
  // of the code's expires_in and `overall_timeout_seconds`.
  static Result<DeviceGrant> start(OAuthClient& client, const Clock& clock, const std::string& device_endpoint,
                                   std::string token_endpoint, const GrantParams& params,
                                   std::int64_t overall_timeout_seconds);

  [[nodiscard]] const DeviceAuthorization& authorization() const noexcept { return auth_; }
  [[nodiscard]] std::int64_t interval_seconds() const noexcept { return interval_s_; }
  // Monotonic ms at which the next poll may go out (earlier polls are not sent).
  [[nodiscard]] std::int64_t next_poll_at_ms() const noexcept { return next_poll_ms_; }
  [[nodiscard]] std::int64_t deadline_ms() const noexcept { return deadline_ms_; }
  [[nodiscard]] bool past_deadline() const noexcept;

  // One token request if it is time (else returns nullopt without a request).
  //   approved         → the tokens
  //   pending          → nullopt (slow_down adds 5 s to the interval)
  //   access_denied    → kCredentialsRefused (reason "access_denied")
  //   expired_token / the overall limit → kTimeout (reason "expired_token" / "device_timeout")
  //   network errors   → retried on later polls; the 3rd in a row is returned
  //   anything else    → as classified by the token endpoint
  Result<std::optional<TokenResponse>> poll_once();

  // Polls until approval, refusal or the deadline, sleeping between polls.
  Result<TokenResponse> wait(const Sleeper& sleeper);

 private:
  DeviceGrant(OAuthClient& client, const Clock& clock, std::string token_endpoint, DeviceAuthorization auth,
              std::int64_t deadline_ms);

  OAuthClient* client_;
  const Clock* clock_;
  std::string token_endpoint_;
  DeviceAuthorization auth_;
  std::int64_t interval_s_;
  std::int64_t next_poll_ms_;
  std::int64_t deadline_ms_;
  int network_errors_ = 0;
};

}  // namespace oidc_sysauth
