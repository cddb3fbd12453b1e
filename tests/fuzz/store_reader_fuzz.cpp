// libFuzzer target: arbitrary bytes as accounts.db. The reader must reject them or
// answer every accessor and lookup without reading outside the buffer.
//   oidc_fuzz_target(store_reader_fuzz store_reader_fuzz.cpp oidc_light)
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "../unit/store_exercise.hpp"
#include "store/store_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // An exact-size copy, so ASan flags a read one byte past the end.
  std::unique_ptr<unsigned char[]> copy(new unsigned char[size == 0 ? 1 : size]);
  if (size != 0) std::memcpy(copy.get(), data, size);
  auto view = oidc_sysauth::store::StoreView::parse(size == 0 ? nullptr : copy.get(), size);
  if (view) (void)oidc_sysauth::testing::exercise_view(*view);
  return 0;
}
