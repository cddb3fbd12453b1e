#pragma once
// Reads the test IdP's env file (KEY=VALUE lines written by tests/idp/server.js, see
// tests/idp/CONTRACT.md) named by $OIDC_IDP_ENV. For integration tests only: production code
// never reads the environment.

#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

namespace oidc_sysauth::testing {

using IdpEnv = std::map<std::string, std::string>;

// Parses `path`; blank lines and lines starting with '#' are skipped. Values are unquoted.
inline IdpEnv read_idp_env_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read IdP env file " + path);
  IdpEnv env;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.front() == '#') continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    env.emplace(line.substr(0, eq), line.substr(eq + 1));
  }
  return env;
}

// The env file named by $OIDC_IDP_ENV (set by the ctest fixture `idp`).
inline IdpEnv read_idp_env() {
  const char* path = std::getenv("OIDC_IDP_ENV");
  if (path == nullptr || *path == '\0') {
    throw std::runtime_error("OIDC_IDP_ENV is not set: run through ctest (fixture idp)");
  }
  return read_idp_env_file(path);
}

// env.at(key) with a message naming the missing key.
inline const std::string& idp_value(const IdpEnv& env, const std::string& key) {
  const auto it = env.find(key);
  if (it == env.end()) throw std::runtime_error("IdP env file has no " + key);
  return it->second;
}

}  // namespace oidc_sysauth::testing
