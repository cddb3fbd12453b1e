// Base64url (RFC 4648 §5) without padding, as JOSE uses it. Decoding is strict so
// that one token has exactly one spelling: a token that differs only in how it is
// encoded must never verify (or hit a cache) as another.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "result.hpp"

namespace oidc_sysauth {

// Encodes bytes as unpadded base64url.
std::string base64url_encode(std::string_view bytes);

// Decodes unpadded base64url. Refuses (ErrorCode::kInvalidArgument, reason "malformed"):
// '=', '+', '/', whitespace or any other byte outside [A-Za-z0-9_-], a length with
// length % 4 == 1, and non-canonical trailing bits (e.g. "QR" for "QQ").
// The empty string decodes to the empty string.
Result<std::string> base64url_decode(std::string_view text);

// Same rules, writing into `out` (cleared first; its capacity is reused). Returns false
// on refusal, leaving `out` unspecified. For hot paths that decode into a reused buffer.
bool base64url_decode_into(std::string_view text, std::string& out);

// True when base64url_decode(text) would succeed, without decoding.
bool is_base64url(std::string_view text) noexcept;

// Decoded size for a valid input length, nullopt when length % 4 == 1.
std::optional<std::size_t> base64url_decoded_size(std::size_t encoded_length) noexcept;

}  // namespace oidc_sysauth
