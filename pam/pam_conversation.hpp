// Conversation over the application's pam_conv (sshd, sudo, login, pamtester).
#pragma once

#include <security/pam_appl.h>

#include <string_view>

#include "conversation.hpp"

namespace oidc_sysauth {

class PamConversation final : public Conversation {
 public:
  // `silent`: the caller passed PAM_SILENT; informational messages are then suppressed
  // (prompts and errors are not: a refusal must still be explained).
  PamConversation(pam_handle_t* pamh, bool silent) noexcept : pamh_(pamh), silent_(silent) {}

  Result<Secret> prompt_hidden(std::string_view prompt) override;
  Result<std::string> prompt_visible(std::string_view prompt) override;
  void info(std::string_view text) override;
  // The device grant's URL and code: shown even under PAM_SILENT (sudo passes it by default),
  // since nobody can log in without reading them.
  void instructions(std::string_view text) override;
  void error(std::string_view text) override;

 private:
  // One message, one reply (nullptr for messages that expect none). The reply text is wiped.
  Result<Secret> converse(int style, std::string_view text);

  pam_handle_t* pamh_;
  bool silent_;
};

}  // namespace oidc_sysauth
