// A string that zeroes itself and has no printing path. Passwords, tokens, client secrets.
#pragma once

#include <string>
#include <string_view>

namespace oidc_sysauth {

// Wipes memory in a way the compiler may not elide. glibc's explicit_bzero does what
// OPENSSL_cleanse does; we use it so that the NSS-side library needs no OpenSSL.
void secure_zero(void* data, std::size_t size) noexcept;

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string_view value) : value_(value) {}
  Secret(const Secret& other) : value_(other.value_) {}
  Secret(Secret&& other) noexcept;
  Secret& operator=(const Secret& other);
  Secret& operator=(Secret&& other) noexcept;
  ~Secret();

  // The only way to read it. Named so every use is visible in review.
  [[nodiscard]] std::string_view expose() const noexcept { return value_; }
  [[nodiscard]] bool empty() const noexcept { return value_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return value_.size(); }
  void clear() noexcept;

  // Constant-time comparison (length leaks, content does not).
  [[nodiscard]] bool equals(std::string_view other) const noexcept;

 private:
  std::string value_;
};

// Constant-time equality of two byte strings of equal length; false if lengths differ.
bool constant_time_equals(std::string_view a, std::string_view b) noexcept;

}  // namespace oidc_sysauth
