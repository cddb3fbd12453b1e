#include "net/device_grant.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace oidc_sysauth {

Sleeper real_sleeper() {
  return [](std::int64_t ms) {
    if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  };
}

DeviceGrant::DeviceGrant(OAuthClient& client, const Clock& clock, std::string token_endpoint,
                         DeviceAuthorization auth, std::int64_t deadline_ms)
    : client_(&client),
      clock_(&clock),
      token_endpoint_(std::move(token_endpoint)),
      auth_(std::move(auth)),
      interval_s_(auth_.interval),
      next_poll_ms_(clock.now_monotonic_ms() + auth_.interval * 1000),
      deadline_ms_(deadline_ms) {}

Result<DeviceGrant> DeviceGrant::start(OAuthClient& client, const Clock& clock, const std::string& device_endpoint,
                                       std::string token_endpoint, const GrantParams& params,
                                       std::int64_t overall_timeout_seconds) {
  if (device_endpoint.empty())
    return fail(ErrorCode::kMisconfigured, "the IdP has no device_authorization_endpoint", "no_device_grant");
  auto auth = client.device_authorize(device_endpoint, params);
  if (!auth) return std::unexpected(auth.error());
  const std::int64_t limit_s = std::min<std::int64_t>(auth->expires_in, std::max<std::int64_t>(1, overall_timeout_seconds));
  const std::int64_t deadline = clock.now_monotonic_ms() + limit_s * 1000;
  return DeviceGrant(client, clock, std::move(token_endpoint), std::move(*auth), deadline);
}

bool DeviceGrant::past_deadline() const noexcept { return clock_->now_monotonic_ms() >= deadline_ms_; }

Result<std::optional<TokenResponse>> DeviceGrant::poll_once() {
  if (past_deadline())
    return fail(ErrorCode::kTimeout, "device login not approved in time", "device_timeout");
  const std::int64_t now = clock_->now_monotonic_ms();
  if (now < next_poll_ms_) return std::optional<TokenResponse>();
  next_poll_ms_ = now + interval_s_ * 1000;
  auto tokens = client_->device_token(token_endpoint_, auth_.device_code);
  if (tokens) return std::optional<TokenResponse>(std::move(*tokens));
  const Error& e = tokens.error();
  if (e.code == ErrorCode::kIdpUnavailable) {
    if (++network_errors_ >= kMaxConsecutiveNetworkErrors) return std::unexpected(e);
    return std::optional<TokenResponse>();
  }
  network_errors_ = 0;
  if (e.reason == "authorization_pending") return std::optional<TokenResponse>();
  if (e.reason == "slow_down") {
    interval_s_ += kSlowDownIncrementSeconds;
    next_poll_ms_ = now + interval_s_ * 1000;
    return std::optional<TokenResponse>();
  }
  if (e.reason == "access_denied") return fail(ErrorCode::kCredentialsRefused, "device login denied", "access_denied");
  if (e.reason == "expired_token") return fail(ErrorCode::kTimeout, "device code expired", "expired_token");
  return std::unexpected(e);
}

Result<TokenResponse> DeviceGrant::wait(const Sleeper& sleeper) {
  // Bounded: every iteration either polls (the interval is >= 1 s) or sleeps until the
  // next poll, and the deadline ends the loop.
  for (;;) {
    auto step = poll_once();
    if (!step) return std::unexpected(step.error());
    if (*step) return std::move(**step);
    const std::int64_t now = clock_->now_monotonic_ms();
    const std::int64_t until = std::min(next_poll_ms_, deadline_ms_);
    sleeper(std::max<std::int64_t>(until - now, 1));
  }
}

}  // namespace oidc_sysauth
