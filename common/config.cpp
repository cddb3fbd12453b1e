#include "config.hpp"

#include <fcntl.h>
#include <ini.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <sstream>

#include "secret.hpp"

namespace oidc_sysauth {
namespace {

// inih reads at most this many bytes per line (Debian builds it with the default);
// longer lines would be split silently, so we refuse them up front.
constexpr std::size_t kMaxLine = 198;
constexpr std::size_t kMaxConfigBytes = 1 << 20;

std::vector<std::string> split_words(std::string_view value) {
  std::vector<std::string> out;
  std::string current;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == ',') {
      if (!current.empty()) out.push_back(std::move(current));
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
}

struct ParseState {
  Config config;
  std::string error;  // "key 'x': why"
  std::map<std::string, int> seen_scalars;
};

using Setter = std::function<std::string(ParseState&, const std::string& section, std::string_view value)>;

std::string parse_bool(std::string_view v, bool& out) {
  if (v == "true" || v == "yes" || v == "1") {
    out = true;
  } else if (v == "false" || v == "no" || v == "0") {
    out = false;
  } else {
    return "expected true or false, got '" + std::string(v) + "'";
  }
  return {};
}

template <typename Int>
std::string parse_int(std::string_view v, Int& out, long long lo, long long hi) {
  long long parsed = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), parsed);
  if (ec != std::errc() || ptr != v.data() + v.size() || v.empty()) return "expected a number, got '" + std::string(v) + "'";
  if (parsed < lo || parsed > hi) return "must be between " + std::to_string(lo) + " and " + std::to_string(hi);
  out = static_cast<Int>(parsed);
  return {};
}

std::string parse_grant(std::string_view v, GrantType& out) {
  if (v == "auto") out = GrantType::kAuto;
  else if (v == "password") out = GrantType::kPassword;
  else if (v == "device") out = GrantType::kDevice;
  else return "expected password, device or auto";
  return {};
}

std::string parse_pairs(std::string_view v, std::vector<std::pair<std::string, std::string>>& out, char sep) {
  for (const auto& word : split_words(v)) {
    auto pos = word.find(sep);
    if (pos == std::string::npos || pos == 0 || pos + 1 == word.size())
      return "expected entries of the form a" + std::string(1, sep) + "b, got '" + word + "'";
    out.emplace_back(word.substr(0, pos), word.substr(pos + 1));
  }
  return {};
}

std::string parse_absolute_path(std::string_view v, std::string& out) {
  if (!v.empty() && v.front() != '/') return "must be an absolute path";
  out = std::string(v);
  return {};
}

// Keys of [access] and [service:*]; they write into the AccessConfig chosen by section.
AccessConfig& access_target(ParseState& s, const std::string& section) {
  if (section == "access") return s.config.access;
  return s.config.services[section.substr(std::strlen("service:"))];
}

const std::map<std::string, Setter>& access_setters() {
  static const auto* setters = new std::map<std::string, Setter>{
      {"allowed_groups", [](ParseState& s, const std::string& sec, std::string_view v) {
         auto& t = access_target(s, sec);
         if (!t.allowed_groups) t.allowed_groups.emplace();
         for (auto& w : split_words(v)) t.allowed_groups->push_back(std::move(w));
         return std::string();
       }},
      {"require", [](ParseState& s, const std::string& sec, std::string_view v) {
         auto& t = access_target(s, sec);
         if (!t.require) t.require.emplace();
         return parse_pairs(v, *t.require, '=');
       }},
      {"grant", [](ParseState& s, const std::string& sec, std::string_view v) {
         GrantType g{};
         auto err = parse_grant(v, g);
         if (err.empty()) access_target(s, sec).grant = g;
         return err;
       }},
      {"allow_proxy", [](ParseState& s, const std::string& sec, std::string_view v) {
         bool b = false;
         auto err = parse_bool(v, b);
         if (err.empty()) access_target(s, sec).allow_proxy = b;
         return err;
       }},
  };
  return *setters;
}

#define OIDC_STR(field) [](ParseState& s, const std::string&, std::string_view v) { s.config.field = std::string(v); return std::string(); }
#define OIDC_PATH(field) [](ParseState& s, const std::string&, std::string_view v) { return parse_absolute_path(v, s.config.field); }
#define OIDC_BOOL(field) [](ParseState& s, const std::string&, std::string_view v) { return parse_bool(v, s.config.field); }
#define OIDC_LIST(field) [](ParseState& s, const std::string&, std::string_view v) { for (auto& w : split_words(v)) s.config.field.push_back(std::move(w)); return std::string(); }

// List-valued keys append (so continuation lines work); scalars may appear once.
const std::map<std::string, Setter>& global_setters() {
  static const auto* setters = new std::map<std::string, Setter>{
      {"idp.issuer", OIDC_STR(idp.issuer)},
      {"idp.client_id", OIDC_STR(idp.client_id)},
      {"idp.client_secret_file", OIDC_PATH(idp.client_secret_file)},
      {"idp.client_auth", [](ParseState& s, const std::string&, std::string_view v) {
         auto& o = s.config.idp.client_auth;
         if (v == "auto") o = ClientAuth::kAuto;
         else if (v == "client_secret_basic" || v == "basic") o = ClientAuth::kBasic;
         else if (v == "client_secret_post" || v == "post") o = ClientAuth::kPost;
         else if (v == "none") o = ClientAuth::kNone;
         else return std::string("expected auto, client_secret_basic, client_secret_post or none");
         return std::string();
       }},
      {"idp.scopes", OIDC_STR(idp.scopes)},
      {"idp.audience", OIDC_LIST(idp.audience)},
      {"idp.resource", OIDC_STR(idp.resource)},
      {"idp.ca_file", OIDC_PATH(idp.ca_file)},
      {"idp.allow_http", OIDC_BOOL(idp.allow_http)},
      {"idp.timeout", [](ParseState& s, const std::string&, std::string_view v) { return parse_int(v, s.config.idp.timeout_seconds, 1, 120); }},
      {"idp.grant", [](ParseState& s, const std::string&, std::string_view v) { return parse_grant(v, s.config.idp.grant); }},
      {"idp.algorithms", [](ParseState& s, const std::string&, std::string_view v) {
         static const char* const kKnown[] = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"};
         auto words = split_words(v);
         for (const auto& w : words) {
           bool ok = false;
           for (const char* k : kKnown) ok = ok || w == k;
           if (!ok) return "algorithm '" + w + "' is not supported (none and HMAC are never accepted)";
         }
         s.config.idp.algorithms = std::move(words);
         return std::string();
       }},
      {"idp.introspect_opaque", OIDC_BOOL(idp.introspect_opaque)},
      {"idp.second_factor", [](ParseState& s, const std::string&, std::string_view v) {
         auto& o = s.config.idp.second_factor;
         if (v == "prompt") o = SecondFactor::kPrompt;
         else if (v == "device") o = SecondFactor::kDevice;
         else if (v == "refuse") o = SecondFactor::kRefuse;
         else return std::string("expected prompt, device or refuse");
         return std::string();
       }},
      {"idp.otp_field", OIDC_STR(idp.otp_field)},
      {"idp.login_suffix", OIDC_STR(idp.login_suffix)},
      {"idp.password_change_url", OIDC_STR(idp.password_change_url)},
      {"idp.cache_ttl", [](ParseState& s, const std::string&, std::string_view v) { return parse_int(v, s.config.idp.cache_ttl_seconds, 60, 7 * 86400); }},
      {"idp.device_timeout", [](ParseState& s, const std::string&, std::string_view v) { return parse_int(v, s.config.idp.device_timeout_seconds, 10, 3600); }},
      {"idp.password_check", [](ParseState& s, const std::string&, std::string_view v) {
         if (v == "grant") s.config.idp.password_check = PasswordCheck::kGrant;
         else if (v == "logto_management_api") s.config.idp.password_check = PasswordCheck::kLogtoManagementApi;
         else return std::string("expected grant or logto_management_api");
         return std::string();
       }},
      {"idp.management_endpoint", OIDC_STR(idp.management_endpoint)},
      {"idp.management_client_id", OIDC_STR(idp.management_client_id)},
      {"idp.management_client_secret_file", OIDC_PATH(idp.management_client_secret_file)},
      {"idp.management_resource", OIDC_STR(idp.management_resource)},
      {"idp.management_lookup", [](ParseState& s, const std::string&, std::string_view v) {
         if (v != "username" && v != "email") return std::string("expected username or email");
         s.config.idp.management_lookup = std::string(v);
         return std::string();
       }},
      {"claims.username", OIDC_STR(claims.username)},
      {"claims.display_name", OIDC_STR(claims.display_name)},
      {"claims.groups", [](ParseState& s, const std::string&, std::string_view v) {
         // The first occurrence replaces the default list; continuation lines append.
         if (s.seen_scalars["claims.groups"]++ == 0) s.config.claims.groups.clear();
         for (auto& w : split_words(v)) s.config.claims.groups.push_back(std::move(w));
         return std::string();
       }},
      {"claims.uid", OIDC_STR(claims.uid)},
      {"accounts.uid_min", [](ParseState& s, const std::string&, std::string_view v) { return parse_int(v, s.config.accounts.uid_min, 1000, 4294967294LL); }},
      {"accounts.uid_max", [](ParseState& s, const std::string&, std::string_view v) { return parse_int(v, s.config.accounts.uid_max, 1000, 4294967294LL); }},
      {"accounts.home", OIDC_STR(accounts.home)},
      {"accounts.shell", OIDC_PATH(accounts.shell)},
      {"accounts.group_map", [](ParseState& s, const std::string&, std::string_view v) { return parse_pairs(v, s.config.accounts.group_map, ':'); }},
      {"accounts.unmapped_groups", [](ParseState& s, const std::string&, std::string_view v) {
         if (v == "prefix") s.config.accounts.unmapped_groups = UnmappedGroups::kPrefix;
         else if (v == "ignore") s.config.accounts.unmapped_groups = UnmappedGroups::kIgnore;
         else return std::string("expected prefix or ignore");
         return std::string();
       }},
      {"accounts.group_prefix", OIDC_STR(accounts.group_prefix)},
      {"accounts.state_dir", OIDC_PATH(accounts.state_dir)},
      {"accounts.cache_dir", OIDC_PATH(accounts.cache_dir)},
      {"accounts.enumerate", OIDC_BOOL(accounts.enumerate)},
      {"accounts.provisional_users", OIDC_LIST(accounts.provisional_users)},
  };
  return *setters;
}

#undef OIDC_STR
#undef OIDC_PATH
#undef OIDC_BOOL
#undef OIDC_LIST

bool is_list_key(const std::string& key) {
  return key == "idp.audience" || key == "claims.groups" || key == "accounts.group_map" ||
         key == "accounts.provisional_users";
}

int on_entry(void* user, const char* section_c, const char* name_c, const char* value_c) {
  auto& state = *static_cast<ParseState*>(user);
  if (!state.error.empty()) return 0;
  std::string section(section_c), name(name_c);
  std::string_view value(value_c);
  if (section.rfind("service:", 0) == 0 || section == "access") {
    if (section == "service:") {
      state.error = "section [service:] needs a service name";
      return 0;
    }
    auto it = access_setters().find(name);
    if (it == access_setters().end()) {
      state.error = "unknown key '" + name + "' in [" + section + "]";
      return 0;
    }
    if (name != "allowed_groups" && name != "require" && state.seen_scalars[section + "." + name]++ > 0) {
      state.error = "key '" + name + "' given twice in [" + section + "]";
      return 0;
    }
    auto err = it->second(state, section, value);
    if (!err.empty()) state.error = "key '" + name + "': " + err;
    return err.empty() ? 1 : 0;
  }
  std::string key = section + "." + name;
  auto it = global_setters().find(key);
  if (it == global_setters().end()) {
    state.error = section.empty() ? "key '" + name + "' outside any section" : "unknown key '" + name + "' in [" + section + "]";
    return 0;
  }
  if (!is_list_key(key) && state.seen_scalars[key]++ > 0) {
    state.error = "key '" + name + "' given twice in [" + section + "]";
    return 0;
  }
  auto err = it->second(state, section, value);
  if (!err.empty()) state.error = "key '" + name + "': " + err;
  return err.empty() ? 1 : 0;
}

std::string validate(const Config& c) {
  if (c.idp.issuer.empty()) return "[idp] issuer is required";
  if (c.idp.client_id.empty()) return "[idp] client_id is required";
  if (c.idp.issuer.rfind("https://", 0) != 0 && !(c.idp.allow_http && c.idp.issuer.rfind("http://", 0) == 0))
    return "[idp] issuer must be an https:// URL (http:// needs allow_http = true and a loopback host)";
  if (c.accounts.uid_min > c.accounts.uid_max) return "[accounts] uid_min is greater than uid_max";
  if (c.accounts.uid_max - c.accounts.uid_min < 1000) return "[accounts] uid range must span at least 1000 ids";
  if (c.accounts.home.empty() || c.accounts.home.front() != '/') return "[accounts] home must be an absolute path";
  if (c.idp.password_check == PasswordCheck::kLogtoManagementApi &&
      (c.idp.management_endpoint.empty() || c.idp.management_client_id.empty()))
    return "[idp] password_check = logto_management_api needs management_endpoint and management_client_id";
  return {};
}

}  // namespace

const char* grant_type_name(GrantType grant) noexcept {
  switch (grant) {
    case GrantType::kAuto: return "auto";
    case GrantType::kPassword: return "password";
    case GrantType::kDevice: return "device";
  }
  return "auto";
}

const AccessConfig* Config::service_section(std::string_view service) const {
  auto it = services.find(service);
  return it == services.end() ? nullptr : &it->second;
}

AccessConfig Config::access_for(std::string_view service) const {
  AccessConfig merged = access;
  const AccessConfig* section = service_section(service);
  if (section == nullptr) return merged;
  const AccessConfig& o = *section;
  if (o.allowed_groups) merged.allowed_groups = o.allowed_groups;
  if (o.require) merged.require = o.require;
  if (o.grant) merged.grant = o.grant;
  if (o.allow_proxy) merged.allow_proxy = o.allow_proxy;
  return merged;
}

GrantType Config::grant_for(std::string_view service) const {
  auto a = access_for(service);
  return a.grant.value_or(idp.grant);
}

std::vector<std::string> Config::audiences() const {
  if (!idp.audience.empty()) return idp.audience;
  return {idp.client_id};
}

Result<Config> parse_config(std::string_view text, std::string_view name) {
  if (text.size() > kMaxConfigBytes) return fail(ErrorCode::kConfig, std::string(name) + ": file too large");
  if (text.find('\0') != std::string_view::npos) return fail(ErrorCode::kConfig, std::string(name) + ": file contains a NUL byte");
  int line_no = 1;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    if (end - start > kMaxLine)
      return fail(ErrorCode::kConfig, std::string(name) + ":" + std::to_string(line_no) +
                                          ": line longer than " + std::to_string(kMaxLine) +
                                          " characters; continue a list on an indented next line");
    start = end + 1;
    ++line_no;
  }
  auto state = std::make_unique<ParseState>();
  std::string copy(text);
  int rc = ini_parse_string(copy.c_str(), on_entry, state.get());
  if (rc != 0 || !state->error.empty()) {
    std::string why = state->error.empty() ? "syntax error (expected [section] or key = value)" : state->error;
    return fail(ErrorCode::kConfig, std::string(name) + ":" + std::to_string(rc > 0 ? rc : 0) + ": " + why);
  }
  auto err = validate(state->config);
  if (!err.empty()) return fail(ErrorCode::kConfig, std::string(name) + ": " + err);
  state->config.path = std::string(name);
  return std::move(state->config);
}

namespace {

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

Result<std::string> read_checked_file(const std::string& path, bool trust_owner, bool secret) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
  if (fd < 0) return fail(ErrorCode::kConfig, path + ": cannot open: " + std::strerror(errno));
  FdCloser closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail(ErrorCode::kConfig, path + ": cannot stat: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return fail(ErrorCode::kConfig, path + ": not a regular file");
  const mode_t perm = st.st_mode & 07777;
  if (!trust_owner) {
    if (st.st_uid != 0) return fail(ErrorCode::kConfig, path + ": must be owned by root");
    if (secret) {
      const bool owner_only = perm == 0600 || perm == 0400;
      const bool group_read = st.st_gid != 0 && (perm == 0640 || perm == 0440);
      if (!owner_only && !group_read) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(perm));
        return fail(ErrorCode::kConfig, path + ": mode " + mode +
                                            " is unsafe for a secret; use 0600 root:root, or 0640 root:<service group>");
      }
    } else if ((perm & 022) != 0) {
      return fail(ErrorCode::kConfig, path + ": must not be writable by group or others");
    }
  }
  std::string data;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      secure_zero(buf, sizeof buf);
      return fail(ErrorCode::kConfig, path + ": read error: " + std::strerror(errno));
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() > kMaxConfigBytes) break;
  }
  secure_zero(buf, sizeof buf);
  if (data.size() > kMaxConfigBytes) return fail(ErrorCode::kConfig, path + ": file too large");
  return data;
}

}  // namespace

Result<Config> load_config(const std::string& path, bool trust_owner) {
  auto text = read_checked_file(path, trust_owner, false);
  if (!text) return std::unexpected(text.error());
  return parse_config(*text, path);
}

Result<Secret> read_secret_file(const std::string& path) {
  auto text = read_checked_file(path, false, true);
  if (!text) return std::unexpected(text.error());
  Secret secret;
  {
    std::string& raw = *text;
    std::size_t len = raw.find_first_of("\r\n");
    if (len == std::string::npos) len = raw.size();
    secret = Secret(std::string_view(raw).substr(0, len));
    secure_zero(raw.data(), raw.size());
  }
  if (secret.empty()) return fail(ErrorCode::kConfig, path + ": secret file is empty");
  return secret;
}

std::vector<std::string> known_config_keys() {
  std::vector<std::string> keys;
  for (const auto& [k, _] : global_setters()) keys.push_back(k);
  for (const auto& [k, _] : access_setters()) {
    keys.push_back("access." + k);
    keys.push_back("service." + k);
  }
  return keys;
}

}  // namespace oidc_sysauth
