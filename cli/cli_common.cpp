// Helpers shared by the CLI's commands.
#include <iostream>

#include "commands.hpp"

namespace oidc_sysauth::cli {

std::optional<Config> load_config_for_cli(const GlobalOptions& g, Output& out) {
  // An explicit --config may be a scratch file of the admin's; the default path must be root's.
  auto config = load_config(g.config_path, /*trust_owner=*/g.config_given);
  if (!config) {
    out.error(config.error().detail);
    return std::nullopt;
  }
  return std::move(*config);
}

std::string read_token_argument(const std::string& arg) {
  std::string token = arg;
  if (arg == "-") std::getline(std::cin, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == '\n' || token.back() == ' ')) token.pop_back();
  std::size_t start = token.find_first_not_of(' ');
  return start == std::string::npos ? std::string() : token.substr(start);
}

}  // namespace oidc_sysauth::cli
