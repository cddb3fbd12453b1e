#include "jose/json_fields.hpp"

#include <cmath>
#include <limits>

namespace oidc_sysauth {
namespace {

using nlohmann::json;

std::unexpected<Error> field_error(std::string_view what, std::string_view problem, const char* reason) {
  std::string detail;
  detail.reserve(what.size() + problem.size() + 2);
  detail.append(what).append(": ").append(problem);
  return fail(ErrorCode::kBadResponse, std::move(detail), reason);
}

// Nesting depth of `text` (brackets outside strings), stopping early past `limit`.
// A cheap pre-pass: the parser then never builds a document deeper than allowed.
bool depth_within(std::string_view text, std::size_t limit) noexcept {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

// Result<T> → Result<optional<T>> (GCC 12's std::expected has no transform()).
template <typename T>
Result<std::optional<T>> wrap_optional(Result<T>&& r) {
  if (!r) return std::unexpected(std::move(r.error()));
  return std::optional<T>(std::move(*r));
}

}  // namespace

Result<json> parse_json(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) return field_error("JSON", "document too large", "bad_json");
  if (!depth_within(text, limits.max_depth)) return field_error("JSON", "nested too deep", "bad_json");
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return field_error("JSON", "not valid JSON", "bad_json");
  return doc;
}

Result<json> parse_json_object(std::string_view text, const JsonLimits& limits) {
  auto doc = parse_json(text, limits);
  if (doc && !doc->is_object()) return field_error("JSON", "not an object", "bad_json");
  return doc;
}

const json* find_field(const json& object, std::string_view key) noexcept {
  if (!object.is_object()) return nullptr;
  const auto& members = object.get_ref<const json::object_t&>();
  const auto it = members.find(key);
  return it == members.end() ? nullptr : &it->second;
}

Result<std::string> as_string(const json& value, std::string_view what) {
  if (!value.is_string()) return field_error(what, "not a string", "wrong_type");
  return value.get_ref<const std::string&>();
}

Result<std::int64_t> as_int64(const json& value, std::string_view what, std::int64_t min, std::int64_t max) {
  std::int64_t out = 0;
  if (value.is_number_integer() && !value.is_number_unsigned()) {
    out = value.get<std::int64_t>();
  } else if (value.is_number_unsigned()) {
    const auto u = value.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return field_error(what, "integer out of range", "out_of_range");
    }
    out = static_cast<std::int64_t>(u);
  } else if (value.is_number_float()) {
    const double d = value.get<double>();
    // Compare as doubles before casting: casting an out-of-range double is undefined.
    // 2^63 is exactly representable; anything at or beyond it cannot fit.
    constexpr double kTwo63 = 9223372036854775808.0;
    if (!std::isfinite(d) || d != std::trunc(d) || d >= kTwo63 || d < -kTwo63) {
      return field_error(what, "not an integer in range", "out_of_range");
    }
    out = static_cast<std::int64_t>(d);
  } else {
    return field_error(what, "not a number", "wrong_type");
  }
  if (out < min || out > max) return field_error(what, "integer out of range", "out_of_range");
  return out;
}

Result<bool> as_bool(const json& value, std::string_view what) {
  if (!value.is_boolean()) return field_error(what, "not a boolean", "wrong_type");
  return value.get<bool>();
}

Result<std::vector<std::string>> as_string_list(const json& value, std::string_view what) {
  std::vector<std::string> out;
  if (value.is_string()) {
    out.push_back(value.get_ref<const std::string&>());
    return out;
  }
  if (!value.is_array()) return field_error(what, "not a string or an array of strings", "wrong_type");
  out.reserve(value.size());
  for (const auto& item : value) {
    if (!item.is_string()) return field_error(what, "array holds a non-string", "wrong_type");
    out.push_back(item.get_ref<const std::string&>());
  }
  return out;
}

Result<std::string> read_string(const json& object, std::string_view key) {
  const json* v = find_field(object, key);
  if (v == nullptr) return field_error(key, "missing", "missing");
  return as_string(*v, key);
}

Result<std::int64_t> read_int64(const json& object, std::string_view key, std::int64_t min, std::int64_t max) {
  const json* v = find_field(object, key);
  if (v == nullptr) return field_error(key, "missing", "missing");
  return as_int64(*v, key, min, max);
}

Result<bool> read_bool(const json& object, std::string_view key) {
  const json* v = find_field(object, key);
  if (v == nullptr) return field_error(key, "missing", "missing");
  return as_bool(*v, key);
}

Result<std::vector<std::string>> read_string_list(const json& object, std::string_view key) {
  const json* v = find_field(object, key);
  if (v == nullptr) return field_error(key, "missing", "missing");
  return as_string_list(*v, key);
}

Result<const json*> read_object(const json& object, std::string_view key) {
  const json* v = find_field(object, key);
  if (v == nullptr) return field_error(key, "missing", "missing");
  if (!v->is_object()) return field_error(key, "not an object", "wrong_type");
  return v;
}

Result<std::optional<std::string>> read_optional_string(const json& object, std::string_view key) {
  const json* v = find_field(object, key);
  if (v == nullptr) return std::optional<std::string>{};
  return wrap_optional(as_string(*v, key));
}

Result<std::optional<std::int64_t>> read_optional_int64(const json& object, std::string_view key,
                                                        std::int64_t min, std::int64_t max) {
  const json* v = find_field(object, key);
  if (v == nullptr) return std::optional<std::int64_t>{};
  return wrap_optional(as_int64(*v, key, min, max));
}

Result<std::optional<bool>> read_optional_bool(const json& object, std::string_view key) {
  const json* v = find_field(object, key);
  if (v == nullptr) return std::optional<bool>{};
  return wrap_optional(as_bool(*v, key));
}

Result<std::optional<std::vector<std::string>>> read_optional_string_list(const json& object,
                                                                          std::string_view key) {
  const json* v = find_field(object, key);
  if (v == nullptr) return std::optional<std::vector<std::string>>{};
  return wrap_optional(as_string_list(*v, key));
}

Result<const json*> read_optional_object(const json& object, std::string_view key) {
  const json* v = find_field(object, key);
  if (v == nullptr) return v;
  if (!v->is_object()) return field_error(key, "not an object", "wrong_type");
  return v;
}

}  // namespace oidc_sysauth
