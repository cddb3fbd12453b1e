#include "net/disk_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "jose/json_fields.hpp"

namespace oidc_sysauth {
namespace {

constexpr std::size_t kMaxCacheFileBytes = 2 * 1024 * 1024;
constexpr int kEnvelopeVersion = 1;

struct Fd {
  int fd = -1;
  explicit Fd(int f) noexcept : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string errno_text(std::string_view what, const std::string& path) {
  return std::string(what) + " " + path + ": " + std::strerror(errno);
}

// 64-bit FNV-1a: only names the file; the envelope carries the full URL and is compared.
std::string url_hash(std::string_view url) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : url) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) out[static_cast<std::size_t>(i)] = kHex[h & 0xF];
  return out;
}

bool root_owned_not_writable_by_others(const struct stat& st) noexcept {
  return st.st_uid == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

Result<std::string> read_trusted_file(const std::string& path) {
  Fd f(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (f.fd < 0) {
    if (errno == ENOENT) return fail(ErrorCode::kNotFound, "no cache file " + path);
    return fail(ErrorCode::kIo, errno_text("open", path));
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return fail(ErrorCode::kIo, errno_text("fstat", path));
  if (!S_ISREG(st.st_mode) || !root_owned_not_writable_by_others(st))
    return fail(ErrorCode::kCorrupt, path + ": not a root-owned regular file", "untrusted_file");
  if (static_cast<std::size_t>(st.st_size) > kMaxCacheFileBytes)
    return fail(ErrorCode::kCorrupt, path + ": too large", "too_large");
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    ssize_t n = ::read(f.fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(ErrorCode::kIo, errno_text("read", path));
    got += static_cast<std::size_t>(n);
  }
  return text;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// The directory must be root-owned and not writable by others; created (0755) if root.
Result<Ok> prepare_dir(const std::string& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT || ::geteuid() != 0) return fail(ErrorCode::kIo, errno_text("stat", dir));
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return fail(ErrorCode::kIo, errno_text("mkdir", dir));
    if (::lstat(dir.c_str(), &st) != 0) return fail(ErrorCode::kIo, errno_text("stat", dir));
  }
  if (!S_ISDIR(st.st_mode) || !root_owned_not_writable_by_others(st))
    return fail(ErrorCode::kIo, dir + ": not a root-owned directory closed to others");
  if (::access(dir.c_str(), W_OK) != 0) return fail(ErrorCode::kIo, errno_text("access", dir));
  return Ok{};
}

}  // namespace

std::string DiskCache::path_for(std::string_view kind, std::string_view url) const {
  return dir_ + "/" + std::string(kind) + "-" + url_hash(url) + ".json";
}

Result<CachedDocument> DiskCache::load(std::string_view kind, std::string_view url) const {
  if (!enabled()) return fail(ErrorCode::kNotFound, "disk cache disabled");
  const std::string path = path_for(kind, url);
  struct stat dst {};
  if (::stat(dir_.c_str(), &dst) != 0) return fail(ErrorCode::kNotFound, errno_text("stat", dir_));
  if (!S_ISDIR(dst.st_mode) || !root_owned_not_writable_by_others(dst))
    return fail(ErrorCode::kCorrupt, dir_ + ": cache directory not trusted", "untrusted_file");
  auto text = read_trusted_file(path);
  if (!text) return std::unexpected(text.error());
  auto doc = parse_json_object(*text, JsonLimits{kMaxCacheFileBytes, 8});
  if (!doc) return fail(ErrorCode::kCorrupt, path + ": " + doc.error().detail, "corrupt");
  auto version = read_int64(*doc, "version", 0, 1000);
  auto k = read_string(*doc, "kind");
  auto u = read_string(*doc, "url");
  auto fetched = read_int64(*doc, "fetched_at", 0, kMaxUnixTime);
  auto expires = read_int64(*doc, "expires_at", 0, kMaxUnixTime);
  auto body = read_string(*doc, "body");
  if (!version || !k || !u || !fetched || !expires || !body || *version != kEnvelopeVersion)
    return fail(ErrorCode::kCorrupt, path + ": bad envelope", "corrupt");
  if (*k != kind || *u != url) return fail(ErrorCode::kCorrupt, path + ": envelope names another document", "corrupt");
  const std::int64_t now = clock_.now_unix();
  if (*fetched > now + 300 || *expires - *fetched > 86400 + 60)
    return fail(ErrorCode::kCorrupt, path + ": implausible timestamps", "corrupt");
  if (*expires <= now) return fail(ErrorCode::kNotFound, path + ": expired");
  return CachedDocument{std::move(*body), *fetched, *expires};
}

Result<Ok> DiskCache::store(std::string_view kind, std::string_view url, const CachedDocument& doc) const {
  if (!enabled()) return Ok{};
  if (auto r = prepare_dir(dir_); !r) return r;
  nlohmann::json envelope = {{"version", kEnvelopeVersion}, {"kind", kind},           {"url", url},
                             {"fetched_at", doc.fetched_at}, {"expires_at", doc.expires_at}, {"body", doc.body}};
  const std::string text = envelope.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  static std::atomic<unsigned> counter{0};
  const std::string final_path = path_for(kind, url);
  const std::string tmp = final_path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  {
    Fd f(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (f.fd < 0) return fail(ErrorCode::kIo, errno_text("create", tmp));
    const bool ok = ::fchmod(f.fd, 0644) == 0 && write_all(f.fd, text) && ::fsync(f.fd) == 0;
    if (!ok) {
      auto err = errno_text("write", tmp);
      ::unlink(tmp.c_str());
      return fail(ErrorCode::kIo, err);
    }
  }
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
    auto err = errno_text("rename", tmp);
    ::unlink(tmp.c_str());
    return fail(ErrorCode::kIo, err);
  }
  return Ok{};
}

}  // namespace oidc_sysauth
