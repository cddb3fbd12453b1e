// Shared by the core's integration tests against the real test IdP (tests/idp/CONTRACT.md):
// the control API driven with the curl command-line tool (independent of the code under
// test), and configs pointing at the IdP.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "auth/authenticator.hpp"
#include "config.hpp"
#include "idp_env.hpp"

namespace oidc_sysauth::testing {

// The test IdP's control API (loopback http). Uses /usr/bin/curl with proxies disabled.
class IdpAdmin {
 public:
  explicit IdpAdmin(std::string base) : base_(std::move(base)) {}

  nlohmann::json call(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr) const {
    std::string cmd = "curl -sS --noproxy '*' -m 20 -X " + method + " -H 'Content-Type: application/json' ";
    if (!body.is_null()) cmd += "--data-binary " + shell_quote(body.dump()) + " ";
    cmd += shell_quote(base_ + path) + " 2>&1";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(cmd.c_str(), "r"), ::pclose);
    if (!pipe) throw std::runtime_error("popen failed");
    std::string out;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, pipe.get())) > 0) out.append(buf, n);
    auto doc = nlohmann::json::parse(out, nullptr, false);
    if (doc.is_discarded()) throw std::runtime_error("admin " + path + ": " + out);
    return doc;
  }
  nlohmann::json post(const std::string& path, const nlohmann::json& body) const { return call("POST", path, body); }
  void fault(nlohmann::json spec) const { post("/admin/fault", spec); }
  void clear_faults() const { call("DELETE", "/admin/fault"); }
  nlohmann::json stats() const { return call("GET", "/admin/stats"); }

 private:
  static std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += (c == '\'') ? std::string("'\\''") : std::string(1, c);
    return out + "'";
  }
  std::string base_;
};

// A scratch directory removed at the end of the test.
struct ScratchDir {
  std::string path;
  ScratchDir() {
    char tmpl[] = "/tmp/oidc-it-XXXXXX";
    path = ::mkdtemp(tmpl);
    std::filesystem::permissions(path, std::filesystem::perms(0755));
  }
  ~ScratchDir() { std::filesystem::remove_all(path); }
};

// The confidential client on the default profile, https with the test CA.
inline Config default_config(const IdpEnv& env, const std::string& issuer_key = "IDP_ISSUER") {
  Config c;
  c.path = "integration.conf";
  c.idp.issuer = idp_value(env, issuer_key);
  c.idp.client_id = idp_value(env, "IDP_CLIENT_ID");
  c.idp.client_secret_file = idp_value(env, "IDP_CLIENT_SECRET_FILE");
  c.idp.ca_file = idp_value(env, "IDP_CA");
  c.idp.timeout_seconds = 2;
  c.idp.grant = GrantType::kPassword;
  c.accounts.cache_dir = "";  // tests opt in to a disk cache
  return c;
}

inline ContextOptions no_disk() {
  ContextOptions o;
  o.use_disk_cache = false;
  return o;
}

inline std::shared_ptr<OidcContext> make_context(const Config& c, ContextOptions o = no_disk()) {
  auto ctx = OidcContext::create(c, o);
  if (!ctx) throw std::runtime_error("OidcContext::create: " + ctx.error().detail);
  return *ctx;
}

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace oidc_sysauth::testing
