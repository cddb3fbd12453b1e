// oidc-sysauth cache show | refresh | clear — the discovery and JWKS caches under
// [accounts] cache_dir. The files are the core's; here we only list, remove and re-warm.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>

#include "auth/authenticator.hpp"
#include "commands.hpp"

namespace oidc_sysauth::cli {
namespace {

struct DirCloser {
  void operator()(DIR* d) const noexcept { closedir(d); }
};

struct CacheFile {
  std::string path;
  std::int64_t size = 0;
  std::int64_t age_seconds = 0;
  std::string summary;
};

std::string summarize(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return "not JSON (will be ignored and refetched)";
  const nlohmann::json* doc = &j;
  // The core may wrap the IdP document with its own metadata.
  for (const char* key : {"document", "body", "value"})
    if (j.contains(key) && j[key].is_object()) doc = &j[key];
  if (doc->contains("issuer") && (*doc)["issuer"].is_string()) return "discovery for " + (*doc)["issuer"].get<std::string>();
  if (doc->contains("keys") && (*doc)["keys"].is_array()) {
    std::string kids;
    for (const auto& k : (*doc)["keys"])
      if (k.is_object() && k.contains("kid") && k["kid"].is_string()) kids += (kids.empty() ? "" : ",") + k["kid"].get<std::string>();
    return "JWKS, " + std::to_string((*doc)["keys"].size()) + " keys (" + kids + ")";
  }
  return "JSON";
}

std::vector<CacheFile> list_cache(const std::string& dir) {
  std::vector<CacheFile> files;
  std::unique_ptr<DIR, DirCloser> d(opendir(dir.c_str()));
  if (!d) return files;
  const std::time_t now = std::time(nullptr);
  while (dirent* e = readdir(d.get())) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string path = dir + "/" + name;
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;  // never follow links
    files.push_back({path, static_cast<std::int64_t>(st.st_size), static_cast<std::int64_t>(now - st.st_mtime), summarize(path)});
  }
  return files;
}

int clear_cache(const std::string& dir, Output& out) {
  int removed = 0;
  for (const auto& f : list_cache(dir)) {
    if (::unlink(f.path.c_str()) == 0) ++removed;
    else out.error("cannot remove " + f.path + ": " + std::strerror(errno));
  }
  out.line("removed " + std::to_string(removed) + " cached file(s) from " + dir);
  return kExitOk;
}

}  // namespace

int run_cache(const GlobalOptions& g, const CacheOptions& o, Output& out) {
  auto config = load_config_for_cli(g, out);
  if (!config) return kExitUsage;
  const std::string& dir = config->accounts.cache_dir;
  if (o.action == "show") {
    nlohmann::json all = nlohmann::json::array();
    auto files = list_cache(dir);
    if (files.empty()) out.line("no cached discovery or JWKS in " + dir);
    for (const auto& f : files) {
      out.line(f.path + "  " + std::to_string(f.size) + " bytes, " + std::to_string(f.age_seconds) + " s old: " + f.summary);
      all.push_back({{"path", f.path}, {"bytes", f.size}, {"age_seconds", f.age_seconds}, {"summary", f.summary}});
    }
    out.emit_json(all);
    return kExitOk;
  }
  if (o.action == "clear") return clear_cache(dir, out);
  // refresh: drop what is there, then fetch discovery and JWKS again.
  clear_cache(dir, out);
  int rc = kExitOk;
  auto core = CliCore::open(*config, g.verbose, out, rc);
  if (!core) return rc;
  auto loaded = core->context().preload();
  if (!loaded) {
    out.error("refresh failed: " + loaded.error().detail);
    return exit_code_for(loaded.error());
  }
  out.line("discovery and JWKS fetched again into " + dir);
  out.emit_json({{"refreshed", true}, {"cache_dir", dir}});
  return kExitOk;
}

}  // namespace oidc_sysauth::cli
