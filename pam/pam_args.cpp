#include "pam_args.hpp"

#include "config.hpp"

namespace oidc_sysauth {

namespace {

constexpr std::string_view kConfigPrefix = "config=";

bool set_flag(PamArgs& args, std::string_view word) {
  struct Flag {
    std::string_view name;
    bool PamArgs::*member;
  };
  static constexpr Flag kFlags[] = {
      {"debug", &PamArgs::debug},
      {"use_first_pass", &PamArgs::use_first_pass},
      {"try_first_pass", &PamArgs::try_first_pass},
      {"token_login", &PamArgs::token_login},
      {"ignore_unknown_user", &PamArgs::ignore_unknown_user},
  };
  for (const Flag& flag : kFlags) {
    if (word == flag.name) {
      args.*flag.member = true;
      return true;
    }
  }
  return false;
}

}  // namespace

PamArgs parse_pam_args(int argc, const char* const* argv) {
  PamArgs args;
  if (argv == nullptr) return args;
  for (int i = 0; i < argc; ++i) {
    if (argv[i] == nullptr) continue;
    std::string_view word(argv[i]);
    if (word.starts_with(kConfigPrefix) && word.size() > kConfigPrefix.size() && word[kConfigPrefix.size()] == '/') {
      args.config_path = std::string(word.substr(kConfigPrefix.size()));
    } else if (!set_flag(args, word)) {
      // A relative config= path lands here too: the module runs with the host's cwd.
      args.unknown.emplace_back(word);
    }
  }
  return args;
}

std::string config_path_of(const PamArgs& args) {
  return args.config_path.empty() ? std::string(kDefaultConfigPath) : args.config_path;
}

}  // namespace oidc_sysauth
