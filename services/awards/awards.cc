#include "services/awards/awards.h"

#include "absl/strings/str_cat.h"
#include "platform/errors.h"
#include "platform/fact_names.h"
#include "platform/idempotency.h"
#include "platform/money.h"
#include "platform/reasons.h"
#include "platform/resources.h"
#include "platform/status_macros.h"

namespace grantflow::awards {
namespace {

namespace wpb = ::grantflow::workflow::v1;

constexpr size_t kMaxTextChars = 2000;
// How far ahead publication may be deferred.
constexpr absl::Duration kMaxDeferral = absl::Hours(24 * 366 * 3);

// A publication date must be a day from `earliest` to kMaxDeferral after
// `now`.
void ValidatePublicationDate(const std::string& date, absl::Time earliest,
                             absl::Time now, const std::string& field,
                             errors::Violations* v) {
  absl::Time day;
  if (!ParseIsoDate(date, &day)) {
    v->Add(field, "must be a date written YYYY-MM-DD");
  } else if (date < IsoDate(earliest)) {
    v->Add(field, absl::StrCat("must not be before ", IsoDate(earliest),
                               ", the day the award was decided"));
  } else if (day > now + kMaxDeferral) {
    v->Add(field, "may defer publication by at most 3 years");
  }
}

void ValidateDecision(const pb::DecideAwardRequest& req, absl::Time now,
                      errors::Violations* v) {
  if (!ParseName(req.case_(), {"cases"})) v->Add("case", "must be cases/{id}");
  LimitText(req.rationale(), "rationale", kMaxTextChars, v);
  LimitText(req.feedback(), "feedback", kMaxTextChars, v);
  switch (req.decision()) {
    case pb::DecideAwardRequest::AWARD:
      // The amount and its lines are the engine's to check against the
      // request, the round and the ledger; only their presence here.
      ValidateAmount(req.amount_pence(), "amount_pence", v);
      if (req.allocations().empty()) {
        v->Add("allocations", "name the budget lines the award draws on");
      }
      if (!req.publication_date().empty()) {
        ValidatePublicationDate(req.publication_date(), now, now,
                                "publication_date", v);
      }
      break;
    case pb::DecideAwardRequest::DECLINE:
      if (!HasText(req.feedback())) {
        v->Add("feedback", "is required: tell the applicant why");
      }
      [[fallthrough]];
    case pb::DecideAwardRequest::RESERVE_LIST:
      if (req.amount_pence() != 0 || !req.allocations().empty()) {
        v->Add("amount_pence", "only an award has an amount");
      }
      if (!req.publication_date().empty()) {
        v->Add("publication_date", "only an award is published");
      }
      break;
    default:
      v->Add("decision", "must be AWARD, DECLINE or RESERVE_LIST");
  }
  ValidateRequestId(req.request_id(), v);
}

}  // namespace

Awards::Awards(storage::Store* store, CaseClient* cases)
    : cases_(cases),
      awards_(store, "awards", "awards", "awards_by_state", "award") {
  awards_.SetFundOf([](const pb::Award& a) { return auth::FundOf(a.round()); });
}

absl::StatusOr<pb::Award> Awards::DecideAward(
    const Call& call, const pb::DecideAwardRequest& req) {
  errors::Violations v;
  ValidateDecision(req, call.now, &v);
  if (!v.empty()) return v.ToStatus();
  const std::string id = req.case_().substr(std::string("cases/").size());
  const auto decision = req.decision();
  return awards_.Upsert(
      call, req, awards_.NameOf(id), req.request_id(), req.etag(),
      req.rationale(),
      [&](pb::Award& a, bool exists,
          storage::WriteSet&) -> absl::StatusOr<std::string> {
        if (exists && a.state() != pb::Award::RESERVE_LIST) {
          return errors::FailedPrecondition(
              reasons::kAlreadyDecided,
              absl::StrCat(a.name(), " is ", pb::Award::State_Name(a.state())),
              {{"state", pb::Award::State_Name(a.state())}});
        }
        ASSIGN_OR_RETURN(wpb::Case kase, cases_->GetCase(req.case_()));
        RETURN_IF_ERROR(RequireFundScope(call, kase.fund()));
        if (kase.state() != "RECOMMENDED") {
          return errors::FailedPrecondition(
              reasons::kNotRecommended,
              absl::StrCat(req.case_(), " is ", kase.state(),
                           ": only a recommended application is decided"),
              {{"state", kase.state()}});
        }
        auto limit = call.principal.limits_pence.find("approve");
        const int64_t own =
            limit == call.principal.limits_pence.end() ? 0 : limit->second;
        if (decision != pb::DecideAwardRequest::RESERVE_LIST) {
          CaseFact f{.case_name = req.case_(),
                     .request_id = req.request_id(),
                     .person = &call.principal};
          if (decision == pb::DecideAwardRequest::AWARD) {
            f.fact = facts::kAwardApproved;
            f.reason = req.rationale();
            f.payload.set_amount_pence(req.amount_pence());
            for (const pb::Allocation& al : req.allocations()) {
              auto* out = f.payload.add_allocations();
              out->set_budget_line(al.budget_line());
              out->set_amount_pence(al.amount_pence());
            }
          } else {
            f.fact = facts::kAwardDeclined;
            f.reason = req.feedback();
          }
          // The engine's fields are the payload's; the caller's are ours.
          RETURN_IF_ERROR(
              errors::RenameFields(RecordCaseFact(*cases_, f), "payload.", ""));
        }
        a.set_case_(kase.name());
        a.set_application(kase.application());
        a.set_organisation(kase.organisation());
        a.set_round(kase.round());
        a.set_amount_requested_pence(kase.amount_requested_pence());
        a.set_recommended_by(kase.recommended_by());
        a.set_state(decision == pb::DecideAwardRequest::AWARD
                        ? pb::Award::APPROVED
                    : decision == pb::DecideAwardRequest::DECLINE
                        ? pb::Award::DECLINED
                        : pb::Award::RESERVE_LIST);
        a.set_amount_pence(req.amount_pence());
        *a.mutable_allocations() = req.allocations();
        a.set_decided_by(call.principal.user);
        a.set_approver_limit_pence(own);
        a.set_rationale(req.rationale());
        a.set_feedback(req.feedback());
        *a.mutable_decide_time() = ToProto(call.now);
        a.set_publication_date(decision != pb::DecideAwardRequest::AWARD ? ""
                               : req.publication_date().empty()
                                   ? IsoDate(call.now)
                                   : req.publication_date());
        return absl::StrCat(
            pb::Award::State_Name(a.state()),
            decision == pb::DecideAwardRequest::AWARD
                ? absl::StrCat(" ", FormatPounds(req.amount_pence()))
                : "");
      });
}

absl::StatusOr<pb::Award> Awards::GetAward(const Call& call,
                                           const pb::GetAwardRequest& req) {
  ASSIGN_OR_RETURN(auto got, awards_.Get(call, req.name()));
  return got.msg;
}

absl::StatusOr<pb::ListAwardsResponse> Awards::ListAwards(
    const Call& call, const pb::ListAwardsRequest& req) {
  return awards_.ListPage(call, req.state(), req.page_size(), req.page_token(),
                          &pb::ListAwardsResponse::mutable_awards);
}

absl::StatusOr<pb::Award> Awards::SetPublicationDate(
    const Call& call, const pb::SetPublicationDateRequest& req) {
  errors::Violations v;
  awards_.ParseName(req.name(), "name", &v);
  if (!HasText(req.reason())) {
    v.Add("reason", "is required: say why publication moves");
  }
  LimitText(req.reason(), "reason", kMaxTextChars, &v);
  ValidateRequestId(req.request_id(), &v);
  absl::Time day;
  if (!ParseIsoDate(req.publication_date(), &day)) {
    v.Add("publication_date", "must be a date written YYYY-MM-DD");
  }
  if (!v.empty()) return v.ToStatus();
  return awards_.Change(
      call, req, req.name(), req.request_id(), req.etag(), req.reason(),
      [&](pb::Award& a, storage::WriteSet&) -> absl::StatusOr<std::string> {
        if (a.state() != pb::Award::APPROVED) {
          return errors::FailedPrecondition(
              reasons::kNotApproved,
              absl::StrCat(a.name(), " is ", pb::Award::State_Name(a.state()),
                           ": only an approved award is published"),
              {{"state", pb::Award::State_Name(a.state())}});
        }
        errors::Violations dv;
        ValidatePublicationDate(req.publication_date(),
                                FromProto(a.decide_time()), call.now,
                                "publication_date", &dv);
        if (!dv.empty()) return dv.ToStatus();
        const std::string before = a.publication_date();
        a.set_publication_date(req.publication_date());
        return absl::StrCat("publication ", before, " -> ",
                            req.publication_date());
      });
}

// ---- Personal data (subject access, erasure) ----

absl::StatusOr<std::vector<Holding>> Awards::PersonalData(
    const privacy::v1::Subject& subject) const {
  return HoldingsIn(subject, CaseTable(awards_.rows(), "award"));
}

}  // namespace grantflow::awards
