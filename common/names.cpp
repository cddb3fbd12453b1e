#include "names.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "auth/authenticator.hpp"

namespace oidc_sysauth {

namespace {

// Names Debian and common packages create for themselves. Refused even when absent
// locally: an IdP user named "postfix" must not become root of a later install.
constexpr std::string_view kReserved[] = {
    "root",       "daemon",   "bin",          "sys",      "sync",     "games",   "man",     "lp",      "mail",
    "news",       "uucp",     "proxy",        "www-data", "backup",   "list",    "irc",     "gnats",   "nobody",
    "nogroup",    "adm",      "tty",          "disk",     "kmem",     "dialout", "fax",     "voice",   "cdrom",
    "floppy",     "tape",     "sudo",         "audio",    "dip",      "src",     "shadow",  "utmp",    "video",
    "sasl",       "plugdev",  "staff",        "users",    "operator", "wheel",   "admin",   "_apt",    "sshd",
    "messagebus", "postfix",  "postdrop",     "openldap", "ssl-cert", "netdev",  "input",   "render",  "kvm",
    "crontab",    "docker",   "lxd",          "polkitd",  "avahi",    "ntp",     "_chrony", "dnsmasq", "nscd",
    "halt",       "shutdown", "oidc-sysauth",
};

constexpr std::size_t kMaxNameLength = 32;
constexpr std::size_t kMaxGecosLength = 255;

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// "re" = O_CLOEXEC (rule 9). nullptr with errno set on failure.
FilePtr open_local(const char* path) noexcept { return FilePtr(std::fopen(path, "re")); }

template <typename T>
void sort_unique(std::vector<T>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

// Every entry of a passwd- or group-format file, read with `next` (fgetpwent_r or
// fgetgrent_r) into a buffer that grows on ERANGE up to `max_buffer`, handed to `take`.
// A missing file counts as empty; glibc skips malformed lines.
template <typename Entry, typename Next, typename Take>
Result<Ok> read_entries(const std::string& path, Next next, std::size_t max_buffer, Take take) {
  FilePtr f = open_local(path.c_str());
  if (!f) {
    if (errno == ENOENT) return Ok{};
    return fail(ErrorCode::kIo, path + ": " + std::strerror(errno));
  }
  std::vector<char> buf(4096);
  for (int guard = 0; guard < 10'000'000; ++guard) {
    Entry entry{};
    Entry* res = nullptr;
    int rc = next(f.get(), &entry, buf.data(), buf.size(), &res);
    if (rc == ERANGE && buf.size() < max_buffer) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (rc == ENOENT || res == nullptr) break;  // end of file
    take(entry);
  }
  return Ok{};
}

Result<Ok> read_passwd(const std::string& path, LocalAccounts& out) {
  return read_entries<struct passwd>(path, fgetpwent_r, std::size_t{1} << 20, [&out](const struct passwd& pw) {
    out.user_names.emplace_back(pw.pw_name);
    out.uids.push_back(pw.pw_uid);
    out.gids.push_back(pw.pw_gid);
  });
}

Result<Ok> read_group(const std::string& path, LocalAccounts& out) {
  return read_entries<struct group>(path, fgetgrent_r, std::size_t{1} << 24, [&out](const struct group& gr) {
    out.group_names.emplace_back(gr.gr_name);
    out.gids.push_back(gr.gr_gid);
    out.group_gids.emplace_back(gr.gr_name, gr.gr_gid);
  });
}

}  // namespace

bool is_valid_posix_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  auto lower_or_underscore = [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; };
  if (!lower_or_underscore(name[0])) return false;
  for (char c : name.substr(1)) {
    if (!lower_or_underscore(c) && !(c >= '0' && c <= '9') && c != '-') return false;
  }
  return true;
}

bool is_reserved_name(std::string_view name) noexcept {
  if (name.starts_with("systemd-")) return true;
  return std::find(std::begin(kReserved), std::end(kReserved), name) != std::end(kReserved);
}

std::string expand_home(std::string_view home_template, std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < home_template.size(); ++i) {
    char c = home_template[i];
    if (c == '%' && i + 1 < home_template.size()) {
      char n = home_template[i + 1];
      if (n == 'u') {
        out.append(name);
        ++i;
        continue;
      }
      if (n == '%') {
        out.push_back('%');
        ++i;
        continue;
      }
    }
    out.push_back(c);
  }
  return out;
}

std::string sanitize_gecos(std::string_view display_name) {
  std::string out;
  for (char c : display_name.substr(0, kMaxGecosLength)) {
    auto u = static_cast<unsigned char>(c);
    out.push_back(c == ':' || u < 0x20 || u == 0x7f ? ' ' : c);
  }
  return out;
}

bool LocalAccounts::has_name(std::string_view name) const {
  auto in = [name](const std::vector<std::string>& v) {
    return std::binary_search(v.begin(), v.end(), name, std::less<>());
  };
  return in(user_names) || in(group_names);
}

bool LocalAccounts::has_id(std::uint32_t id) const {
  return std::binary_search(uids.begin(), uids.end(), id) || std::binary_search(gids.begin(), gids.end(), id);
}

bool LocalAccounts::group_gid(std::string_view name, std::uint32_t& gid) const {
  auto it = std::lower_bound(group_gids.begin(), group_gids.end(), name,
                             [](const auto& entry, std::string_view n) { return entry.first < n; });
  if (it == group_gids.end() || it->first != name) return false;
  gid = it->second;
  return true;
}

Result<LocalAccounts> read_local_accounts(const std::string& passwd_path, const std::string& group_path) {
  LocalAccounts out;
  if (auto r = read_passwd(passwd_path, out); !r) return std::unexpected(r.error());
  if (auto r = read_group(group_path, out); !r) return std::unexpected(r.error());
  sort_unique(out.user_names);
  sort_unique(out.group_names);
  sort_unique(out.uids);
  sort_unique(out.gids);
  // First entry of a duplicated group name wins, as it does for nss_files.
  std::stable_sort(out.group_gids.begin(), out.group_gids.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  out.group_gids.erase(std::unique(out.group_gids.begin(), out.group_gids.end(),
                                   [](const auto& a, const auto& b) { return a.first == b.first; }),
                       out.group_gids.end());
  return out;
}

bool local_name_exists(std::string_view name, const char* passwd_path, const char* group_path) noexcept {
  try {
    std::vector<char> buf(4096);
    if (FilePtr f = open_local(passwd_path)) {
      for (int guard = 0; guard < 10'000'000; ++guard) {
        struct passwd pw {};
        struct passwd* res = nullptr;
        int rc = fgetpwent_r(f.get(), &pw, buf.data(), buf.size(), &res);
        if (rc == ERANGE) {
          if (buf.size() >= (1u << 20)) return true;  // a line we cannot read might be this name
          buf.resize(buf.size() * 2);
          continue;
        }
        if (rc != 0 || res == nullptr) break;
        if (name == pw.pw_name) return true;
      }
    } else if (errno != ENOENT) {
      return true;
    }
    if (FilePtr f = open_local(group_path)) {
      for (int guard = 0; guard < 10'000'000; ++guard) {
        struct group gr {};
        struct group* res = nullptr;
        int rc = fgetgrent_r(f.get(), &gr, buf.data(), buf.size(), &res);
        if (rc == ERANGE) {
          if (buf.size() >= (1u << 24)) return true;
          buf.resize(buf.size() * 2);
          continue;
        }
        if (rc != 0 || res == nullptr) break;
        if (name == gr.gr_name) return true;
      }
    } else if (errno != ENOENT) {
      return true;
    }
    return false;
  } catch (...) {
    return true;  // out of memory: fail closed
  }
}

Result<std::string> local_name_for_login(const Config& config, std::string_view login_name) {
  std::string_view name = login_name;
  const std::string& suffix = config.idp.login_suffix;
  if (!suffix.empty() && name.size() > suffix.size() && name.ends_with(suffix)) {
    name.remove_suffix(suffix.size());
  }
  if (!is_valid_posix_name(name)) {
    return fail(ErrorCode::kUserUnknown, "login name is not a valid local account name", "invalid_name");
  }
  return std::string(name);
}

}  // namespace oidc_sysauth
