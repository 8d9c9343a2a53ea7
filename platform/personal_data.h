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
  // The grants' cases (cases/{id}) whose records these are: kept while one
  // runs, then for the funded or the unsuccessful retention after it ends.
  std::vector<std::string> cases = {};
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

// One table's rows as holdings. A row is an organisation's when `about`
// says so, and a person's when it names them (NamesPerson). Erasure for an
// organisation anonymises the row with `anonymise` (null: nothing in it is
// personal), for a person takes their name off it (ErasePerson).
template <typename Msg>
struct PersonalTable {
  const ProtoTable<Msg>* rows = nullptr;  // not owned
  std::string kind = "";
  std::function<bool(const Msg&, const std::string& organisation)> about =
      nullptr;
  // The cases whose retention keeps the row; `organisation` is the subject
  // organisation ("" for a person), for rows spanning several.
  std::function<std::vector<std::string>(const Msg&,
                                         const std::string& organisation)>
      cases = nullptr;
  // A reason the row is kept whatever its cases say ("" for none).
  std::function<std::string(const Msg&)> keep_because = nullptr;
  // For an organisation: kept for this reason while anything else is.
  std::string needed_while_kept = "";
  std::function<void(Msg*, const std::string& organisation)> anonymise =
      nullptr;
  // Writes the erased row over `before` (default: ProtoTable::Replace); for
  // a row whose state and indexes change with it.
  std::function<void(storage::WriteSet&, const std::string& key,
                     const Msg& erased, const Msg& before, uint64_t version)>
      replace = nullptr;
};

// `about` for rows with an `organisation` field, and `cases` for rows with
// a `case` field.
template <typename Msg>
bool OrganisationIs(const Msg& m, const std::string& organisation) {
  return m.organisation() == organisation;
}
template <typename Msg>
std::vector<std::string> CaseOf(const Msg& m, const std::string&) {
  return {m.case_()};
}

// Appends `t`'s rows held about `subject` to `out`. DATA_LOSS for a row
// that does not decode; storage errors as they come.
template <typename Msg>
absl::Status AddHoldings(const PersonalTable<Msg>& t,
                         const privacy::v1::Subject& subject,
                         std::vector<Holding>* out) {
  const std::string& org = subject.organisation();
  const std::string user = SubjectUser(subject);
  return t.rows->ForEach([&](const std::string& key,
                             const Versioned<Msg>& row) -> absl::Status {
    const bool theirs = org.empty() ? NamesPerson(row.msg, user)
                                    : t.about && t.about(row.msg, org);
    if (!theirs) return absl::OkStatus();
    Holding h;
    h.record = HeldRecord(row.msg.name(), t.kind, row.msg);
    if (t.cases) h.cases = t.cases(row.msg, org);
    if (t.keep_because) h.keep_because = t.keep_because(row.msg);
    if (!org.empty()) h.needed_while_kept = t.needed_while_kept;
    if (!org.empty() && !t.anonymise) {
      out->push_back(std::move(h));
      return absl::OkStatus();
    }
    Msg erased = row.msg;
    if (org.empty()) {
      ErasePerson(&erased, user);
    } else {
      t.anonymise(&erased, org);
    }
    h.erase = [rows = t.rows, replace = t.replace, key, erased,
               before = row.msg, version = row.version](storage::WriteSet& w) {
      if (replace) {
        replace(w, key, erased, before, version);
      } else {
        rows->Replace(w, key, erased, version);
      }
    };
    out->push_back(std::move(h));
    return absl::OkStatus();
  });
}

// A table whose rows have `organisation` and `case` fields, anonymised for
// an organisation with `anonymise` (null: nothing in a row is personal).
template <typename Msg>
PersonalTable<Msg> CaseTable(
    const ProtoTable<Msg>& rows, std::string kind,
    std::function<void(Msg*, const std::string&)> anonymise = nullptr) {
  PersonalTable<Msg> t;
  t.rows = &rows;
  t.kind = std::move(kind);
  t.about = OrganisationIs<Msg>;
  t.cases = CaseOf<Msg>;
  t.anonymise = std::move(anonymise);
  return t;
}

// The holdings of `subject` in every one of `tables`, in order.
template <typename... Msgs>
absl::StatusOr<std::vector<Holding>> HoldingsIn(
    const privacy::v1::Subject& subject, const PersonalTable<Msgs>&... tables) {
  std::vector<Holding> out;
  absl::Status s = absl::OkStatus();
  ((s.ok() ? (void)(s = AddHoldings(tables, subject, &out)) : void()), ...);
  if (!s.ok()) return s;
  return out;
}

// True once `c` has reached an end (closed, terminated, declined, lapsed,
// withdrawn or ineligible: the built-in lifecycles' terminal states).
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
