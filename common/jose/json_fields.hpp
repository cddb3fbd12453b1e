// Non-throwing JSON parsing and typed field readers, shared by the JOSE, net and auth code.
//
// Every reader returns a Result: nothing here throws (exceptions are off in parsing, and
// values are type-checked before any get<>()). Errors carry ErrorCode::kBadResponse (the
// usual meaning: an IdP or a token gave us something we cannot use) and a `reason`:
//   "bad_json"    the text is not JSON, too large or nested too deep
//   "missing"     a required field is absent
//   "wrong_type"  the field has another JSON type (null included: null is never "absent")
//   "out_of_range" an integer outside [min, max], or a number that is not an integer
// Callers that need another code (e.g. kTokenInvalid) re-map with the detail kept.
//
// Quick reference:
//   auto doc = parse_json_object(body);                     // Result<json>, must be an object
//   auto iss = read_string(*doc, "issuer");                 // required string
//   auto exp = read_int64(*doc, "exp", 0, kMaxUnixTime);    // required integer in range
//   auto ttl = read_optional_int64(*doc, "expires_in", 0, 86400);  // Result<optional<int64>>
//   auto aud = read_string_list(*doc, "aud");               // "x" or ["x","y"] → vector
//   auto sub = read_object(*doc, "address");                // Result<const json*>, non-null
//   const json* v = find_field(*doc, "x");                  // nullptr when absent / not an object
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.hpp"

namespace oidc_sysauth {

// Bounds on what parse_json accepts. The defaults suit IdP responses and tokens; the
// depth limit keeps hostile input from costing more than its size.
struct JsonLimits {
  std::size_t max_bytes = 1024 * 1024;
  std::size_t max_depth = 32;
};

// The largest NumericDate we accept: 9999-12-31T23:59:59Z.
inline constexpr std::int64_t kMaxUnixTime = 253'402'300'799;

Result<nlohmann::json> parse_json(std::string_view text, const JsonLimits& limits = {});
// As parse_json, and the top level must be an object.
Result<nlohmann::json> parse_json_object(std::string_view text, const JsonLimits& limits = {});

// The member `key` of `object`, or nullptr when `object` is not an object or has no such key.
const nlohmann::json* find_field(const nlohmann::json& object, std::string_view key) noexcept;

// Value converters (for values found by other means, e.g. a dotted claim path).
// `what` names the value in error details.
Result<std::string> as_string(const nlohmann::json& value, std::string_view what);
// Integers only: a float is accepted only when it is integral and in range (1e3 ok, 1.5 and
// 1e300 refused); unsigned values above INT64_MAX are out of range.
Result<std::int64_t> as_int64(const nlohmann::json& value, std::string_view what, std::int64_t min,
                              std::int64_t max);
Result<bool> as_bool(const nlohmann::json& value, std::string_view what);
// A string gives one element; an array must hold only strings.
Result<std::vector<std::string>> as_string_list(const nlohmann::json& value, std::string_view what);

// Required fields: absent → "missing".
Result<std::string> read_string(const nlohmann::json& object, std::string_view key);
Result<std::int64_t> read_int64(const nlohmann::json& object, std::string_view key, std::int64_t min,
                                std::int64_t max);
Result<bool> read_bool(const nlohmann::json& object, std::string_view key);
Result<std::vector<std::string>> read_string_list(const nlohmann::json& object, std::string_view key);
// The pointer refers into `object` and is never null on success.
Result<const nlohmann::json*> read_object(const nlohmann::json& object, std::string_view key);

// Optional fields: absent → nullopt; present with the wrong type is still an error.
Result<std::optional<std::string>> read_optional_string(const nlohmann::json& object, std::string_view key);
Result<std::optional<std::int64_t>> read_optional_int64(const nlohmann::json& object, std::string_view key,
                                                        std::int64_t min, std::int64_t max);
Result<std::optional<bool>> read_optional_bool(const nlohmann::json& object, std::string_view key);
Result<std::optional<std::vector<std::string>>> read_optional_string_list(const nlohmann::json& object,
                                                                          std::string_view key);
// nullptr when absent.
Result<const nlohmann::json*> read_optional_object(const nlohmann::json& object, std::string_view key);

}  // namespace oidc_sysauth
