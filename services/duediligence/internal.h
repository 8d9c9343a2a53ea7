// DueDiligenceService's domain internals shared by its source files
// (checks.cc: opening, reading, the policy, duplicates; items.cc: the tiers'
// items; outcomes.cc: conclusions, referrals, conditions). Not part of the
// service's interface.
#ifndef GRANTFLOW_SERVICES_DUEDILIGENCE_INTERNAL_H_
#define GRANTFLOW_SERVICES_DUEDILIGENCE_INTERNAL_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "platform/audit.h"
#include "platform/auth.h"
#include "platform/errors.h"
#include "platform/fact_names.h"
#include "platform/idempotency.h"
#include "platform/money.h"
#include "platform/paging.h"
#include "platform/reasons.h"
#include "platform/resources.h"
#include "platform/status_macros.h"
#include "services/duediligence/checks.h"
#include "storage/key_coding.h"

namespace grantflow::duediligence {

namespace wpb = ::grantflow::workflow::v1;
namespace apb = ::grantflow::applications::v1;

inline constexpr char kChecksPrefix[] = "dueDiligenceChecks/";
inline constexpr char kPolicyName[] = "dueDiligencePolicy";
// Index tables: (state, id) for the officers' queues; (registration, id)
// for the duplicate-funding search and earlier passes.
inline constexpr char kByState[] = "dd_by_state";
inline constexpr char kByRegistration[] = "dd_by_registration";
// Who records what the service fills in itself.
inline constexpr char kSystem[] = "duediligence";
inline constexpr int kMaxConditionsPerCheck = 10;
inline constexpr size_t kMaxNotesChars = 2000;

inline std::optional<std::string> ParseCheckName(const std::string& name,
                                                 const std::string& field,
                                                 errors::Violations* v) {
  auto ids = ParseName(name, {"dueDiligenceChecks"});
  if (!ids) {
    v->Add(field, "must be dueDiligenceChecks/{id}");
    return std::nullopt;
  }
  return (*ids)[0];
}

inline std::string IdOf(const std::string& name) {
  return name.substr(std::string(kChecksPrefix).size());
}

// A registration number as registers print it: upper case, no spaces.
inline std::string NormaliseNumber(absl::string_view number) {
  std::string out;
  for (char ch : number) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(ch))) {
      out.push_back(absl::ascii_toupper(static_cast<unsigned char>(ch)));
    }
  }
  return out;
}

// What identifies the organisation for the duplicate search: its record and
// its charity and company numbers. Each with the words a match shows.
struct Registration {
  std::string key;         // index prefix
  std::string matched_on;  // "organisation", "charity 1234567", ...
};
inline std::vector<Registration> RegistrationsOf(
    const pb::DueDiligenceCheck& c) {
  std::vector<Registration> out;
  auto add = [&](const std::string& kind, const std::string& value,
                 const std::string& words) {
    if (value.empty()) return;
    std::string k;
    storage::AppendString(&k, kind);
    storage::AppendString(&k, value);
    out.push_back({k, words});
  };
  add("organisation", c.organisation(), "organisation");
  add("charity", c.charity_number(), "charity " + c.charity_number());
  add("company", c.company_number(), "company " + c.company_number());
  return out;
}

// The check id an index row ends with, after `prefix_size` bytes of its
// key; DATA_LOSS when the row cannot be read.
inline absl::StatusOr<std::string> IdAfter(const std::string& key,
                                           size_t prefix_size) {
  storage::KeyReader r(absl::string_view(key).substr(prefix_size));
  std::string id;
  if (!r.ReadString(&id) || !r.done()) {
    return absl::DataLossError("a due diligence index row is unreadable");
  }
  return id;
}

inline std::string RegistrationKey(const Registration& r,
                                   const std::string& id) {
  std::string k = r.key;
  storage::AppendString(&k, id);
  return k;
}

// Periods as ISO dates; an empty end (or start) is open-ended.
inline bool Overlaps(const std::string& a_start, const std::string& a_end,
                     const std::string& b_start, const std::string& b_end) {
  const bool a_before_b_ends =
      b_end.empty() || a_start.empty() || a_start <= b_end;
  const bool b_before_a_ends =
      a_end.empty() || b_start.empty() || b_start <= a_end;
  return a_before_b_ends && b_before_a_ends;
}

inline pb::Item* FindItem(pb::DueDiligenceCheck& c, pb::ItemKind kind) {
  for (pb::Item& it : *c.mutable_items()) {
    if (it.kind() == kind) return &it;
  }
  return nullptr;
}

inline absl::Status NotInState(const pb::DueDiligenceCheck& c,
                               const char* reason, const std::string& needs) {
  const std::string state = pb::DueDiligenceCheck::State_Name(c.state());
  return errors::FailedPrecondition(
      reason, absl::StrCat(c.name(), " is ", state, "; ", needs),
      {{"state", state}});
}

// Sets the DUPLICATE_FUNDING item from the search's result: satisfactory
// (recorded by the service) when nothing overlaps, to be reviewed when
// something does.
void SetDuplicateItem(pb::DueDiligenceCheck& c, absl::Time now);

}  // namespace grantflow::duediligence

#endif  // GRANTFLOW_SERVICES_DUEDILIGENCE_INTERNAL_H_
