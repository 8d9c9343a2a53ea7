#include "platform/personal_data.h"

#include <map>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "platform/audit.h"
#include "platform/auth.h"
#include "platform/idempotency.h"
#include "platform/resources.h"
#include "platform/status_macros.h"

namespace grantflow {

namespace prv = ::grantflow::privacy::v1;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

prv::PersonalRecord HeldRecord(std::string resource, std::string kind,
                               const Message& m) {
  prv::PersonalRecord r;
  r.set_resource(std::move(resource));
  r.set_kind(std::move(kind));
  std::string json;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &json, o);
  r.set_content_json(std::move(json));
  return r;
}

namespace {

bool IsPersonField(const FieldDescriptor& f) {
  if (f.type() != FieldDescriptor::TYPE_STRING) return false;
  const std::string& n = f.name();
  return absl::EndsWith(n, "_by") || absl::EndsWith(n, "_users") ||
         n == "assessor" || n == "signer" || n == "user";
}

bool Same(const std::string& stored, const std::string& user) {
  return auth::CanonicalUser(stored).value_or("") == user;
}

// Calls `visit` on every person field value in `m` (recursively); `visit`
// returns the replacement, or nullopt to leave it. Returns how many it
// replaced; with m_mutable null, only counts.
template <typename Visit>
int WalkPersons(const Message& m, Message* m_mutable, const Visit& visit) {
  const Reflection* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  int n = 0;
  for (const FieldDescriptor* f : fields) {
    if (f->type() == FieldDescriptor::TYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(m, f); ++i) {
          n += WalkPersons(
              r->GetRepeatedMessage(m, f, i),
              m_mutable ? r->MutableRepeatedMessage(m_mutable, f, i) : nullptr,
              visit);
        }
      } else {
        n += WalkPersons(r->GetMessage(m, f),
                         m_mutable ? r->MutableMessage(m_mutable, f) : nullptr,
                         visit);
      }
      continue;
    }
    if (!IsPersonField(*f)) continue;
    if (f->is_repeated()) {
      for (int i = 0; i < r->FieldSize(m, f); ++i) {
        if (!visit(r->GetRepeatedString(m, f, i))) continue;
        ++n;
        if (m_mutable) r->SetRepeatedString(m_mutable, f, i, kErased);
      }
    } else if (visit(r->GetString(m, f))) {
      ++n;
      if (m_mutable) r->SetString(m_mutable, f, kErased);
    }
  }
  return n;
}

}  // namespace

bool NamesPerson(const Message& m, const std::string& user) {
  if (user.empty()) return false;
  return WalkPersons(m, nullptr,
                     [&](const std::string& v) { return Same(v, user); }) > 0;
}

int ErasePerson(Message* m, const std::string& user) {
  if (user.empty()) return 0;
  return WalkPersons(*m, m,
                     [&](const std::string& v) { return Same(v, user); });
}

std::string SubjectUser(const prv::Subject& s) {
  return auth::CanonicalUser(s.user()).value_or("");
}

std::string SubjectResource(const prv::Subject& s) {
  return s.organisation().empty() ? "users/" + SubjectUser(s)
                                  : s.organisation();
}

bool CaseEnded(const workflow::v1::Case& c) {
  // The built-in lifecycles' terminal states (workflows/definitions). A
  // further definition's own terminal state counts as still running: its
  // records are kept, never erased too soon.
  static const auto* kEnds = new std::set<std::string>{
      "CLOSED", "TERMINATED", "DECLINED", "INELIGIBLE", "LAPSED", "WITHDRAWN"};
  return kEnds->contains(c.state());
}

namespace {

struct Verdict {
  std::string because;  // empty: erase
  absl::Time until = absl::InfiniteFuture();
};

// Why the funder keeps the records of a case at `now`.
absl::StatusOr<Verdict> CaseVerdict(const CaseLookup& cases,
                                    const std::string& name, absl::Time now,
                                    const Retention& retention) {
  absl::StatusOr<workflow::v1::Case> c = cases(name);
  // Submitted and not at the engine yet: its submission is on its way.
  if (absl::IsNotFound(c.status())) {
    return Verdict{.because = "a bid still being decided"};
  }
  if (!c.ok()) return c.status();
  const bool funded = c->awarded_pence() > 0 && c->agreement().executed();
  if (!CaseEnded(*c)) {
    return Verdict{.because = funded ? "a funded grant still running"
                                     : "a bid still being decided"};
  }
  Verdict v;
  v.until = FromProto(c->update_time()) +
            (funded ? retention.funded : retention.unsuccessful);
  if (v.until > now) {
    v.because = funded
                    ? "a funded grant's record, kept for its retention period"
                    : "an unsuccessful bid's record, kept for its retention "
                      "period";
  }
  return v;
}

}  // namespace

absl::StatusOr<prv::ErasePersonalDataResponse> EraseHoldings(
    storage::Store& store, const Call& call,
    const prv::ErasePersonalDataRequest& req, std::vector<Holding> holdings,
    const CaseLookup& cases, const Retention& retention) {
  // What keeps each holding, decided before the write (the engine is asked
  // once per case).
  std::map<std::string, Verdict> by_case;
  std::vector<Verdict> verdicts(holdings.size());
  bool any_kept = false;
  for (size_t i = 0; i < holdings.size(); ++i) {
    const Holding& h = holdings[i];
    Verdict& v = verdicts[i];
    if (!h.keep_because.empty()) {
      v = Verdict{.because = h.keep_because, .until = h.keep_until};
    } else if (!h.cases.empty()) {
      // Kept while any of its cases keeps it, until the last lets it go.
      for (const std::string& name : h.cases) {
        auto it = by_case.find(name);
        if (it == by_case.end()) {
          ASSIGN_OR_RETURN(Verdict cv,
                           CaseVerdict(cases, name, call.now, retention));
          it = by_case.emplace(name, cv).first;
        }
        const Verdict& cv = it->second;
        if (cv.because.empty()) continue;
        if (v.because.empty() || cv.until > v.until) v = cv;
      }
    } else if (h.unsuccessful_since != absl::InfinitePast()) {
      v.until = h.unsuccessful_since + retention.unsuccessful;
      if (v.until > call.now) {
        v.because =
            "a withdrawn or unsuccessful bid, kept for its retention "
            "period";
      }
    }
    if (!v.because.empty() && h.needed_while_kept.empty()) any_kept = true;
  }
  for (size_t i = 0; i < holdings.size(); ++i) {
    Verdict& v = verdicts[i];
    if (!v.because.empty()) continue;
    if (any_kept && !holdings[i].needed_while_kept.empty()) {
      v = Verdict{.because = holdings[i].needed_while_kept};
    } else if (!holdings[i].erase) {
      v = Verdict{.because =
                      "nothing in it is personal beyond the organisation's "
                      "name"};
    }
  }
  return RunOnce<prv::ErasePersonalDataResponse>(
      store, call, req.request_id(), req,
      [&](storage::WriteSet& w)
          -> absl::StatusOr<prv::ErasePersonalDataResponse> {
        prv::ErasePersonalDataResponse out;
        for (size_t i = 0; i < holdings.size(); ++i) {
          prv::PersonalRecord r = holdings[i].record;
          if (!verdicts[i].because.empty()) {
            r.set_kept_because(verdicts[i].because);
            if (verdicts[i].until != absl::InfiniteFuture()) {
              *r.mutable_keep_until() = ToProto(verdicts[i].until);
            }
            *out.add_kept() = std::move(r);
            continue;
          }
          holdings[i].erase(w);
          *out.add_erased() = std::move(r);
        }
        // The audit entry says what went, never what it said.
        AuditChange(w, call, SubjectResource(req.subject()), req.request_id(),
                    absl::StrCat("personal data erased: ", out.erased_size(),
                                 " records; kept: ", out.kept_size()),
                    req.reason());
        return out;
      });
}

}  // namespace grantflow
