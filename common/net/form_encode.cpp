#include "http.hpp"

namespace oidc_sysauth {
namespace {

// RFC 3986 unreserved characters pass; everything else is %XX (so '+' and '&' in a
// password can never split or alter a form field).
void append_escaped(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : value) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    }
  }
}

}  // namespace

Secret form_encode(const std::vector<std::pair<std::string, Secret>>& fields) {
  std::size_t estimate = 0;
  for (const auto& [name, value] : fields) estimate += name.size() + 3 * value.size() + 2;
  std::string out;
  out.reserve(estimate);  // one allocation, so no copy of a password is left in freed memory
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out.push_back('&');
    append_escaped(out, name);
    out.push_back('=');
    append_escaped(out, value.expose());
  }
  Secret result(out);
  secure_zero(out.data(), out.size());
  return result;
}

}  // namespace oidc_sysauth
