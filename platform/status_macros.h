// Early returns for absl::Status and absl::StatusOr, so the path that
// matters reads straight down:
//
//   RETURN_IF_ERROR(CheckEtag(req.etag(), version, name));
//   ASSIGN_OR_RETURN(Versioned<pb::Fund> fund, funds_.Get(key, name));
//
// Both work in any function returning absl::Status or absl::StatusOr<T>
// (including lambdas), and evaluate `expr` exactly once.
#ifndef GRANTFLOW_PLATFORM_STATUS_MACROS_H_
#define GRANTFLOW_PLATFORM_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace grantflow::internal {
inline const absl::Status& AsStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& AsStatus(const absl::StatusOr<T>& s) {
  return s.status();
}
}  // namespace grantflow::internal

// Returns `expr`'s status (an absl::Status, or an absl::StatusOr's) from the
// enclosing function when it is not OK.
#define RETURN_IF_ERROR(expr)                        \
  do {                                               \
    if (const ::absl::Status grantflow_status_ =     \
            ::grantflow::internal::AsStatus((expr)); \
        !grantflow_status_.ok()) {                   \
      return grantflow_status_;                      \
    }                                                \
  } while (false)

// Evaluates `expr` (an absl::StatusOr<T>); returns its status from the
// enclosing function when it is not OK, else declares or assigns `lhs` from
// its value (moved). `lhs` may be a declaration: `auto x` or `T x`.
#define ASSIGN_OR_RETURN(lhs, expr) \
  GRANTFLOW_ASSIGN_OR_RETURN_(      \
      GRANTFLOW_STATUS_CONCAT_(grantflow_or_, __LINE__), lhs, expr)

#define GRANTFLOW_ASSIGN_OR_RETURN_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return std::move(tmp).status();    \
  lhs = *std::move(tmp)

#define GRANTFLOW_STATUS_CONCAT_(a, b) GRANTFLOW_STATUS_CONCAT_INNER_(a, b)
#define GRANTFLOW_STATUS_CONCAT_INNER_(a, b) a##b

#endif  // GRANTFLOW_PLATFORM_STATUS_MACROS_H_
