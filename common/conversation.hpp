// What the core may ask of the person logging in. PAM wraps pam_conv; the CLI wraps the
// terminal; tests script it.
#pragma once

#include <string>
#include <string_view>

#include "result.hpp"
#include "secret.hpp"

namespace oidc_sysauth {

class Conversation {
 public:
  virtual ~Conversation() = default;
  virtual Result<Secret> prompt_hidden(std::string_view prompt) = 0;      // echo off (OTP, password)
  virtual Result<std::string> prompt_visible(std::string_view prompt) = 0;  // echo on ("press Enter")
  virtual void info(std::string_view text) = 0;
  // Text the person must read to log in at all (the device grant's URL and code): shown even
  // when the application asked for silence (PAM_SILENT, which sudo passes by default).
  virtual void instructions(std::string_view text) { info(text); }
  virtual void error(std::string_view text) = 0;
  // False for non-interactive callers (sudo -S with no tty still counts as interactive).
  [[nodiscard]] virtual bool interactive() const { return true; }
};

}  // namespace oidc_sysauth
