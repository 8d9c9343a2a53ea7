// Fact handlers. Monitoring reports: accepted, or overdue by the engine's
// timer.
#include <algorithm>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "platform/auth.h"
#include "platform/errors.h"
#include "platform/money.h"
#include "platform/resources.h"
#include "platform/status_macros.h"
#include "workflows/engine.h"
#include "workflows/engine_internal.h"
#include "workflows/fact_handlers.h"

namespace grantflow::workflows::handlers {

namespace {

absl::Status MarkReport(FactContext& x, bool accepted) {
  wpb::Case& c = x.c;
  const wpb::FactPayload& p = x.payload;
  bool found = false;
  for (auto& r : *c.mutable_reports()) {
    if (r.report_id() != p.report_id()) continue;
    found = true;
    if (accepted) {
      r.set_accepted(true);
      r.set_overdue(false);
    } else if (!r.accepted() && x.call.now >= FromProto(r.due_time())) {
      // A timer from an earlier version whose due date a variation moved
      // later finds the report not yet due, and changes nothing.
      r.set_overdue(true);
      x.details = absl::StrCat("report ", r.report_id(), " overdue");
    }
  }
  if (!found && !accepted) {
    // A report a variation dropped: its old timer changes nothing.
    return absl::OkStatus();
  }
  if (!found) {
    return errors::InvalidArgument(
        {{"payload.report_id", "names no report of this case"}});
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ReportAccepted(FactContext& x) { return MarkReport(x, true); }

absl::Status ReportOverdue(FactContext& x) { return MarkReport(x, false); }

}  // namespace grantflow::workflows::handlers
