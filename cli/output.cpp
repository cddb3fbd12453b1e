#include "output.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace oidc_sysauth::cli {

Output::Output(bool json, bool verbose)
    : json_(json), verbose_(verbose), colour_(!json && ::isatty(STDOUT_FILENO) == 1) {}

std::string Output::colour(std::string_view code, std::string_view s) const {
  if (!colour_) return std::string(s);
  return "\033[" + std::string(code) + "m" + std::string(s) + "\033[0m";
}

std::string Output::bold(std::string_view s) const { return colour("1", s); }

void Output::verdict(std::string_view status, std::string_view message, std::string_view fix) {
  if (json_) return;
  std::string tag;
  if (status == "ok") tag = colour("32", "ok  ");
  else if (status == "warn") tag = colour("33", "warn");
  else if (status == "skip") tag = colour("2", "skip");
  else tag = colour("31", "FAIL");
  std::cout << "  " << tag << "  " << message << "\n";
  if (!fix.empty()) std::cout << "        fix: " << fix << "\n";
}

void Output::line(std::string_view text) {
  if (!json_) std::cout << text << "\n";
}

void Output::error(std::string_view text) { std::cerr << "oidc-sysauth: " << text << "\n"; }

void Output::emit_json(const nlohmann::json& j) {
  if (json_) std::cout << j.dump(2) << "\n";
}

int exit_code_for(const Error& error) noexcept {
  switch (error.code) {
    case ErrorCode::kIdpUnavailable:
    case ErrorCode::kBadResponse:
      return kExitUnavailable;
    case ErrorCode::kConfig:
    case ErrorCode::kMisconfigured:
      return kExitUsage;
    default:
      return kExitRejected;
  }
}

void StderrLogger::log(LogLevel level, std::string_view message) noexcept {
  if (!verbose_ && level > LogLevel::kWarning) return;
  static const char* const kNames[] = {"error", "warning", "notice", "info", "debug"};
  std::fprintf(stderr, "oidc-sysauth: %s: %.*s\n", kNames[static_cast<int>(level)], static_cast<int>(message.size()),
               message.data());
}

}  // namespace oidc_sysauth::cli
