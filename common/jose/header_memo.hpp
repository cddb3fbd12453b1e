#pragma once
// HeaderMemo: the parsed JOSE headers of tokens that verified against one key set.
//
// An IdP signs every token with one of a handful of headers ({"alg","kid","typ"} per key),
// so remembering the parsed header by its exact encoded bytes spares a base64 decode and a
// JSON parse per token. Only headers whose token's SIGNATURE verified are ever added: a
// flood of forged tokens cannot push the IdP's headers out. What is remembered is the
// parsed document only — every policy check on it (alg allow-list, crit, typ, kid) still
// runs for every token. One memo belongs to one JwkSet, so a key rotation starts empty.
#include <array>
#include <cstddef>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace oidc_sysauth {

class HeaderMemo {
 public:
  static constexpr std::size_t kCapacity = 8;
  static constexpr std::size_t kMaxEncodedBytes = 512;  // longer headers are never remembered

  // The parsed header for exactly these encoded bytes, or null.
  [[nodiscard]] std::shared_ptr<const nlohmann::json> find(std::string_view encoded) const;
  // Remembers a header whose token verified; the oldest entry makes room.
  void add(std::string_view encoded, std::shared_ptr<const nlohmann::json> header);

 private:
  struct Entry {
    std::string encoded;
    std::shared_ptr<const nlohmann::json> header;
  };
  mutable std::mutex mutex_;
  std::array<Entry, kCapacity> entries_;
  std::size_t next_ = 0;  // round-robin victim
};

}  // namespace oidc_sysauth
