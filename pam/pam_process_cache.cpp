#include "pam_process_cache.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "present/qr_presenter.hpp"

namespace oidc_sysauth {

namespace {

// Config paths come from module arguments (the admin's stack files): a handful at most.
// Beyond this many, further paths are simply not cached.
constexpr std::size_t kMaxConfigPaths = 8;
// What libcurl reads when [idp] ca_file is empty (Debian's bundle, as curl_http_client.cpp).
constexpr const char* kDefaultCaBundle = "/etc/ssl/certs/ca-certificates.crt";

// The pam_sm_* call running on this thread routes the cached contexts' log lines to its own
// pam_syslog logger. A plain pointer: thread_local with a trivial type, nothing to destroy.
thread_local Logger* t_call_logger = nullptr;

class ForwardingLogger final : public Logger {
 public:
  void log(LogLevel level, std::string_view message) noexcept override {
    if (t_call_logger != nullptr) t_call_logger->log(level, message);
  }
  [[nodiscard]] bool debug_enabled() const noexcept override {
    return t_call_logger != nullptr && t_call_logger->debug_enabled();
  }
};

// What stat says about a file; equal stamps mean the file was not replaced or written.
struct FileStamp {
  bool present = false;
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  mode_t mode = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  timespec mtime{};
  timespec ctime{};

  bool operator==(const FileStamp& o) const noexcept {
    return present == o.present && dev == o.dev && ino == o.ino && size == o.size && mode == o.mode && uid == o.uid &&
           gid == o.gid && mtime.tv_sec == o.mtime.tv_sec && mtime.tv_nsec == o.mtime.tv_nsec &&
           ctime.tv_sec == o.ctime.tv_sec && ctime.tv_nsec == o.ctime.tv_nsec;
  }
};

// lstat, as the readers open with O_NOFOLLOW: a symlink never stamps like the regular file.
FileStamp stamp_of(const std::string& path) {
  FileStamp s;
  struct stat st {};
  if (path.empty() || ::lstat(path.c_str(), &st) != 0) return s;
  s.present = true;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.size = st.st_size;
  s.mode = st.st_mode;
  s.uid = st.st_uid;
  s.gid = st.st_gid;
  s.mtime = st.st_mtim;
  s.ctime = st.st_ctim;
  return s;
}

// Every file OidcContext::create reads, stamped BEFORE it reads them: a change after the
// stamp makes the next call's stamps differ, so a context never outlives what it read.
std::vector<FileStamp> context_inputs(const Config& config) {
  return {stamp_of(config.idp.client_secret_file), stamp_of(config.idp.management_client_secret_file),
          stamp_of(config.idp.ca_file.empty() ? std::string(kDefaultCaBundle) : config.idp.ca_file)};
}

// A context with the logger and presenter it points to; handed out through an aliasing
// shared_ptr, so the three die together when the last user lets go.
struct ContextHolder {
  ForwardingLogger logger;
  QrDevicePresenter presenter;  // device grant: QR code + URL + code as PAM_TEXT_INFO
  std::shared_ptr<OidcContext> context;
};

struct Slot {
  FileStamp config_stamp;
  Config config;
  std::uint64_t generation = 0;          // of `config`
  std::uint64_t context_generation = 0;  // of the config `context` was built from
  pid_t context_pid = 0;
  std::vector<FileStamp> context_stamps;
  std::shared_ptr<OidcContext> context;  // built in process context_pid
};

struct ProcessState {
  std::mutex mutex;
  std::map<std::string, Slot> slots;
  std::uint64_t next_generation = 1;
  // Contexts inherited across fork(): their connections belong to the parent, and closing
  // them here would send a TLS close_notify on the parent's socket. Kept, never used.
  std::vector<std::shared_ptr<OidcContext>> inherited;
};

// Never destroyed: the module is -z nodelete, and tearing libcurl handles down inside a
// host's exit() (after its own atexit handlers) is what we must not do.
ProcessState& state() {
  static ProcessState* const s = new ProcessState();
  return *s;
}

Result<std::shared_ptr<OidcContext>> create_context(const Config& config) {
  auto holder = std::make_shared<ContextHolder>();
  ContextOptions options;
  options.logger = &holder->logger;
  options.device_presenter = &holder->presenter;
  auto context = OidcContext::create(config, options);
  if (!context) return std::unexpected(std::move(context.error()));
  holder->context = std::move(*context);
  OidcContext* raw = holder->context.get();
  return std::shared_ptr<OidcContext>(std::move(holder), raw);
}

}  // namespace

Result<LoadedConfig> load_config_cached(const std::string& path) {
  const FileStamp stamp = stamp_of(path);  // before reading: a later change is seen next time
  ProcessState& s = state();
  if (stamp.present) {
    const std::lock_guard lock(s.mutex);
    auto it = s.slots.find(path);
    if (it != s.slots.end() && it->second.config_stamp == stamp) {
      return LoadedConfig{it->second.config, it->second.generation};
    }
  }
  auto config = load_config(path);
  if (!config) return std::unexpected(std::move(config.error()));
  if (!stamp.present) return LoadedConfig{std::move(*config), 0};
  const std::lock_guard lock(s.mutex);
  auto it = s.slots.find(path);
  if (it == s.slots.end()) {
    if (s.slots.size() >= kMaxConfigPaths) return LoadedConfig{std::move(*config), 0};
    it = s.slots.emplace(path, Slot{}).first;
  }
  Slot& slot = it->second;
  slot.config_stamp = stamp;
  slot.config = *config;
  slot.generation = s.next_generation++;  // the older context is replaced when next asked for
  return LoadedConfig{std::move(*config), slot.generation};
}

Result<std::shared_ptr<OidcContext>> context_cached(const Config& config, std::uint64_t generation) {
  if (generation == 0) return create_context(config);
  const std::vector<FileStamp> inputs = context_inputs(config);
  const pid_t pid = ::getpid();
  ProcessState& s = state();
  {
    const std::lock_guard lock(s.mutex);
    auto it = s.slots.find(config.path);
    if (it != s.slots.end()) {
      Slot& slot = it->second;
      if (slot.context && slot.context_pid != pid) s.inherited.push_back(std::move(slot.context));
      if (slot.context && slot.context_generation == generation && slot.context_stamps == inputs) return slot.context;
    }
  }
  auto context = create_context(config);  // outside the lock: it reads files
  if (!context) return std::unexpected(std::move(context.error()));
  const std::lock_guard lock(s.mutex);
  auto it = s.slots.find(config.path);
  if (it != s.slots.end() && it->second.generation == generation) {
    Slot& slot = it->second;
    if (slot.context && slot.context_pid != pid) s.inherited.push_back(std::move(slot.context));
    slot.context = *context;  // an older one lives on while another thread still uses it
    slot.context_generation = generation;
    slot.context_pid = pid;
    slot.context_stamps = inputs;
  }
  return *context;
}

ScopedModuleLogger::ScopedModuleLogger(Logger& logger) noexcept : previous_(t_call_logger) { t_call_logger = &logger; }

ScopedModuleLogger::~ScopedModuleLogger() { t_call_logger = previous_; }

}  // namespace oidc_sysauth
