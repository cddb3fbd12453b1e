// PamConversation and PamHandleHost over a real libpam handle (pam_start_confdir with a
// throwaway service file using pam_permit.so): the application's conversation function is
// scripted here, so every message style, reply ownership and failure path is exercised
// without a PAM stack that authenticates anyone.
#include "pam_conversation.hpp"

#include <gtest/gtest.h>
#include <security/pam_appl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "pam_host.hpp"

namespace oidc_sysauth {
namespace {

struct Script {
  struct Seen {
    int style;
    std::string text;
  };
  std::vector<Seen> seen;
  std::deque<std::string> answers;
  int fail_with = PAM_SUCCESS;  // the conversation function's return code
  bool null_reply = false;
};

int scripted_conv(int n, const pam_message** messages, pam_response** replies, void* data) {
  auto* script = static_cast<Script*>(data);
  if (script->fail_with != PAM_SUCCESS) return script->fail_with;
  if (script->null_reply) {
    *replies = nullptr;
    return PAM_SUCCESS;
  }
  auto* out = static_cast<pam_response*>(std::calloc(static_cast<std::size_t>(n), sizeof(pam_response)));
  for (int i = 0; i < n; ++i) {
    script->seen.push_back({messages[i]->msg_style, messages[i]->msg});
    const bool prompt = messages[i]->msg_style == PAM_PROMPT_ECHO_OFF || messages[i]->msg_style == PAM_PROMPT_ECHO_ON;
    if (prompt && !script->answers.empty()) {
      out[i].resp = strdup(script->answers.front().c_str());
      script->answers.pop_front();
    }
  }
  *replies = out;
  return PAM_SUCCESS;
}

class PamHandleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/pam_conv_test.XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    std::ofstream(dir_ + "/convtest") << "auth required pam_permit.so\naccount required pam_permit.so\n";
    conv_ = {scripted_conv, &script_};
    ASSERT_EQ(pam_start_confdir("convtest", "alice", &conv_, dir_.c_str(), &pamh_), PAM_SUCCESS);
  }
  void TearDown() override {
    if (pamh_ != nullptr) pam_end(pamh_, PAM_SUCCESS);
    std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  Script script_;
  pam_conv conv_{};
  pam_handle_t* pamh_ = nullptr;
};

TEST_F(PamHandleTest, PromptsUseTheRightStylesAndReturnTheAnswers) {
  PamConversation conversation(pamh_, false);
  script_.answers = {"s3cret", "visible answer"};
  auto hidden = conversation.prompt_hidden("Password: ");
  ASSERT_TRUE(hidden);
  EXPECT_EQ(hidden->expose(), "s3cret");
  auto visible = conversation.prompt_visible("Press Enter");
  ASSERT_TRUE(visible);
  EXPECT_EQ(*visible, "visible answer");
  conversation.info("hello");
  conversation.error("refused");
  ASSERT_EQ(script_.seen.size(), 4u);
  EXPECT_EQ(script_.seen[0].style, PAM_PROMPT_ECHO_OFF);
  EXPECT_EQ(script_.seen[0].text, "Password: ");
  EXPECT_EQ(script_.seen[1].style, PAM_PROMPT_ECHO_ON);
  EXPECT_EQ(script_.seen[2].style, PAM_TEXT_INFO);
  EXPECT_EQ(script_.seen[3].style, PAM_ERROR_MSG);
}

TEST_F(PamHandleTest, SilentSuppressesInfoButNotInstructionsOrErrors) {
  PamConversation conversation(pamh_, true);
  conversation.info("chatter");
  conversation.instructions("open https://idp/device and enter ABCD");
  conversation.error("refused");
  ASSERT_EQ(script_.seen.size(), 2u);
  EXPECT_EQ(script_.seen[0].style, PAM_TEXT_INFO);
  EXPECT_EQ(script_.seen[0].text, "open https://idp/device and enter ABCD");
  EXPECT_EQ(script_.seen[1].style, PAM_ERROR_MSG);
}

TEST_F(PamHandleTest, ConversationFailuresAreConversationErrors) {
  PamConversation conversation(pamh_, false);
  script_.fail_with = PAM_CONV_ERR;
  auto failed = conversation.prompt_hidden("Password: ");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kConversation);
  conversation.info("lost");  // never throws, never fails the caller

  script_.fail_with = PAM_SUCCESS;
  script_.null_reply = true;
  auto empty = conversation.prompt_hidden("Password: ");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kConversation);

  script_.null_reply = false;  // a reply array without an answer string
  auto missing = conversation.prompt_visible("Code: ");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kConversation);
}

TEST_F(PamHandleTest, LongAnswersUpTo64KiB) {
  PamConversation conversation(pamh_, false);
  script_.answers = {std::string(60000, 'x'), std::string(70000, 'y')};
  auto ok = conversation.prompt_hidden("Token: ");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->size(), 60000u);
  auto too_long = conversation.prompt_hidden("Token: ");
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code, ErrorCode::kConversation);
}

// pam_get_authtok and pam_set_data/pam_get_data answer only inside a module (libpam checks
// the caller), so PamHandleHost::authtok/keep/kept are exercised by the e2e tests that load
// the real pam_oidc.so (tests/e2e/pam_*.sh); here, what an application-side handle allows.
TEST_F(PamHandleTest, HostReadsUserAndService) {
  PamHandleHost host(pamh_, 0, false);
  auto user = host.user();
  ASSERT_TRUE(user);
  EXPECT_EQ(*user, "alice");
  EXPECT_EQ(host.service(), "convtest");
  EXPECT_EQ(host.kept(), nullptr);
}

}  // namespace
}  // namespace oidc_sysauth
