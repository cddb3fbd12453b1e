// The writer's working state (FORMAT.md, "Journal"): the base file mapped as is, and
// the journal decoded into an editable Model that is re-encoded after every edit, so
// the writer asks every question through the same Overlay as NSS does.
//
// A change normally rewrites only the small journal; once the journal passes its bound
// (or there is no base or no journal file yet) save() folds it into a new base.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "result.hpp"
#include "store/store_model.hpp"
#include "store/store_overlay.hpp"
#include "store/store_reader.hpp"

namespace oidc_sysauth::store {

// What save() did; tests and the benchmark tool look at it.
enum class SaveKind { kJournal, kCompaction };

class Delta {
 public:
  // Maps <dir>/accounts.db and decodes <dir>/accounts.journal. A journal that does not
  // apply to the base (another tag or generation: the crash window of a compaction) is
  // treated as empty. `populate`: the caller will read the whole base (list()).
  static Result<std::unique_ptr<Delta>> open(const std::string& dir, bool populate = false);
  Delta(const Delta&) = delete;
  Delta& operator=(const Delta&) = delete;

  [[nodiscard]] Overlay overlay() const noexcept { return Overlay(base_view(), &jview_); }

  // A copy of `f` whose strings (and resolved group names) the delta owns.
  ModelRecord to_model(const FoundRecord& f);
  // Replaces the journal entry of r.uid (or adds one); the groups it names are copied
  // into the journal (a journal record's refs point into the journal).
  void put_record(const ModelRecord& r);
  void put_group(const ModelGroup& g);  // replaces the journal entry of g.name, or adds one
  void forget(std::uint32_t uid);       // tombstone: the uid is free again

  // Base records with the journal applied, tombstones and dropped groups left out.
  Result<Model> merged() const;

  // Writes the journal, or compacts: new base (generation + 1, fresh tag) and an empty
  // journal for it, base renamed first (FORMAT.md lists the crash windows).
  // `force_compaction` for tests and the CLI.
  Result<SaveKind> save(bool force_compaction = false);

  [[nodiscard]] std::size_t journal_entries() const noexcept { return jm_.records.size() + jm_.groups.size(); }

 private:
  Delta() = default;
  static Result<std::unique_ptr<Delta>> open_once(const std::string& dir, bool populate);
  [[nodiscard]] const StoreView& base_view() const noexcept;
  void reencode();
  [[nodiscard]] std::uint64_t overlay_sequence_of_files() const noexcept;
  Result<Ok> compact();

  std::string dir_, base_path_, journal_path_;
  std::unique_ptr<MappedStore> base_, journal_;  // either may be null (no file yet)
  std::string empty_base_;                       // stands in for a missing base
  StoreView empty_view_;
  Model jm_;
  std::string jbytes_;
  StoreView jview_;
  std::uint64_t next_sequence_ = 1;  // the sequence number save() writes
};

// A fresh random base tag (getrandom; never 0).
std::uint64_t new_base_tag() noexcept;

// Writes `base` (generation + 1, a fresh tag) and an empty journal for it, base first
// (compaction; the benchmark tool's bulk load). Call under the store lock.
Result<Ok> install_new_store(const std::string& dir, Model& base);

}  // namespace oidc_sysauth::store
