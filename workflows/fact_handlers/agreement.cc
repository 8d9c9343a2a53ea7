// Fact handlers. The funding agreement (R1, R4): issue, the recipient's
// signature, the funder's countersignature (which commits the budget).
#include <algorithm>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "platform/auth.h"
#include "platform/duties.h"
#include "platform/errors.h"
#include "platform/fact_names.h"
#include "platform/instalments.h"
#include "platform/money.h"
#include "platform/reasons.h"
#include "platform/resources.h"
#include "platform/status_macros.h"
#include "workflows/engine.h"
#include "workflows/engine_internal.h"
#include "workflows/fact_handlers.h"

namespace grantflow::workflows::handlers {

namespace {

// The version a signature or countersignature is for: a variation when the
// agreement is already executed, else the agreement itself.
wpb::Agreement* Signing(wpb::Case& c) {
  return c.agreement().executed() ? c.mutable_variation()
                                  : c.mutable_agreement();
}

// A schedule and its reports, as AGREEMENT_EXECUTED gives them: ids unique,
// amounts valid and within the award, reports named by instalments known;
// for a variation, every payment already made or authorised keeps its
// instalment, at no less than it was.
absl::Status ValidateSchedule(const wpb::Case& c, const wpb::FactPayload& p) {
  errors::Violations pv;
  std::optional<int64_t> scheduled = 0;
  std::set<std::string> ids, reports;
  if (p.reports_size() > kMaxReports) {
    pv.Add("payload.reports",
           absl::StrCat("at most ", kMaxReports, " reports"));
  }
  if (p.schedule_size() > kMaxInstalments) {
    pv.Add("payload.schedule",
           absl::StrCat("at most ", kMaxInstalments, " instalments"));
  }
  for (int i = 0; i < p.reports_size(); ++i) {
    const auto& r = p.reports(i);
    std::string f = absl::StrCat("payload.reports[", i, "]");
    if (!IsValidId(r.report_id()) || !reports.insert(r.report_id()).second) {
      pv.Add(f + ".report_id", "must be a unique short id");
    }
    if (!r.has_due_time()) pv.Add(f + ".due_time", "is required");
  }
  for (int i = 0; i < p.schedule_size(); ++i) {
    const auto& s = p.schedule(i);
    std::string f = absl::StrCat("payload.schedule[", i, "]");
    if (!IsValidId(s.payment_id()) || !ids.insert(s.payment_id()).second) {
      pv.Add(f + ".payment_id", "must be a unique short id");
    }
    ValidateAmount(s.amount_pence(), f + ".amount_pence", &pv);
    if (!s.requires_report().empty() &&
        !reports.contains(s.requires_report())) {
      pv.Add(f + ".requires_report", "names no report in payload.reports");
    }
    if (scheduled) scheduled = AddPence(*scheduled, s.amount_pence());
  }
  if (!scheduled || *scheduled > c.awarded_pence()) {
    pv.Add("payload.schedule",
           absl::StrCat(
               "adds up to ", scheduled ? FormatPounds(*scheduled) : "too much",
               ", more than the award of ", FormatPounds(c.awarded_pence())));
  }
  for (const auto& [instalment, taken] : TakenByInstalment(c)) {
    const wpb::Instalment* kept = nullptr;
    for (const auto& s : p.schedule()) {
      if (s.payment_id() == instalment) kept = &s;
    }
    if (kept == nullptr || kept->amount_pence() < taken) {
      pv.Add("payload.schedule",
             absl::StrCat("must keep instalment ", instalment,
                          " at no less than the ", FormatPounds(taken),
                          " already paid or authorised"));
    }
  }
  return pv.ToStatus();
}

}  // namespace

absl::Status IssueAgreement(FactContext& x) {
  wpb::Case& c = x.c;
  const wpb::FactPayload& p = x.payload;
  std::string& details = x.details;
  if (!IsSha256Hex(p.document_sha256())) {
    return errors::InvalidArgument(
        {{"payload.document_sha256",
          "must be the document's SHA-256 as 64 lower-case hex "
          "digits"}});
  }
  if (c.awarded_pence() <= 0) {
    return Refuse(reasons::kNoAward, "no award has been approved");
  }
  std::vector<std::string> missing;
  if (!c.due_diligence_passed()) missing.push_back("due_diligence");
  if (c.safeguarding_required() && !c.safeguarding_passed()) {
    missing.push_back("safeguarding");
  }
  if (!missing.empty()) {
    return Refuse(reasons::kChecksIncomplete,
                  absl::StrCat("the agreement cannot be issued before: ",
                               absl::StrJoin(missing, ", ")),
                  {{"missing", absl::StrJoin(missing, ",")}});
  }
  // Open conditions do not stop the agreement: they stop payments (R4).
  // Once executed, a new issue is a variation: the executed version (and
  // its schedule) stays in force until the variation is executed.
  const bool variation = c.agreement().executed();
  wpb::Agreement* ag = Signing(c);
  const int version =
      std::max(c.agreement().version(), c.variation().version()) + 1;
  ag->Clear();
  ag->set_version(version);
  ag->set_document_sha256(p.document_sha256());
  details = absl::StrCat(variation ? "variation v" : "agreement v", version,
                         " issued");
  return absl::OkStatus();
}

absl::Status RecipientSigned(FactContext& x) {
  wpb::Case& c = x.c;
  const wpb::FactPayload& p = x.payload;
  const std::string& actor = x.call.principal.user;
  const Call& call = x.call;
  wpb::Agreement* ag = Signing(c);
  if (ag->version() == 0 || ag->executed()) {
    return Refuse(reasons::kNothingToSign,
                  "the agreement is executed and no variation is issued");
  }
  if (p.document_sha256() != ag->document_sha256()) {
    return Refuse(reasons::kDocumentMismatch,
                  absl::StrCat("the signature is on another document "
                               "than agreement v",
                               ag->version()));
  }
  wpb::Signature* s = ag->mutable_recipient();
  s->set_signer(actor);
  s->set_document_sha256(p.document_sha256());
  *s->mutable_time() = ToProto(call.now);
  x.details = absl::StrCat("v", ag->version(), " signed for the recipient");
  return absl::OkStatus();
}

absl::Status Execute(FactContext& x) {
  wpb::Case& c = x.c;
  const wpb::FactPayload& p = x.payload;
  Lines& lines = x.lines;
  std::set<std::string>& touched = x.touched;
  const std::string& actor = x.call.principal.user;
  std::string& details = x.details;
  const Call& call = x.call;
  storage::WriteSet& w = x.writes;
  const bool variation = c.agreement().executed();
  wpb::Agreement* ag = Signing(c);
  if (ag->version() == 0 || ag->executed()) {
    return Refuse(reasons::kNothingToSign,
                  "the agreement is executed and no variation is issued");
  }
  if (!ag->has_recipient() ||
      ag->recipient().document_sha256() != ag->document_sha256()) {
    return Refuse(reasons::kAgreementNotSigned,
                  "the recipient has not signed this version");
  }
  if (p.document_sha256() != ag->document_sha256()) {
    return Refuse(reasons::kDocumentMismatch,
                  absl::StrCat("the countersignature is on another "
                               "document than agreement v",
                               ag->version()));
  }
  RETURN_IF_ERROR(duties::Check(duties::Duty::kSignForFunder,
                                ag->recipient().signer(), actor, c.name()));
  RETURN_IF_ERROR(ValidateSchedule(c, p));
  wpb::Signature* s = ag->mutable_funder();
  s->set_signer(actor);
  s->set_document_sha256(p.document_sha256());
  *s->mutable_time() = ToProto(call.now);
  ag->set_executed(true);
  const int version = ag->version();
  if (variation) {
    // The variation's terms take over; payments made keep their places
    // (ValidateSchedule), reports keep what is known of them.
    wpb::Agreement executed = std::move(*ag);
    c.clear_variation();
    *c.mutable_agreement() = std::move(executed);
  } else {
    for (const auto& a : c.allocations()) {
      ASSIGN_OR_RETURN(auto line, LineFor(lines, a.budget_line()));
      line->set_reserved_pence(line->reserved_pence() - a.amount_pence());
      line->set_committed_pence(line->committed_pence() + a.amount_pence());
      touched.insert(a.budget_line());
    }
    c.set_budget_committed(true);
  }
  google::protobuf::RepeatedPtrField<wpb::Report> reports = p.reports();
  for (auto& r : reports) {
    for (const auto& before : c.reports()) {
      if (before.report_id() == r.report_id())
        r.set_accepted(before.accepted());
    }
  }
  *c.mutable_schedule() = p.schedule();
  *c.mutable_reports() = std::move(reports);
  for (const auto& r : c.reports()) {
    if (r.accepted()) continue;
    ScheduleTimer(w, c, facts::kMonitoringReportOverdue,
                  FromProto(r.due_time()),
                  absl::StrCat("report-", r.report_id(), "-v", version), 0,
                  r.report_id());
  }
  details = variation
                ? absl::StrCat("variation v", version,
                               " executed; its schedule is now in force")
                : absl::StrCat("agreement v", version, " executed; committed ",
                               FormatPounds(c.awarded_pence()));
  return absl::OkStatus();
}

}  // namespace grantflow::workflows::handlers
