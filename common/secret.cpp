#include "secret.hpp"

#include <string.h>

namespace oidc_sysauth {

void secure_zero(void* data, std::size_t size) noexcept {
  if (data != nullptr && size > 0) explicit_bzero(data, size);
}

Secret::Secret(Secret&& other) noexcept : value_(other.value_) { other.clear(); }

Secret& Secret::operator=(const Secret& other) {
  if (this != &other) {
    clear();
    value_ = other.value_;
  }
  return *this;
}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    clear();
    value_ = other.value_;  // copy then wipe: a move could leave SSO bytes behind
    other.clear();
  }
  return *this;
}

Secret::~Secret() { clear(); }

void Secret::clear() noexcept {
  // Wipe the whole capacity: short-string buffers and earlier, longer contents.
  value_.resize(value_.capacity());
  secure_zero(value_.data(), value_.size());
  value_.clear();
}

bool Secret::equals(std::string_view other) const noexcept { return constant_time_equals(value_, other); }

bool constant_time_equals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace oidc_sysauth
