#include "jose/base64url.hpp"

#include <array>
#include <cstdint>

namespace oidc_sysauth {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::uint8_t kInvalid = 0xFF;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
  std::array<std::uint8_t, 256> table{};
  for (auto& v : table) v = kInvalid;
  for (std::uint8_t i = 0; i < 64; ++i) table[static_cast<unsigned char>(kAlphabet[i])] = i;
  return table;
}
constexpr std::array<std::uint8_t, 256> kDecode = make_decode_table();

inline std::uint32_t sextet(char c) noexcept { return kDecode[static_cast<unsigned char>(c)]; }

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t n = bytes.size();
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const std::uint32_t v = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8) | p[i + 2];
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (n - i == 1) {
    const std::uint32_t v = std::uint32_t{p[i]} << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
  } else if (n - i == 2) {
    const std::uint32_t v = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

std::optional<std::size_t> base64url_decoded_size(std::size_t encoded_length) noexcept {
  const std::size_t rem = encoded_length % 4;
  if (rem == 1) return std::nullopt;
  return (encoded_length / 4) * 3 + (rem == 0 ? 0 : rem - 1);
}

bool base64url_decode_into(std::string_view text, std::string& out) {
  out.clear();
  const auto size = base64url_decoded_size(text.size());
  if (!size) return false;
  out.resize(*size);
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  const std::size_t full = text.size() / 4 * 4;
  std::size_t o = 0;
  for (std::size_t i = 0; i < full; i += 4) {
    const std::uint32_t a = sextet(text[i]), b = sextet(text[i + 1]), c = sextet(text[i + 2]),
                        d = sextet(text[i + 3]);
    // An invalid byte maps to 0xFF; OR-ing keeps the high bits set so one test catches all four.
    if ((a | b | c | d) & 0xC0) return false;
    const std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    dst[o++] = static_cast<unsigned char>(v >> 16);
    dst[o++] = static_cast<unsigned char>(v >> 8);
    dst[o++] = static_cast<unsigned char>(v);
  }
  const std::size_t rem = text.size() - full;
  if (rem == 2) {
    const std::uint32_t a = sextet(text[full]), b = sextet(text[full + 1]);
    // The low 4 bits of the last sextet carry no data; canonical encoders leave them zero.
    if (((a | b) & 0xC0) || (b & 0x0F)) return false;
    dst[o++] = static_cast<unsigned char>((a << 2) | (b >> 4));
  } else if (rem == 3) {
    const std::uint32_t a = sextet(text[full]), b = sextet(text[full + 1]), c = sextet(text[full + 2]);
    if (((a | b | c) & 0xC0) || (c & 0x03)) return false;
    const std::uint32_t v = (a << 10) | (b << 4) | (c >> 2);
    dst[o++] = static_cast<unsigned char>(v >> 8);
    dst[o++] = static_cast<unsigned char>(v);
  }
  return true;
}

Result<std::string> base64url_decode(std::string_view text) {
  std::string out;
  if (!base64url_decode_into(text, out)) {
    return fail(ErrorCode::kInvalidArgument, "invalid base64url", "malformed");
  }
  return out;
}

bool is_base64url(std::string_view text) noexcept {
  const std::size_t rem = text.size() % 4;
  if (rem == 1) return false;
  for (char c : text) {
    if (sextet(c) & 0xC0) return false;
  }
  if (rem == 2) return (sextet(text.back()) & 0x0F) == 0;
  if (rem == 3) return (sextet(text.back()) & 0x03) == 0;
  return true;
}

}  // namespace oidc_sysauth
