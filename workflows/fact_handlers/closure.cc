// Fact handlers. Closure and the side exits: what a case holds on its lines is
// released (termination recovers the unpaid remainder).
#include <algorithm>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "platform/auth.h"
#include "platform/errors.h"
#include "platform/money.h"
#include "platform/reasons.h"
#include "platform/resources.h"
#include "platform/status_macros.h"
#include "workflows/engine.h"
#include "workflows/engine_internal.h"
#include "workflows/fact_handlers.h"

namespace grantflow::workflows::handlers {

namespace {

absl::Status ReleaseCase(FactContext& x, bool recovery) {
  wpb::Case& c = x.c;
  Lines& lines = x.lines;
  std::set<std::string>& touched = x.touched;
  std::string& details = x.details;
  if (c.pending_pence() > 0) {
    return Refuse(reasons::kPaymentsPending,
                  absl::StrCat(FormatPounds(c.pending_pence()),
                               " is authorised but not settled; "
                               "confirm or void it first"));
  }
  for (const auto& a : c.allocations()) {
    if (!lines.contains(a.budget_line())) {
      return LineFor(lines, a.budget_line()).status();
    }
    touched.insert(a.budget_line());
  }
  int64_t released = ReleaseHoldings(c, lines);
  if (released > 0) {
    details = absl::StrCat("released ", FormatPounds(released),
                           recovery ? " (unspent funds recovered)" : "");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Release(FactContext& x) { return ReleaseCase(x, false); }

absl::Status Terminate(FactContext& x) { return ReleaseCase(x, true); }

}  // namespace grantflow::workflows::handlers
