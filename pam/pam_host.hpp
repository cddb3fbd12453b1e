// The real PamHost / FlowDeps / Logger over a pam_handle_t (the flow itself is in pam_flow.cpp).
#pragma once

#include <security/pam_appl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "clock.hpp"
#include "log.hpp"
#include "pam_args.hpp"
#include "pam_conversation.hpp"
#include "pam_flow.hpp"
#include "pam_process_cache.hpp"

namespace oidc_sysauth {

// pam_syslog (LOG_AUTHPRIV, prefixed with the service and module name). The text is
// formatted into a buffer first and passed as "%s": messages may contain IdP strings.
class PamSyslogLogger final : public Logger {
 public:
  PamSyslogLogger(pam_handle_t* pamh, bool debug) noexcept : pamh_(pamh), debug_(debug) {}
  void log(LogLevel level, std::string_view message) noexcept override;
  [[nodiscard]] bool debug_enabled() const noexcept override { return debug_; }

 private:
  pam_handle_t* pamh_;
  bool debug_;
};

class PamHandleHost final : public PamHost {
 public:
  PamHandleHost(pam_handle_t* pamh, int flags, bool debug) noexcept
      : pamh_(pamh), logger_(pamh, debug), conversation_(pamh, (flags & PAM_SILENT) != 0) {}

  Result<std::string> user() override;
  [[nodiscard]] std::string service() const override;
  Result<Secret> authtok() override;
  Conversation& conversation() override { return conversation_; }
  Logger& logger() override { return logger_; }
  Result<Ok> keep(AuthOutcome outcome) override;
  [[nodiscard]] const AuthOutcome* kept() const override;

 private:
  pam_handle_t* pamh_;
  PamSyslogLogger logger_;
  PamConversation conversation_;
};

class PamSystemDeps final : public FlowDeps {
 public:
  PamSystemDeps() noexcept = default;

  Result<Config> load_config(const std::string& path) override;
  Result<std::shared_ptr<OidcContext>> context(const Config& config) override;
  Result<std::unique_ptr<AccountStore>> open_store(const Config& config) override;
  Result<bool> in_local_files(std::string_view name) override;
  std::optional<std::uint32_t> resolved_uid(std::string_view name) override;
  [[nodiscard]] bool privileged() const override;

 private:
  static std::optional<std::uint32_t> lookup_uid(const std::string& name);  // getpwnam_r

  SystemClock clock_;                    // outlives every store opened through this object
  std::uint64_t config_generation_ = 0;  // of the config load_config last returned
  // The last getpwnam_r answer: one pam_sm_* call asks about the same name two or three
  // times (local-account guard, uid range), and an NSS lookup through systemd-userdb or
  // LDAP is the dearest step of a warm login after the IdP's own request.
  std::optional<std::pair<std::string, std::optional<std::uint32_t>>> last_uid_;
};

// One call of a pam_sm_* function: its arguments parsed (unknown ones logged), a host and deps.
class PamCall {
 public:
  PamCall(pam_handle_t* pamh, int flags, int argc, const char** argv);
  PamHost& host() noexcept { return host_; }
  FlowDeps& deps() noexcept { return deps_; }
  [[nodiscard]] const PamArgs& args() const noexcept { return args_; }

 private:
  PamArgs args_;
  PamHandleHost host_;
  PamSystemDeps deps_;
  ScopedModuleLogger logger_scope_;  // the process-wide context logs through this call's pam_syslog
};

}  // namespace oidc_sysauth
