#include "pam_host.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

namespace oidc_sysauth {

namespace {

constexpr const char* kOutcomeKey = "oidc_sysauth_outcome";
constexpr const char* kPasswdPath = "/etc/passwd";
constexpr std::size_t kMaxPasswdBytes = 64 * 1024 * 1024;
constexpr std::size_t kMaxPwBuffer = 1024 * 1024;

void delete_outcome(pam_handle_t*, void* data, int) { delete static_cast<AuthOutcome*>(data); }

class UniqueFd {
 public:
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  int fd_;
};

Result<std::string> read_small_file(const char* path) {
  const UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) return fail(ErrorCode::kIo, std::string(path) + ": " + std::strerror(errno));
  std::string text;
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(ErrorCode::kIo, std::string(path) + ": " + std::strerror(errno));
    if (n == 0) break;
    if (text.size() + static_cast<std::size_t>(n) > kMaxPasswdBytes) {
      return fail(ErrorCode::kIo, std::string(path) + ": larger than 64 MiB");
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return text;
}

Error error_from_pam(pam_handle_t* pamh, int rc, std::string_view what) {
  ErrorCode code = ErrorCode::kConversation;
  if (rc == PAM_BUF_ERR) code = ErrorCode::kNoMemory;
  if (rc == PAM_AUTH_ERR) code = ErrorCode::kCredentialsRefused;  // use_first_pass with no earlier password
  if (rc == PAM_SYSTEM_ERR || rc == PAM_SERVICE_ERR) code = ErrorCode::kInternal;
  return Error{code, std::string(what) + ": " + pam_strerror(pamh, rc), {}};
}

}  // namespace

void PamSyslogLogger::log(LogLevel level, std::string_view message) noexcept {
  if (level == LogLevel::kDebug && !debug_) return;
  char line[2048];
  const int length = static_cast<int>(std::min(message.size(), sizeof line - 1));
  std::snprintf(line, sizeof line, "%.*s", length, message.data());
  pam_syslog(pamh_, syslog_priority(level), "%s", line);
}

Result<std::string> PamHandleHost::user() {
  const char* name = nullptr;
  const int rc = pam_get_user(pamh_, &name, nullptr);
  if (rc != PAM_SUCCESS) return std::unexpected(error_from_pam(pamh_, rc, "pam_get_user"));
  if (name == nullptr) return fail(ErrorCode::kUserUnknown, "no user name");
  return std::string(name);
}

std::string PamHandleHost::service() const {
  const void* item = nullptr;
  if (pam_get_item(pamh_, PAM_SERVICE, &item) != PAM_SUCCESS || item == nullptr) return {};
  return std::string(static_cast<const char*>(item));
}

Result<Secret> PamHandleHost::authtok() {
  const char* token = nullptr;
  const int rc = pam_get_authtok(pamh_, PAM_AUTHTOK, &token, nullptr);
  if (rc != PAM_SUCCESS) return std::unexpected(error_from_pam(pamh_, rc, "pam_get_authtok"));
  if (token == nullptr) return fail(ErrorCode::kConversation, "pam_get_authtok returned no password");
  return Secret(std::string_view(token));
}

Result<Ok> PamHandleHost::keep(AuthOutcome outcome) {
  auto data = std::make_unique<AuthOutcome>(std::move(outcome));
  const int rc = pam_set_data(pamh_, kOutcomeKey, data.get(), delete_outcome);
  if (rc != PAM_SUCCESS) return std::unexpected(error_from_pam(pamh_, rc, "pam_set_data"));
  data.release();  // owned by the PAM handle now
  return Ok{};
}

const AuthOutcome* PamHandleHost::kept() const {
  const void* data = nullptr;
  if (pam_get_data(pamh_, kOutcomeKey, &data) != PAM_SUCCESS) return nullptr;
  return static_cast<const AuthOutcome*>(data);
}

// Both come from the module's once-per-process cache (pam_process_cache.hpp), reused only
// while the files they were read from are unchanged.
Result<Config> PamSystemDeps::load_config(const std::string& path) {
  auto loaded = load_config_cached(path);
  if (!loaded) return std::unexpected(std::move(loaded.error()));
  config_generation_ = loaded->generation;
  return std::move(loaded->config);
}

Result<std::shared_ptr<OidcContext>> PamSystemDeps::context(const Config& config) {
  return context_cached(config, config_generation_);
}

Result<std::unique_ptr<AccountStore>> PamSystemDeps::open_store(const Config& config) {
  return AccountStore::open(config, clock_);
}

Result<bool> PamSystemDeps::in_local_files(std::string_view name) {
  auto text = read_small_file(kPasswdPath);
  if (!text) return std::unexpected(std::move(text.error()));
  return passwd_text_has_name(*text, name);
}

std::optional<std::uint32_t> PamSystemDeps::resolved_uid(std::string_view name) {
  if (last_uid_ && last_uid_->first == name) return last_uid_->second;
  auto uid = lookup_uid(std::string(name));
  last_uid_.emplace(std::string(name), uid);
  return uid;
}

std::optional<std::uint32_t> PamSystemDeps::lookup_uid(const std::string& key) {
  std::vector<char> buffer(4096);
  for (;;) {
    passwd entry{};
    passwd* found = nullptr;
    const int rc = getpwnam_r(key.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (rc == ERANGE && buffer.size() < kMaxPwBuffer) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (rc != 0 || found == nullptr) return std::nullopt;
    return static_cast<std::uint32_t>(found->pw_uid);
  }
}

bool PamSystemDeps::privileged() const { return ::geteuid() == 0; }

PamCall::PamCall(pam_handle_t* pamh, int flags, int argc, const char** argv)
    : args_(parse_pam_args(argc, argv)), host_(pamh, flags, args_.debug), deps_(), logger_scope_(host_.logger()) {
  for (const std::string& word : args_.unknown) {
    host_.logger().log(LogLevel::kWarning, "ignoring unknown module argument '" + word + "'");
  }
}

}  // namespace oidc_sysauth
