#include "terminal_conversation.hpp"

#include <langinfo.h>
#include <termios.h>
#include <unistd.h>

#include <clocale>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>

namespace oidc_sysauth::cli {
namespace {

// Reads one line from stdin into a Secret, wiping the temporary buffer.
Result<Secret> read_line_secret() {
  std::string line;
  if (!std::getline(std::cin, line)) return fail(ErrorCode::kConversation, "no answer on standard input");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  Secret s(line);
  secure_zero(line.data(), line.size());
  return s;
}

}  // namespace

bool terminal_shows_qr() {
  if (::isatty(STDERR_FILENO) != 1) return false;
  // The CLI's own process: adopting the user's LC_CTYPE only tells us how the terminal
  // decodes bytes (nothing here formats numbers or collates).
  if (std::setlocale(LC_CTYPE, "") == nullptr) return false;
  const std::string_view codeset = nl_langinfo(CODESET);
  return codeset == "UTF-8" || codeset == "utf8";
}

bool TerminalConversation::interactive() const { return scripted_ || ::isatty(STDIN_FILENO) == 1; }

Result<Secret> TerminalConversation::prompt_hidden(std::string_view prompt) {
  if (!prompt.empty()) std::cerr << prompt << std::flush;
  if (::isatty(STDIN_FILENO) != 1) return read_line_secret();
  termios old_attrs{};
  if (tcgetattr(STDIN_FILENO, &old_attrs) != 0) return read_line_secret();
  termios quiet = old_attrs;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  auto answer = read_line_secret();
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &old_attrs);
  std::cerr << "\n";
  return answer;
}

Result<std::string> TerminalConversation::prompt_visible(std::string_view prompt) {
  std::cerr << prompt << std::flush;
  std::string line;
  if (!std::getline(std::cin, line)) return fail(ErrorCode::kConversation, "no answer on standard input");
  return line;
}

void TerminalConversation::info(std::string_view text) { std::cerr << text << "\n"; }

void TerminalConversation::error(std::string_view text) { std::cerr << "error: " << text << "\n"; }

}  // namespace oidc_sysauth::cli
