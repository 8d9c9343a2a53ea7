// The fuzz targets' one assertion: a property that does not hold aborts,
// which libFuzzer reports as a crash with the input that broke it.
#ifndef GRANTFLOW_FUZZ_CHECK_H_
#define GRANTFLOW_FUZZ_CHECK_H_

#include <cstdlib>

namespace grantflow::fuzz {

inline void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace grantflow::fuzz

#endif  // GRANTFLOW_FUZZ_CHECK_H_
