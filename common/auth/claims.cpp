#include "auth/claims.hpp"

#include <algorithm>

namespace oidc_sysauth {
namespace {

using nlohmann::json;

const json* member(const json& object, std::string_view key) noexcept {
  if (!object.is_object()) return nullptr;
  const auto& members = object.get_ref<const json::object_t&>();
  auto it = members.find(key);
  return it == members.end() ? nullptr : &it->second;
}

// Depth-first over the split points of `path`; `budget` bounds the work on hostile
// documents with many dotted keys.
const json* find_at(const json& node, std::string_view path, std::size_t depth, int& budget) noexcept {
  if (--budget < 0 || depth > kMaxClaimPathSegments) return nullptr;
  if (const json* exact = member(node, path)) return exact;
  for (std::size_t dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.', dot + 1)) {
    const json* child = member(node, path.substr(0, dot));
    if (child == nullptr || !child->is_object()) continue;
    if (const json* found = find_at(*child, path.substr(dot + 1), depth + 1, budget)) return found;
  }
  return nullptr;
}

void split_words(std::string_view text, std::vector<std::string>& out) {
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == ',')) ++i;
    std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != ',') ++i;
    if (i > start) out.emplace_back(text.substr(start, i - start));
  }
}

}  // namespace

const json* find_claim(const json& claims, std::string_view path) noexcept {
  if (path.empty()) return nullptr;
  int budget = 256;
  return find_at(claims, path, 0, budget);
}

std::vector<std::string> claim_strings(const json& claims, std::string_view path) {
  std::vector<std::string> out;
  const json* value = find_claim(claims, path);
  if (value == nullptr) return out;
  if (value->is_string()) {
    split_words(value->get_ref<const std::string&>(), out);
  } else if (value->is_array()) {
    for (const auto& element : *value)
      if (element.is_string()) out.push_back(element.get<std::string>());
  } else if (value->is_object()) {
    for (const auto& [key, ignored] : value->items()) out.push_back(key);
  }
  return out;
}

std::optional<std::string> claim_string(const json& claims, std::string_view path) {
  const json* value = find_claim(claims, path);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return value->get<std::string>();
}

void collect_groups(const json& claims, const std::vector<std::string>& paths, std::vector<std::string>& out) {
  for (const auto& path : paths) {
    for (auto& group : claim_strings(claims, path)) {
      if (out.size() >= kMaxGroups) return;
      if (group.empty() || group.size() > kMaxGroupNameBytes) continue;
      if (std::find(out.begin(), out.end(), group) != out.end()) continue;
      out.push_back(std::move(group));
    }
  }
}

}  // namespace oidc_sysauth
