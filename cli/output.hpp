// How the CLI speaks: human text (colours only on a terminal) or --json for scripts.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "log.hpp"
#include "result.hpp"

namespace oidc_sysauth::cli {

// Documented exit codes (README "oidc-sysauth exit codes", oidc-sysauth(1)).
enum ExitCode : int {
  kExitOk = 0,           // success / everything checked is fine
  kExitRejected = 1,     // the thing checked is wrong: token rejected, login refused, a doctor check failed
  kExitUsage = 2,        // bad arguments or unusable configuration
  kExitUnavailable = 3,  // the IdP could not be reached
};

class Output {
 public:
  Output(bool json, bool verbose);
  [[nodiscard]] bool json() const noexcept { return json_; }
  [[nodiscard]] bool verbose() const noexcept { return verbose_; }

  // Human mode: "  ok   message" / "  FAIL message" / "  warn message", with a fix line.
  void verdict(std::string_view status, std::string_view message, std::string_view fix = {});
  void line(std::string_view text);         // stdout, human mode only
  void error(std::string_view text);        // stderr, both modes ("oidc-sysauth: ...")
  void emit_json(const nlohmann::json& j);  // stdout, JSON mode only

  [[nodiscard]] std::string bold(std::string_view s) const;

 private:
  std::string colour(std::string_view code, std::string_view s) const;
  bool json_;
  bool verbose_;
  bool colour_;
};

// Exit code for a core error (unavailable IdP → 3, config → 2, the rest → 1).
int exit_code_for(const Error& error) noexcept;

// A Logger for the core that prints to stderr only with --verbose.
class StderrLogger final : public Logger {
 public:
  explicit StderrLogger(bool verbose) : verbose_(verbose) {}
  void log(LogLevel level, std::string_view message) noexcept override;
  [[nodiscard]] bool debug_enabled() const noexcept override { return verbose_; }

 private:
  bool verbose_;
};

}  // namespace oidc_sysauth::cli
