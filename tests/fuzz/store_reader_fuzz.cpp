// libFuzzer target: arbitrary bytes as accounts.db, and (split by the first 4 bytes)
// as a base + accounts.journal pair read through the overlay. The reader must reject
// them or answer every accessor and lookup without reading outside the buffers.
//   oidc_fuzz_target(store_reader_fuzz store_reader_fuzz.cpp oidc_light)
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "../unit/store_exercise.hpp"
#include "store/store_reader.hpp"

namespace {

// An exact-size copy, so ASan flags a read one byte past the end.
std::unique_ptr<unsigned char[]> copy_of(const std::uint8_t* data, std::size_t size) {
  std::unique_ptr<unsigned char[]> copy(new unsigned char[size == 0 ? 1 : size]);
  if (size != 0) std::memcpy(copy.get(), data, size);
  return copy;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using oidc_sysauth::store::StoreView;
  auto whole = copy_of(data, size);
  auto view = StoreView::parse(size == 0 ? nullptr : whole.get(), size);
  if (view) (void)oidc_sysauth::testing::exercise_view(*view);
  if (size < 4) return 0;
  const std::size_t rest = size - 4;
  const std::size_t split = oidc_sysauth::store::load_u32(data) % (rest + 1);
  auto base_bytes = copy_of(data + 4, split);
  auto journal_bytes = copy_of(data + 4 + split, rest - split);
  auto base = StoreView::parse(split == 0 ? nullptr : base_bytes.get(), split);
  auto journal = StoreView::parse(rest == split ? nullptr : journal_bytes.get(), rest - split);
  if (base && journal) {
    (void)oidc_sysauth::testing::exercise_view(*journal);
    (void)oidc_sysauth::testing::exercise_overlay(*base, *journal);
  }
  return 0;
}
