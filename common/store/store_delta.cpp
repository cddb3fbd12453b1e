#include "store/store_delta.hpp"

#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <unordered_set>

#include "store/store_file.hpp"

namespace oidc_sysauth::store {

std::uint64_t new_base_tag() noexcept {
  std::uint64_t tag = 0;
  if (::getrandom(&tag, sizeof tag, 0) != static_cast<ssize_t>(sizeof tag)) {
    struct timespec ts {};
    ::clock_gettime(CLOCK_REALTIME, &ts);  // fallback: unique enough per host and write
    tag = (static_cast<std::uint64_t>(ts.tv_sec) << 32) ^ static_cast<std::uint64_t>(ts.tv_nsec) ^
          (static_cast<std::uint64_t>(::getpid()) << 16);
  }
  return tag == 0 ? 1 : tag;
}

Result<std::unique_ptr<Delta>> Delta::open(const std::string& dir, bool populate) {
  // Readers without the lock (list, find) may open the base just before a compaction
  // and its journal just after: a journal newer than the base means "open again".
  for (int attempt = 0;; ++attempt) {
    auto d = open_once(dir, populate);
    if (!d || attempt == 2 || !(*d)->journal_ || !(*d)->base_ ||
        (*d)->journal_->view().generation() <= (*d)->base_->view().generation()) {
      return d;
    }
  }
}

Result<std::unique_ptr<Delta>> Delta::open_once(const std::string& dir, bool populate) {
  std::unique_ptr<Delta> d(new Delta());
  d->dir_ = dir;
  d->base_path_ = dir + "/" + kStoreFileName;
  d->journal_path_ = dir + "/" + kJournalFileName;
  auto base = MappedStore::open(d->base_path_, false, populate);
  if (base) {
    if ((*base)->view().is_journal()) return fail(ErrorCode::kCorrupt, d->base_path_ + ": is a journal", "bad_kind");
    d->base_ = std::move(*base);
  } else if (base.error().code != ErrorCode::kNotFound) {
    return std::unexpected(base.error());
  } else {
    Model empty;  // no store yet: an in-memory empty base, so the overlay works as usual
    empty.tag = new_base_tag();
    d->empty_base_ = empty.encode();
    auto v = StoreView::parse(reinterpret_cast<const unsigned char*>(d->empty_base_.data()), d->empty_base_.size());
    if (!v) return std::unexpected(v.error());
    d->empty_view_ = *v;
  }
  const StoreView& bv = d->base_view();
  auto journal = MappedStore::open(d->journal_path_, false);
  if (journal) {
    d->journal_ = std::move(*journal);
    const StoreView& jv = d->journal_->view();
    if (!jv.is_journal()) return fail(ErrorCode::kCorrupt, d->journal_path_ + ": not a journal", "bad_kind");
    if (d->base_ && jv.applies_to(bv)) {
      auto jm = Model::load(jv);
      if (!jm)
        return std::unexpected(Error{jm.error().code, d->journal_path_ + ": " + jm.error().detail, jm.error().reason});
      d->jm_ = std::move(*jm);
    }
  } else if (journal.error().code != ErrorCode::kNotFound) {
    return std::unexpected(journal.error());  // a corrupt journal is not silently dropped
  }
  d->jm_.kind = kFileJournal;
  d->jm_.generation = bv.generation();
  d->jm_.tag = bv.tag();
  d->next_sequence_ = d->overlay_sequence_of_files() + 1;
  d->reencode();
  return d;
}

std::uint64_t Delta::overlay_sequence_of_files() const noexcept {
  const StoreView& bv = base_view();
  if (base_ && journal_ && journal_->view().applies_to(bv)) return journal_->view().sequence();
  return base_ ? bv.sequence() : 0;
}

const StoreView& Delta::base_view() const noexcept { return base_ ? base_->view() : empty_view_; }

void Delta::reencode() {
  jbytes_ = jm_.encode();
  auto v = StoreView::parse(reinterpret_cast<const unsigned char*>(jbytes_.data()), jbytes_.size());
  jview_ = v ? *v : StoreView();  // our own encoding always parses
}

namespace {

// A record's scalar fields with its strings copied into the journal model's own storage
// (groups are filled by the caller: where they come from differs).
template <typename Record>
ModelRecord owned_scalars(Model& owner, const Record& r) {
  return ModelRecord{owner.own(r.issuer), owner.own(r.subject), owner.own(r.name), owner.own(r.gecos),
                     owner.own(r.home),   owner.own(r.shell),   r.uid,             r.gid,
                     r.flags,             {},                   {},                r.created,
                     r.last_login};
}

}  // namespace

ModelRecord Delta::to_model(const FoundRecord& f) {
  const RecordView& r = f.r;
  ModelRecord m = owned_scalars(jm_, r);
  const Overlay ov = overlay();
  for (std::uint32_t k = 0; k < r.groups_count; ++k) {
    FoundGroup g;
    if (ov.record_group(f, k, g) == Lookup::kFound) m.groups.push_back(jm_.own(g.g.name));
  }
  for (std::uint32_t k = 0; k < r.idp_count; ++k) {
    if (auto s = f.from->record_idp_group(r, k)) m.idp_groups.push_back(jm_.own(*s));
  }
  return m;
}

void Delta::put_group(const ModelGroup& g) {
  ModelGroup owned{jm_.own(g.name), g.gid, g.kind};
  auto it = std::find_if(jm_.groups.begin(), jm_.groups.end(), [&](const ModelGroup& x) { return x.name == g.name; });
  if (it != jm_.groups.end()) {
    *it = owned;
  } else {
    jm_.groups.push_back(owned);
  }
  reencode();
}

void Delta::put_record(const ModelRecord& r) {
  ModelRecord m = owned_scalars(jm_, r);
  const Overlay ov = overlay();
  for (std::string_view g : r.groups) {
    const bool in_journal =
        std::any_of(jm_.groups.begin(), jm_.groups.end(), [g](const ModelGroup& x) { return x.name == g; });
    FoundGroup fg;
    if (!in_journal) {
      if (ov.find_group(g, fg) != Lookup::kFound) continue;  // vanished: dropped, as the encoder would
      jm_.groups.push_back(ModelGroup{jm_.own(fg.g.name), fg.g.gid, fg.g.kind});
    }
    m.groups.push_back(jm_.own(g));
  }
  for (std::string_view g : r.idp_groups) m.idp_groups.push_back(jm_.own(g));
  auto it = std::find_if(jm_.records.begin(), jm_.records.end(), [&](const ModelRecord& x) { return x.uid == r.uid; });
  if (it != jm_.records.end()) {
    *it = m;
  } else {
    jm_.records.push_back(m);
  }
  reencode();
}

void Delta::forget(std::uint32_t uid) {
  ModelRecord t;
  t.uid = t.gid = uid;
  t.flags = kFlagRemoved | kFlagForgotten;
  put_record(t);
}

Result<Model> Delta::merged() const {
  Model m;
  if (base_) {
    auto loaded = Model::load(base_->view());
    if (!loaded) return std::unexpected(loaded.error());
    m = std::move(*loaded);
  }
  m.generation = base_view().generation();
  for (const ModelGroup& g : jm_.groups) {
    std::erase_if(m.groups, [&](const ModelGroup& x) { return x.name == g.name; });
    if (g.kind != kGroupDropped) m.groups.push_back(g);
  }
  std::unordered_set<std::uint32_t> hidden;
  for (const ModelRecord& r : jm_.records) hidden.insert(r.uid);
  std::erase_if(m.records, [&hidden](const ModelRecord& x) { return hidden.count(x.uid) != 0; });
  for (const ModelRecord& r : jm_.records) {
    if (!r.forgotten()) m.records.push_back(r);
  }
  return m;
}

Result<Ok> install_new_store(const std::string& dir, Model& base) {
  base.kind = kFileBase;
  base.tag = new_base_tag();
  Model journal;  // empty, for the new base (generation + 1)
  journal.kind = kFileJournal;
  journal.generation = base.generation + 1;
  journal.tag = base.tag;
  journal.sequence = base.sequence;
  auto base_file = PreparedFile::create(dir, [&base](int fd) {
    FdSink sink(fd);
    base.write(sink);
    return sink.finish();
  });
  if (!base_file) return std::unexpected(base_file.error());
  const std::string jbytes = journal.encode();
  auto journal_file = PreparedFile::create(dir, [&jbytes](int fd) {
    FdSink sink(fd);
    sink.put(jbytes.data(), jbytes.size());
    return sink.finish();
  });
  if (!journal_file) return std::unexpected(journal_file.error());
  // Base first, directory fsynced, then the journal: on disk there is never a new
  // journal beside an old base (which would lose the old journal's changes).
  if (auto b = base_file->install(dir, dir + "/" + kStoreFileName); !b) return b;
  return journal_file->install(dir, dir + "/" + kJournalFileName);
}

Result<Ok> Delta::compact() {
  auto m = merged();
  if (!m) return std::unexpected(m.error());
  m->sequence = next_sequence_;
  return install_new_store(dir_, *m);
}

Result<SaveKind> Delta::save(bool force_compaction) {
  const bool compact_now = force_compaction || !base_ || !journal_ || journal_entries() > kJournalMaxEntries ||
                           jbytes_.size() > kJournalMaxBytes;
  if (compact_now) {
    if (auto c = compact(); !c) return std::unexpected(c.error());
    return SaveKind::kCompaction;
  }
  jm_.sequence = next_sequence_;
  reencode();
  if (auto w = replace_file_atomically(dir_, journal_path_, jbytes_); !w) return std::unexpected(w.error());
  return SaveKind::kJournal;
}

}  // namespace oidc_sysauth::store
