#include <gtest/gtest.h>

#include <string>

#include "jose/json_fields.hpp"

namespace oidc_sysauth {
namespace {

using nlohmann::json;

json doc(const char* text) { return parse_json_object(text).value(); }

TEST(JsonFields, ParsesObjectsAndRefusesGarbage) {
  EXPECT_TRUE(parse_json_object(R"({"a":1})").has_value());
  for (const char* bad : {"", "{", "{\"a\":}", "[1,2]", "\"str\"", "42", "null", "{} trailing", "{'a':1}"}) {
    auto r = parse_json_object(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kBadResponse);
    EXPECT_EQ(r.error().reason, "bad_json");
  }
  EXPECT_TRUE(parse_json("[1,2]").has_value());
}

TEST(JsonFields, EnforcesSizeAndDepth) {
  JsonLimits limits{16, 4};
  EXPECT_TRUE(parse_json(R"({"a":[[1]]})", limits).has_value());
  EXPECT_FALSE(parse_json(R"({"a":"0123456789abcdef"})", limits).has_value());
  EXPECT_FALSE(parse_json("[[[[[1]]]]]", limits).has_value());
  // Brackets inside strings are not nesting.
  EXPECT_TRUE(parse_json(R"(["[[[[["])", limits).has_value());
  EXPECT_TRUE(parse_json(R"(["\"[[[["])", limits).has_value());
  const std::string deep(100000, '[');
  EXPECT_FALSE(parse_json(deep).has_value());
}

TEST(JsonFields, ReadsStrings) {
  const json d = doc(R"({"s":"x","n":1,"z":null})");
  EXPECT_EQ(read_string(d, "s").value(), "x");
  EXPECT_EQ(read_string(d, "missing").error().reason, "missing");
  EXPECT_EQ(read_string(d, "n").error().reason, "wrong_type");
  EXPECT_EQ(read_string(d, "z").error().reason, "wrong_type");  // null is not absent
  EXPECT_FALSE(read_optional_string(d, "missing").value().has_value());
  EXPECT_EQ(read_optional_string(d, "s").value().value(), "x");
  EXPECT_FALSE(read_optional_string(d, "n").has_value());
  EXPECT_EQ(find_field(json::array(), "s"), nullptr);
}

TEST(JsonFields, ReadsIntegersWithRangeChecks) {
  const json d = doc(R"({"i":1800000000,"neg":-5,"big":18446744073709551615,"f":1.5,"huge":1e300,
                          "intf":1e3,"s":"1800000000","b":true,"max":9223372036854775807,"m2":-9.3e18})");
  EXPECT_EQ(read_int64(d, "i", 0, kMaxUnixTime).value(), 1800000000);
  EXPECT_EQ(read_int64(d, "neg", -10, 10).value(), -5);
  EXPECT_EQ(read_int64(d, "neg", 0, 10).error().reason, "out_of_range");
  EXPECT_EQ(read_int64(d, "big", INT64_MIN, INT64_MAX).error().reason, "out_of_range");
  EXPECT_EQ(read_int64(d, "f", INT64_MIN, INT64_MAX).error().reason, "out_of_range");
  EXPECT_EQ(read_int64(d, "huge", INT64_MIN, INT64_MAX).error().reason, "out_of_range");
  EXPECT_EQ(read_int64(d, "m2", INT64_MIN, INT64_MAX).error().reason, "out_of_range");
  EXPECT_EQ(read_int64(d, "intf", 0, 10000).value(), 1000);
  EXPECT_EQ(read_int64(d, "s", 0, kMaxUnixTime).error().reason, "wrong_type");
  EXPECT_EQ(read_int64(d, "b", 0, 1).error().reason, "wrong_type");
  EXPECT_EQ(read_int64(d, "max", INT64_MIN, INT64_MAX).value(), INT64_MAX);
  EXPECT_EQ(read_int64(d, "i", 0, 100).error().reason, "out_of_range");
  EXPECT_EQ(read_int64(d, "nope", 0, 1).error().reason, "missing");
  EXPECT_FALSE(read_optional_int64(d, "nope", 0, 1).value().has_value());
  EXPECT_EQ(read_optional_int64(d, "huge", 0, 1).error().reason, "out_of_range");
}

TEST(JsonFields, ReadsBooleans) {
  const json d = doc(R"({"t":true,"f":false,"s":"true","n":1})");
  EXPECT_TRUE(read_bool(d, "t").value());
  EXPECT_FALSE(read_bool(d, "f").value());
  EXPECT_EQ(read_bool(d, "s").error().reason, "wrong_type");
  EXPECT_EQ(read_bool(d, "n").error().reason, "wrong_type");
  EXPECT_FALSE(read_optional_bool(d, "nope").value().has_value());
}

TEST(JsonFields, ReadsStringLists) {
  const json d = doc(R"({"one":"a","many":["a","b"],"empty":[],"mixed":["a",1],"obj":{}})");
  EXPECT_EQ(read_string_list(d, "one").value(), std::vector<std::string>{"a"});
  EXPECT_EQ(read_string_list(d, "many").value(), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(read_string_list(d, "empty").value().empty());
  EXPECT_EQ(read_string_list(d, "mixed").error().reason, "wrong_type");
  EXPECT_EQ(read_string_list(d, "obj").error().reason, "wrong_type");
  EXPECT_FALSE(read_optional_string_list(d, "nope").value().has_value());
}

TEST(JsonFields, ReadsObjects) {
  const json d = doc(R"({"o":{"k":"v"},"a":[]})");
  auto o = read_object(d, "o");
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(read_string(**o, "k").value(), "v");
  EXPECT_EQ(read_object(d, "a").error().reason, "wrong_type");
  EXPECT_EQ(read_object(d, "nope").error().reason, "missing");
  EXPECT_EQ(read_optional_object(d, "nope").value(), nullptr);
}

TEST(JsonFields, ErrorDetailNamesTheField) {
  const json d = doc(R"({"exp":"soon"})");
  EXPECT_NE(read_int64(d, "exp", 0, 1).error().detail.find("exp"), std::string::npos);
}

}  // namespace
}  // namespace oidc_sysauth
