#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "jose/base64url.hpp"
#include "token_forge.hpp"

namespace oidc_sysauth {
namespace {

TEST(Base64Url, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64url_encode("\xfb\xff\xbf"), "-_-_");
}

TEST(Base64Url, DecodesRfc4648Vectors) {
  EXPECT_EQ(base64url_decode("").value(), "");
  EXPECT_EQ(base64url_decode("Zg").value(), "f");
  EXPECT_EQ(base64url_decode("Zm8").value(), "fo");
  EXPECT_EQ(base64url_decode("Zm9v").value(), "foo");
  EXPECT_EQ(base64url_decode("Zm9vYmE").value(), "fooba");
  EXPECT_EQ(base64url_decode("-_-_").value(), "\xfb\xff\xbf");
}

TEST(Base64Url, RoundTripsEveryLengthAndByte) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    bytes.push_back(static_cast<char>((i * 37 + 11) & 0xFF));
    const std::string enc = base64url_encode(bytes);
    EXPECT_EQ(enc, forge::b64url(bytes)) << "length " << bytes.size();
    auto dec = base64url_decode(enc);
    ASSERT_TRUE(dec.has_value()) << enc;
    EXPECT_EQ(*dec, bytes);
    EXPECT_TRUE(is_base64url(enc));
    EXPECT_EQ(base64url_decoded_size(enc.size()), bytes.size());
  }
}

TEST(Base64Url, RefusesPaddingAndStandardAlphabet) {
  for (const char* bad : {"Zg==", "Zm8=", "Zg=", "+/+/", "ab+c", "ab/c", "Zm9v=", "====", "="}) {
    auto r = base64url_decode(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().reason, "malformed");
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_FALSE(is_base64url(bad)) << bad;
  }
}

TEST(Base64Url, RefusesWhitespaceAndControlBytes) {
  for (const std::string& bad : std::vector<std::string>{"Zm9v Zg", "Zm9v\nZg", " Zm9v", "Zm9v\t", "Zm9v\r\n", std::string("Zm\0v", 4), "Zm9\x80"}) {
    EXPECT_FALSE(base64url_decode(bad).has_value()) << bad;
    EXPECT_FALSE(is_base64url(bad));
  }
}

TEST(Base64Url, RefusesLengthOneModFour) {
  for (const char* bad : {"A", "Zm9vY", "Zm9vYmFyZ"}) {
    EXPECT_FALSE(base64url_decode(bad).has_value()) << bad;
    EXPECT_FALSE(is_base64url(bad));
  }
  EXPECT_FALSE(base64url_decoded_size(5).has_value());
}

TEST(Base64Url, RefusesNonCanonicalTrailingBits) {
  // "Zg" is canonical for "f"; "Zh".."Zv" carry the same byte with non-zero pad bits.
  for (const char* bad : {"Zh", "Zi", "Zv", "Zm9", "Zm-", "Zm_", "Zm9vYh"}) {
    EXPECT_FALSE(base64url_decode(bad).has_value()) << bad;
    EXPECT_FALSE(is_base64url(bad)) << bad;
  }
  EXPECT_TRUE(base64url_decode("Zm8").has_value());
  EXPECT_TRUE(base64url_decode("Zm4").has_value());  // "fn": low 2 bits of '4' (56) are zero
}

TEST(Base64Url, DecodeIntoReusesBuffer) {
  std::string buf = "stale contents that must vanish";
  ASSERT_TRUE(base64url_decode_into("Zm9v", buf));
  EXPECT_EQ(buf, "foo");
  EXPECT_FALSE(base64url_decode_into("Zm9v=", buf));
}

}  // namespace
}  // namespace oidc_sysauth
