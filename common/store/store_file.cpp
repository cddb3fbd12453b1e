#include "store/store_file.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "store/store_format.hpp"

namespace oidc_sysauth::store {

namespace {

constexpr const char* kNscdSocket = "/var/run/nscd/socket";
constexpr const char* kNscdPath = "/usr/sbin/nscd";

void sleep_ms(long ms) noexcept {
  struct timespec ts {
    ms / 1000, (ms % 1000) * 1'000'000
  };
  while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

Result<Ok> write_all(int fd, std::string_view bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorCode::kIo, errno_text("write"));
    }
    done += static_cast<std::size_t>(n);
  }
  return Ok{};
}

// Readers that still map the replaced file see this flag in their mapping and remap
// (FORMAT.md, "superseded"). Only when the old inode is now unlinked: a hard link an
// admin made (a backup) is never written to.
void mark_superseded(int fd) noexcept {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 0 ||
      st.st_size < static_cast<off_t>(kHeaderSize)) {
    return;
  }
  unsigned char magic[sizeof kMagic];
  if (::pread(fd, magic, sizeof magic, 0) != static_cast<ssize_t>(sizeof magic) ||
      std::memcmp(magic, kMagic, sizeof magic) != 0) {
    return;
  }
  unsigned char one[4];
  store_u32(one, 1);
  if (::pwrite(fd, one, sizeof one, static_cast<off_t>(kOffSuperseded)) != static_cast<ssize_t>(sizeof one)) {
    return;  // best effort: readers still notice the new file at their next periodic stat
  }
}

void run_nscd_invalidate(const char* table) noexcept {
  char arg0[] = "nscd";
  char arg1[] = "-i";
  char arg2[16];
  std::snprintf(arg2, sizeof arg2, "%s", table);
  char* argv[] = {arg0, arg1, arg2, nullptr};
  char* envp[] = {nullptr};
  pid_t pid = -1;
  if (::posix_spawn(&pid, kNscdPath, nullptr, nullptr, argv, envp) != 0) return;
  for (int waited = 0; waited < 2000; waited += 10) {  // bounded
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) return;
    sleep_ms(10);
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

}  // namespace

Result<StoreLock> StoreLock::acquire(const std::string& lock_path, int timeout_ms) {
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
  if (fd < 0) return fail(ErrorCode::kIo, errno_text(lock_path));
  for (int waited = 0;; waited += 5) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return StoreLock(fd);
    if (errno != EWOULDBLOCK && errno != EINTR) {
      auto err = fail(ErrorCode::kIo, errno_text("flock " + lock_path));
      ::close(fd);
      return err;
    }
    if (waited >= timeout_ms) {
      ::close(fd);
      return fail(ErrorCode::kIo,
                  lock_path + ": still locked by another writer after " + std::to_string(timeout_ms) + " ms", "locked");
    }
    sleep_ms(5);
  }
}

StoreLock::~StoreLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the only descriptor releases the flock
}

Result<Ok> ensure_state_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return fail(ErrorCode::kIo, errno_text("mkdir " + dir));
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) return fail(ErrorCode::kIo, errno_text("stat " + dir));
  if (!S_ISDIR(st.st_mode)) return fail(ErrorCode::kIo, dir + ": not a directory");
  return Ok{};
}

void FdSink::flush() {
  if (error_ == 0 && used_ > 0) {
    if (auto w = write_all(fd_, std::string_view(buf_.data(), used_)); !w) error_ = errno != 0 ? errno : EIO;
  }
  used_ = 0;
}

void FdSink::put(const void* data, std::size_t len) {
  pos_ += len;
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    if (used_ == buf_.size()) flush();
    const std::size_t n = std::min(len, buf_.size() - used_);
    std::memcpy(buf_.data() + used_, p, n);
    used_ += n;
    p += n;
    len -= n;
  }
}

Result<Ok> FdSink::finish() {
  flush();
  if (error_ != 0) return fail(ErrorCode::kIo, std::string("write: ") + std::strerror(error_));
  return Ok{};
}

Result<Ok> replace_file_atomically(const std::string& dir, const std::string& path, std::string_view bytes) {
  return replace_file_atomically(dir, path, [bytes](int fd) { return write_all(fd, bytes); });
}

Result<PreparedFile> PreparedFile::create(const std::string& dir, const std::function<Result<Ok>(int fd)>& write_body) {
  std::string tmp = dir + "/.accounts.db.XXXXXX";
  int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return fail(ErrorCode::kIo, errno_text("create temporary file in " + dir));
  PreparedFile out(tmp);  // unlinks the file on every error path below
  auto failed = [&](Error e) {
    ::close(fd);
    return std::unexpected(std::move(e));
  };
  if (::fchmod(fd, 0644) != 0) return failed(Error{ErrorCode::kIo, errno_text("fchmod " + tmp), {}});
  if (auto w = write_body(fd); !w) return failed(w.error());
  if (::fsync(fd) != 0) return failed(Error{ErrorCode::kIo, errno_text("fsync " + tmp), {}});
  if (::close(fd) != 0) return fail(ErrorCode::kIo, errno_text("close " + tmp));
  return out;
}

PreparedFile::~PreparedFile() {
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
}

Result<Ok> PreparedFile::install(const std::string& dir, const std::string& path) {
  if (tmp_.empty()) return fail(ErrorCode::kInternal, "temporary file already installed");
  // Opened before the rename so that it is the file being replaced.
  const int old_fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
  if (::rename(tmp_.c_str(), path.c_str()) != 0) {
    auto err = fail(ErrorCode::kIo, errno_text("rename to " + path));
    if (old_fd >= 0) ::close(old_fd);
    return err;
  }
  tmp_.clear();
  if (old_fd >= 0) {
    mark_superseded(old_fd);
    ::close(old_fd);
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return fail(ErrorCode::kIo, errno_text("open " + dir));
  int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) return fail(ErrorCode::kIo, errno_text("fsync " + dir));
  return Ok{};
}

Result<Ok> replace_file_atomically(const std::string& dir, const std::string& path,
                                   const std::function<Result<Ok>(int fd)>& write_body) {
  auto prepared = PreparedFile::create(dir, write_body);
  if (!prepared) return std::unexpected(prepared.error());
  return prepared->install(dir, path);
}

void invalidate_nscd() noexcept {
  struct stat st {};
  if (::stat(kNscdSocket, &st) != 0 || !S_ISSOCK(st.st_mode)) return;
  run_nscd_invalidate("passwd");
  run_nscd_invalidate("group");
}

}  // namespace oidc_sysauth::store
