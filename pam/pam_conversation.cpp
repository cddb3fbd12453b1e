#include "pam_conversation.hpp"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

namespace oidc_sysauth {

namespace {

// Upper bound on what we accept from the application: a long JWT fits, a runaway reply does not.
constexpr std::size_t kMaxReply = 64 * 1024;

// The application allocates the reply array with malloc; we own it and must wipe + free each
// string (they may hold a password or a one-time code) and then the array.
struct ReplyDeleter {
  void operator()(pam_response* reply) const noexcept {
    if (reply == nullptr) return;
    if (reply->resp != nullptr) {
      secure_zero(reply->resp, std::strlen(reply->resp));
      std::free(reply->resp);
    }
    std::free(reply);
  }
};
using ReplyPtr = std::unique_ptr<pam_response, ReplyDeleter>;

}  // namespace

Result<Secret> PamConversation::converse(int style, std::string_view text) {
  const void* item = nullptr;
  if (pam_get_item(pamh_, PAM_CONV, &item) != PAM_SUCCESS || item == nullptr) {
    return fail(ErrorCode::kConversation, "the application gave PAM no conversation function");
  }
  const auto* conv = static_cast<const pam_conv*>(item);
  if (conv->conv == nullptr) return fail(ErrorCode::kConversation, "the conversation function is null");

  const std::string message_text(text);  // pam_message wants a NUL-terminated string
  pam_message message{style, message_text.c_str()};
  const pam_message* messages[1] = {&message};
  pam_response* raw_reply = nullptr;
  const int rc = conv->conv(1, messages, &raw_reply, conv->appdata_ptr);
  ReplyPtr reply(raw_reply);
  if (rc != PAM_SUCCESS) return fail(ErrorCode::kConversation, pam_strerror(pamh_, rc));

  const bool wants_reply = style == PAM_PROMPT_ECHO_OFF || style == PAM_PROMPT_ECHO_ON;
  if (!wants_reply) return Secret{};
  if (reply == nullptr || reply->resp == nullptr) {
    return fail(ErrorCode::kConversation, "the application returned no answer to a prompt");
  }
  const std::size_t length = strnlen(reply->resp, kMaxReply + 1);
  if (length > kMaxReply) return fail(ErrorCode::kConversation, "answer longer than 64 KiB");
  return Secret(std::string_view(reply->resp, length));
}

Result<Secret> PamConversation::prompt_hidden(std::string_view prompt) { return converse(PAM_PROMPT_ECHO_OFF, prompt); }

Result<std::string> PamConversation::prompt_visible(std::string_view prompt) {
  auto answer = converse(PAM_PROMPT_ECHO_ON, prompt);
  if (!answer) return std::unexpected(std::move(answer.error()));
  return std::string(answer->expose());
}

void PamConversation::info(std::string_view text) {
  if (silent_) return;
  (void)converse(PAM_TEXT_INFO, text);  // an undelivered notice must not fail the login
}

void PamConversation::instructions(std::string_view text) { (void)converse(PAM_TEXT_INFO, text); }

void PamConversation::error(std::string_view text) { (void)converse(PAM_ERROR_MSG, text); }

}  // namespace oidc_sysauth
