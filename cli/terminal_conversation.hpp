// The CLI's Conversation: prompts on the terminal (echo off for secrets), or reads answers
// line by line from standard input when it is not a terminal (--password-stdin, scripts).
#pragma once

#include "conversation.hpp"

namespace oidc_sysauth::cli {

// True when standard error is a terminal whose locale encodes UTF-8: the device grant's QR
// code (Unicode half blocks) is drawn there; otherwise only the URL and code are shown.
bool terminal_shows_qr();

class TerminalConversation final : public Conversation {
 public:
  // scripted: answers come line by line from standard input (--password-stdin), so
  // follow-up prompts (one-time code, "press Enter") are answered from there too.
  explicit TerminalConversation(bool scripted = false) : scripted_(scripted) {}
  Result<Secret> prompt_hidden(std::string_view prompt) override;
  Result<std::string> prompt_visible(std::string_view prompt) override;
  void info(std::string_view text) override;
  void error(std::string_view text) override;
  [[nodiscard]] bool interactive() const override;

 private:
  bool scripted_;
};

}  // namespace oidc_sysauth::cli
