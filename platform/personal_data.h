// Personal data a service holds about a subject (a person or an
// organisation): found for a subject access request, and erased or
// anonymised on request outside the records the funder must keep. A service
// says what it holds as Holdings; the host's PrivacyService exports them and
// erases them with EraseHoldings, the same way for every service.
#ifndef GRANTFLOW_PLATFORM_PERSONAL_DATA_H_
#define GRANTFLOW_PLATFORM_PERSONAL_DATA_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "grantflow/privacy/v1/privacy.pb.h"
#include "grantflow/workflow/v1/workflow.pb.h"
#include "platform/call.h"
#include "platform/proto_table.h"
#include "storage/store.h"

namespace grantflow {

// What erased text reads as.
inline constexpr char kErased[] = "[erased]";

// One record held about a subject, what decides whether the funder must keep
// it, and how to erase it.
struct Holding {
  privacy::v1::PersonalRecord record;  // resource, kind and content
  // Kept for this reason until `keep_until` (infinite: until it changes).
  std::string keep_because = "";
  absl::Time keep_until = absl::InfiniteFuture();
  // The grant's case (cases/{id}) whose records these are: kept while it
  // runs, then for the funded or the unsuccessful retention after it ends.
  std::string case_name = "";
  // Without a case: a record of an unsuccessful bid since this time (kept
  // for the unsuccessful retention); InfinitePast: nothing keeps it.
  absl::Time unsuccessful_since = absl::InfinitePast();
  // Kept for this reason while any other holding of the subject is kept
  // (an organisation's contacts while its grants are kept).
  std::string needed_while_kept = "";
  // Adds the erasure (anonymisation or removal, conditional on the row not
  // having changed since it was read) to a write. Null: the record holds
  // nothing personal that can go; it is reported as kept.
  std::function<void(storage::WriteSet&)> erase;
};

// How long the funder keeps a grant's records after it ends.
struct Retention {
  absl::Duration unsuccessful = absl::Hours(24 * 365);
  absl::Duration funded = absl::Hours(24 * 365 * 6);
};

// A record of `m` (as JSON) under `resource`.
privacy::v1::PersonalRecord HeldRecord(std::string resource, std::string kind,
                                       const google::protobuf::Message& m);

// True when a field naming a person in `m` or in any message within it
// names `user` (canonically). Person fields are the string fields named
// `*_by`, `*_users`, `assessor`, `signer` and `user`.
bool NamesPerson(const google::protobuf::Message& m, const std::string& user);

// Replaces every such mention of `user` with kErased; returns how many.
int ErasePerson(google::protobuf::Message* m, const std::string& user);

// The canonical user or the organisation a subject names ("" for neither).
std::string SubjectUser(const privacy::v1::Subject& s);
// "users/{user}" or the organisation's name: the audit resource.
std::string SubjectResource(const privacy::v1::Subject& s);

// One table's rows as holdings: a row is the subject's when its
// organisation is the subject organisation, or when it names the subject
// person. Erasure anonymises a row for an organisation with `anonymise`
// (null: nothing personal to anonymise) and for a person with ErasePerson.
template <typename Msg>
struct PersonalTable {
  const ProtoTable<Msg>* rows = nullptr;  // not owned
  std::string kind = "";
  std::function<std::string(const Msg&)> organisation_of = nullptr;
  std::function<std::string(const Msg&)> case_of = nullptr;
  std::function<void(Msg*)> anonymise = nullptr;
};

// Appends `t`'s rows held about `subject` to `out`. DATA_LOSS for a row
// that does not decode; storage errors as they come.
template <typename Msg>
absl::Status AddHoldings(const PersonalTable<Msg>& t,
                         const privacy::v1::Subject& subject,
                         std::vector<Holding>* out) {
  const std::string user = SubjectUser(subject);
  return t.rows->ForEach([&](const std::string& key,
                             const Versioned<Msg>& row) -> absl::Status {
    const bool theirs = subject.organisation().empty()
                            ? NamesPerson(row.msg, user)
                            : t.organisation_of && t.organisation_of(row.msg) ==
                                                       subject.organisation();
    if (!theirs) return absl::OkStatus();
    Holding h;
    h.record = HeldRecord(row.msg.name(), t.kind, row.msg);
    if (t.case_of) h.case_name = t.case_of(row.msg);
    if (!subject.organisation().empty() && !t.anonymise) {
      out->push_back(std::move(h));
      return absl::OkStatus();
    }
    Msg erased = row.msg;
    if (subject.organisation().empty()) {
      ErasePerson(&erased, user);
    } else {
      t.anonymise(&erased);
    }
    const ProtoTable<Msg>* rows = t.rows;
    h.erase = [rows, key, erased, version = row.version](storage::WriteSet& w) {
      rows->Replace(w, key, erased, version);
    };
    out->push_back(std::move(h));
    return absl::OkStatus();
  });
}

// True once `c` has reached an end (closed, terminated, declined, lapsed,
// withdrawn, ineligible, not shortlisted or not recommended).
bool CaseEnded(const workflow::v1::Case& c);

// Looks a case up at the engine: NOT_FOUND when it has none (yet).
using CaseLookup =
    std::function<absl::StatusOr<workflow::v1::Case>(const std::string&)>;

// Erases `holdings` of `req.subject()` as `call`, once per request id: each
// kept by what its Holding says (cases looked up with `cases`) is reported
// kept with why and until when; every other one is erased, all in one
// atomic write with one audit entry that says how many went, never what.
// ABORTED when a record changed meanwhile (retry); UNAVAILABLE when the
// engine cannot be reached.
absl::StatusOr<privacy::v1::ErasePersonalDataResponse> EraseHoldings(
    storage::Store& store, const Call& call,
    const privacy::v1::ErasePersonalDataRequest& req,
    std::vector<Holding> holdings, const CaseLookup& cases,
    const Retention& retention);

}  // namespace grantflow

#endif  // GRANTFLOW_PLATFORM_PERSONAL_DATA_H_
