#include "net/oauth_errors.hpp"

#include <array>

#include "jose/json_fields.hpp"

namespace oidc_sysauth {
namespace {

constexpr std::array<std::string_view, 2> kSecondFactorErrors = {"interaction_required", "mfa_required"};
// Entra ID: 50076/50079 (MFA required / enrol), 50074 (strong auth required),
// 50072 (MFA enrolment), 50158 (external security challenge). All mean "not without MFA".
constexpr std::array<std::string_view, 5> kSecondFactorAadCodes = {"AADSTS50076", "AADSTS50079", "AADSTS50074",
                                                                   "AADSTS50072", "AADSTS50158"};
constexpr std::array<std::string_view, 5> kMisconfiguredErrors = {
    "invalid_client", "unauthorized_client", "unsupported_grant_type", "invalid_scope", "invalid_target"};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& set, std::string_view value) {
  for (auto v : set)
    if (v == value) return true;
  return false;
}

}  // namespace

std::string sanitize_server_text(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (out.size() >= 200) {
      out += "...";
      break;
    }
    out.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  }
  return out;
}

bool is_second_factor_error(std::string_view error, std::string_view description) noexcept {
  if (contains(kSecondFactorErrors, error)) return true;
  for (auto code : kSecondFactorAadCodes)
    if (description.find(code) != std::string_view::npos) return true;
  return false;
}

Error classify_token_error(const HttpResponse& response) {
  const long status = response.status;
  std::string error;
  std::string description;
  if (auto doc = parse_json_object(response.body.expose(), JsonLimits{64 * 1024, 8})) {
    if (auto e = read_optional_string(*doc, "error"); e && *e) error = **e;
    if (auto d = read_optional_string(*doc, "error_description"); d && *d) description = **d;
  }
  std::string detail = "token endpoint: HTTP " + std::to_string(status);
  if (!error.empty()) detail += " " + sanitize_server_text(error);
  if (!description.empty()) detail += ": " + sanitize_server_text(description);
  std::string reason = error.empty() ? "http_" + std::to_string(status) : sanitize_server_text(error);

  if (status >= 500 || status == 429) return Error{ErrorCode::kIdpUnavailable, detail, reason};
  // Before invalid_grant: Entra answers MFA-required as invalid_grant + AADSTS50076.
  if (is_second_factor_error(error, description)) return Error{ErrorCode::kSecondFactorRequired, detail, reason};
  if (contains(kMisconfiguredErrors, error) || status == 404 || status == 405)
    return Error{ErrorCode::kMisconfigured, detail, reason};
  if (status == 401 || status == 403) return Error{ErrorCode::kCredentialsRefused, detail, reason};
  if (status == 400 && (error == "invalid_grant" || error == "access_denied"))
    return Error{ErrorCode::kCredentialsRefused, detail, reason};
  if (status >= 300 && status < 400) return Error{ErrorCode::kBadResponse, detail + " (redirect refused)", "redirect"};
  return Error{ErrorCode::kBadResponse, detail, reason};
}

}  // namespace oidc_sysauth
