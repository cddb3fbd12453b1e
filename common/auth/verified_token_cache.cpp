#include "auth/verified_token_cache.hpp"

#include <openssl/evp.h>

namespace oidc_sysauth {

void VerifiedTokenCache::MdFree::operator()(evp_md_st* md) const noexcept { EVP_MD_free(md); }

VerifiedTokenCache::VerifiedTokenCache(std::size_t max_entries)
    : sha256_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), max_entries_(max_entries) {}

VerifiedTokenCache::~VerifiedTokenCache() = default;

std::optional<VerifiedTokenCache::Key> VerifiedTokenCache::key_for(std::string_view token) const {
  Key key{};
  unsigned int length = 0;
  const EVP_MD* md = sha256_ ? sha256_.get() : EVP_sha256();
  if (EVP_Digest(token.data(), token.size(), key.data(), &length, md, nullptr) != 1 || length != key.size())
    return std::nullopt;
  return key;
}

std::shared_ptr<const Identity> VerifiedTokenCache::find(const Key& key, std::int64_t now_unix) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  if (now_unix >= it->second.valid_until) {
    entries_.erase(it);
    return nullptr;
  }
  return it->second.identity;
}

void VerifiedTokenCache::put(const Key& key, std::shared_ptr<const Identity> identity, std::int64_t valid_until_unix,
                             std::int64_t now_unix) {
  if (valid_until_unix <= now_unix || !identity) return;
  std::lock_guard lock(mutex_);
  if (entries_.size() >= max_entries_) {
    std::erase_if(entries_, [now_unix](const auto& e) { return e.second.valid_until <= now_unix; });  // expired first
    if (entries_.size() >= max_entries_) entries_.clear();  // still full: start over (bounded memory)
  }
  entries_.insert_or_assign(key, Entry{std::move(identity), valid_until_unix});
}

std::shared_ptr<const Identity> VerifiedTokenCache::find(std::string_view token, std::int64_t now_unix) {
  const auto key = key_for(token);
  return key ? find(*key, now_unix) : nullptr;
}

void VerifiedTokenCache::put(std::string_view token, const Identity& identity, std::int64_t valid_until_unix,
                             std::int64_t now_unix) {
  if (const auto key = key_for(token))
    put(*key, std::make_shared<const Identity>(identity), valid_until_unix, now_unix);
}

void VerifiedTokenCache::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

std::size_t VerifiedTokenCache::size() {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace oidc_sysauth
