// The checks behind `oidc-sysauth doctor`, one member function each.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "auth/authenticator.hpp"
#include "commands.hpp"
#include "http.hpp"

namespace oidc_sysauth::cli {

class Doctor {
 public:
  Doctor(DoctorOptions options, Output& out) : options_(std::move(options)), out_(out) {}
  int run();

 private:
  void report(const std::string& check, std::string_view status, const std::string& message,
              const std::string& fix = {});
  [[nodiscard]] std::string path(const std::string& absolute) const;
  void check_file_mode(const std::string& check, const std::string& file, bool secret);
  void check_config_file();
  void check_idp();
  void check_clock_skew(const HttpResponse& response);
  void check_token_claims();  // cmd_doctor_claims.cpp
  void check_grants();        // cmd_doctor_claims.cpp
  void check_nsswitch();
  void check_pam();
  void check_sasl();
  void check_store();

  DoctorOptions options_;
  Output& out_;
  std::optional<Config> config_;
  std::unique_ptr<CliCore> core_;           // owns the logger the context writes to
  std::shared_ptr<OidcContext> context_;  // set once discovery and JWKS loaded
  int failures_ = 0;
  nlohmann::json results_ = nlohmann::json::array();
};

}  // namespace oidc_sysauth::cli
