// libFuzzer target: token endpoint answers (success and error bodies) and claim paths.
// A body that classifies as anything must never be "success", and second-factor answers
// must never come out as plain refusals.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/claims.hpp"
#include "jose/json_fields.hpp"
#include "net/oauth_client.hpp"
#include "net/oauth_errors.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  using namespace oidc_sysauth;
  if (auto tokens = parse_token_response(input)) check(!tokens->access_token.empty());
  bool second_factor = false;
  if (auto doc = parse_json_object(input, JsonLimits{64 * 1024, 8})) {
    auto error = read_optional_string(*doc, "error");
    auto description = read_optional_string(*doc, "error_description");
    second_factor = error && description &&
                    is_second_factor_error(error->value_or(""), description->value_or(""));
  }
  for (long status : {400L, 401L, 403L, 500L}) {
    HttpResponse r;
    r.status = status;
    r.body = Secret(input);
    const Error e = classify_token_error(r);
    if (status >= 500) check(e.code == ErrorCode::kIdpUnavailable);
    else if (second_factor) check(e.code == ErrorCode::kSecondFactorRequired);
  }
  if (auto doc = parse_json(input)) {
    for (const char* path : {"groups", "realm_access.roles", "a.b.c", "https://x/roles", ".", ""}) {
      auto groups = claim_strings(*doc, path);
      std::vector<std::string> collected;
      collect_groups(*doc, {path}, collected);
      check(collected.size() <= kMaxGroups);
      for (const auto& g : collected) check(!g.empty() && g.size() <= kMaxGroupNameBytes);
    }
  }
  return 0;
}
