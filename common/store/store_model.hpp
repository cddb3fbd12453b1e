// The writer's in-memory picture of accounts.db: decoded from the current file with
// string_views into its mapping (no copy for unchanged records), edited, and encoded
// back into the exact bytes of a new file. See FORMAT.md.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "result.hpp"
#include "store/store_reader.hpp"

namespace oidc_sysauth::store {

struct ModelRecord {
  std::string_view issuer, subject, name, gecos, home, shell;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint32_t flags = 0;
  std::vector<std::string_view> groups;      // names of local or owned groups (supplementary)
  std::vector<std::string_view> idp_groups;  // last-known IdP groups
  std::int64_t created = 0;
  std::int64_t last_login = 0;
  [[nodiscard]] bool removed() const noexcept { return (flags & kFlagRemoved) != 0; }
  [[nodiscard]] bool forgotten() const noexcept { return (flags & kFlagForgotten) != 0; }
  bool operator==(const ModelRecord&) const = default;
};

struct ModelGroup {
  std::string_view name;
  std::uint32_t gid = 0;
  std::uint32_t kind = kGroupOwned;
  bool operator==(const ModelGroup&) const = default;
};

// Where the encoder streams the file: sequential writes only.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void put(const void* data, std::size_t len) = 0;
  [[nodiscard]] virtual std::uint64_t position() const = 0;
  void pad_to(std::uint64_t offset);  // zero bytes up to `offset`
};

class Model {
 public:
  std::vector<ModelRecord> records;
  std::vector<ModelGroup> groups;
  // A base: the generation it was read with (write() stores + 1) and its tag (set a
  // fresh random one before writing a new base). A journal (kind kFileJournal): the
  // generation and tag of the base it applies to, written unchanged.
  std::uint64_t generation = 0;
  std::uint64_t tag = 0;
  std::uint64_t sequence = 0;  // written as is (FORMAT.md, header offset 56)
  std::uint32_t kind = kFileBase;

  // Decodes every entry of `view`; kCorrupt on the first bad one. The views in the
  // model point into the mapping behind `view`, which must outlive the model.
  static Result<Model> load(const StoreView& view);

  // Copies `s` into storage owned by the model and returns a view of the copy.
  std::string_view own(std::string_view s);

  [[nodiscard]] ModelRecord* find_subject(std::string_view issuer, std::string_view subject);
  [[nodiscard]] ModelRecord* find_active_name(std::string_view name);
  [[nodiscard]] ModelGroup* find_group(std::string_view name);
  // Any record's uid (removed included) or an owned group's gid.
  [[nodiscard]] bool id_taken(std::uint32_t id) const;

  // The complete file: header, sections and hash indexes, with generation + 1.
  // Group memberships naming a group that is not in `groups` are dropped.
  void write(Sink& out) const;
  [[nodiscard]] std::string encode() const;  // write() into a string

 private:
  std::deque<std::string> arena_;
};

}  // namespace oidc_sysauth::store
