// AgreementService's domain internals shared by its source files
// (agreements.cc: templates, drafting, issue and signatures, reads,
// termination, outcomes; reports.cc: monitoring reports and reminders).
// Not part of the service's interface.
#ifndef GRANTFLOW_SERVICES_AGREEMENTS_INTERNAL_H_
#define GRANTFLOW_SERVICES_AGREEMENTS_INTERNAL_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "platform/errors.h"
#include "services/agreements/agreements.h"

namespace grantflow::agreements {

inline constexpr size_t kMaxNoteChars = 2000;
inline constexpr size_t kMaxNarrativeChars = 10000;

inline bool Ended(const pb::Agreement& a) {
  return a.state() == pb::Agreement::TERMINATED ||
         a.state() == pb::Agreement::LAPSED ||
         a.state() == pb::Agreement::CLOSED;
}

inline absl::Status NotInState(const pb::Agreement& a, const char* reason,
                               const std::string& needs) {
  const std::string state = pb::Agreement::State_Name(a.state());
  return errors::FailedPrecondition(
      reason, absl::StrCat(a.name(), " is ", state, "; ", needs),
      {{"state", state}});
}

// The agreement's report `id`, or NOT_FOUND naming the field.
absl::StatusOr<pb::MonitoringReport*> FindReport(pb::Agreement& a,
                                                 const std::string& id);

}  // namespace grantflow::agreements

#endif  // GRANTFLOW_SERVICES_AGREEMENTS_INTERNAL_H_
