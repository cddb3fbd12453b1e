// Helpers shared by the CLI's commands.
#include <ctime>
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

std::string format_utc(std::int64_t unix_seconds, bool with_time) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  const std::size_t n = with_time ? std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm)
                                  : std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  if (n == 0) return "?";
  return buf;
}

std::unique_ptr<CliCore> CliCore::open(const Config& config, bool verbose, Output& out, int& rc,
                                       DeviceGrantPresenter* presenter, bool disk_cache) {
  std::unique_ptr<CliCore> core(new CliCore(verbose));
  ContextOptions options;
  options.logger = &core->logger_;
  options.device_presenter = presenter;
  options.use_disk_cache = disk_cache;
  auto context = OidcContext::create(config, options);
  if (!context) {
    out.error(context.error().detail);
    rc = exit_code_for(context.error());
    return nullptr;
  }
  core->context_ = std::move(*context);
  return core;
}

}  // namespace oidc_sysauth::cli
