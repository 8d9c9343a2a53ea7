// SafeguardingService's domain internals shared by its source files
// (checks.cc: checks, reads, outcomes, the purge; records.cc: items and DBS
// records). Not part of the service's interface.
#ifndef GRANTFLOW_SERVICES_SAFEGUARDING_INTERNAL_H_
#define GRANTFLOW_SERVICES_SAFEGUARDING_INTERNAL_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "platform/errors.h"
#include "services/safeguarding/safeguarding.h"
#include "storage/key_coding.h"

namespace grantflow::safeguarding {

// Store tables besides the checks': DBS records by (check, record); the
// access log by (check, time, read); purge timers by (due time, check).
inline constexpr char kDbsTable[] = "sg_dbs_records";
inline constexpr char kAccessTable[] = "sg_access_log";
inline constexpr char kPurgeTimers[] = "sg_purge_timers";

inline constexpr pb::ItemKind kItemKinds[] = {pb::POLICY, pb::DESIGNATED_LEAD,
                                              pb::DBS_CHECKS, pb::TRAINING,
                                              pb::INCIDENT_REPORTING};

inline std::string IdOf(const std::string& name) {
  return name.substr(std::string("safeguardingChecks/").size());
}

inline std::string CheckKey(const std::string& id) {
  std::string k;
  storage::AppendString(&k, id);
  return k;
}

inline std::string DbsKey(const std::string& id, const std::string& record) {
  std::string k = CheckKey(id);
  storage::AppendString(&k, record);
  return k;
}

inline std::string AccessKey(const std::string& id, absl::Time at,
                             const std::string& unique) {
  std::string k = CheckKey(id);
  storage::AppendInt64(&k, absl::ToUnixMicros(at));
  storage::AppendString(&k, unique);
  return k;
}

inline std::string PurgeKey(absl::Time due, const std::string& id) {
  std::string k;
  storage::AppendInt64(&k, absl::ToUnixMicros(due));
  storage::AppendString(&k, id);
  return k;
}

inline absl::Status NotInState(const pb::SafeguardingCheck& c,
                               const char* reason, const std::string& needs) {
  const std::string state = pb::SafeguardingCheck::State_Name(c.state());
  return errors::FailedPrecondition(
      reason, absl::StrCat(c.name(), " is ", state, "; ", needs),
      {{"state", state}});
}

// The request's own checks of a conclusion (outcome, reason, conditions).
void ValidateConclusion(const pb::ConcludeCheckRequest& req,
                        errors::Violations* v);

// FAILED_PRECONDITION unless every item is recorded (ITEMS_INCOMPLETE) and,
// for a plain pass, satisfactory (ITEMS_UNSATISFACTORY).
absl::Status CheckItemsPass(const pb::SafeguardingCheck& c, bool plain);

}  // namespace grantflow::safeguarding

#endif  // GRANTFLOW_SERVICES_SAFEGUARDING_INTERNAL_H_
