// Monitoring reports (submitted by the recipient, accepted or returned by a
// grants officer; the final one closes the grant) and the reminders the
// host's background pass adds.
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "platform/fact_names.h"
#include "platform/idempotency.h"
#include "platform/money.h"
#include "platform/reasons.h"
#include "platform/resources.h"
#include "platform/status_macros.h"
#include "services/agreements/internal.h"

namespace grantflow::agreements {
namespace {

namespace wpb = ::grantflow::workflow::v1;

constexpr int64_t kMaxIndicatorValue = 1'000'000'000;
constexpr absl::Duration kSignatureNotice = absl::Hours(24 * 7);
constexpr absl::Duration kReportNotice = absl::Hours(24 * 14);

absl::Status NotExecuted(const pb::Agreement& a) {
  return NotInState(
      a, Ended(a) ? reasons::kAgreementEnded : reasons::kAgreementNotExecuted,
      "reports belong to an executed agreement");
}

bool Reminded(const pb::Agreement& a, const std::string& about) {
  for (const auto& r : a.reminders()) {
    if (r.about() == about) return true;
  }
  return false;
}

// What `a` needs at `now`: reminders not yet given, reports newly overdue.
// Returns the number of changes made to `a`.
int Remind(pb::Agreement& a, absl::Time now) {
  int changes = 0;
  auto remind = [&](const std::string& about, const std::string& text) {
    if (Reminded(a, about)) return;
    pb::Reminder* r = a.add_reminders();
    r->set_about(about);
    *r->mutable_time() = ToProto(now);
    r->set_text(text);
    ++changes;
  };
  if (a.state() == pb::Agreement::AWAITING_SIGNATURE) {
    for (const auto& v : a.versions()) {
      if (v.state() != pb::Version::ISSUED || !v.has_signature_deadline()) {
        continue;
      }
      const absl::Time deadline = FromProto(v.signature_deadline());
      if (now >= deadline - kSignatureNotice && now < deadline) {
        remind(
            absl::StrCat("signature v", v.number()),
            absl::StrCat(
                "Version ", v.number(), " must be signed for the recipient by ",
                absl::FormatTime("%Y-%m-%d", deadline, absl::UTCTimeZone()),
                " or the award lapses."));
      }
    }
  }
  if (a.state() == pb::Agreement::EXECUTED) {
    for (auto& r : *a.mutable_reports()) {
      if (r.state() != pb::MonitoringReport::DUE &&
          r.state() != pb::MonitoringReport::RETURNED) {
        continue;
      }
      const absl::Time due = EndOfDay(r.due_date());
      if (now >= due - kReportNotice && now < due) {
        remind(absl::StrCat("report ", r.id()),
               absl::StrCat("Report '", r.title(), "' is due by ", r.due_date(),
                            "."));
      }
      if (now >= due && !r.overdue()) {
        r.set_overdue(true);
        ++changes;
        remind(
            absl::StrCat("report ", r.id(), " overdue"),
            absl::StrCat("Report '", r.title(), "' was due by ", r.due_date(),
                         "; later payments wait until it is accepted."));
      }
    }
  }
  return changes;
}

}  // namespace

absl::StatusOr<pb::Agreement> Agreements::SubmitReport(
    const Call& call, const pb::SubmitReportRequest& req) {
  errors::Violations v;
  agreements_.ParseName(req.agreement(), "agreement", &v);
  RequireText(req.narrative(), "narrative", kMaxNarrativeChars, &v);
  if (req.progress_size() > kMaxIndicators) {
    v.Add("progress", absl::StrCat("at most ", kMaxIndicators, " entries"));
  }
  for (int i = 0; i < req.progress_size(); ++i) {
    const auto& p = req.progress(i);
    const std::string f = absl::StrCat("progress[", i, "]");
    if (p.value() < 0 || p.value() > kMaxIndicatorValue) {
      v.Add(f + ".value", "must be 0..1,000,000,000");
    }
    LimitText(p.note(), f + ".note", kMaxNoteChars, &v);
  }
  if (req.spent_pence() < 0 || req.spent_pence() > kMaxAmountPence) {
    v.Add("spent_pence", "must be 0 or more pence");
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  RETURN_IF_ERROR(Visible(call, req.agreement(), "agreement").status());
  return agreements_.Change(
      call, req, req.agreement(), req.request_id(), "", "",
      [&](pb::Agreement& a, storage::WriteSet&) -> absl::StatusOr<std::string> {
        if (a.state() != pb::Agreement::EXECUTED) return NotExecuted(a);
        ASSIGN_OR_RETURN(pb::MonitoringReport * r,
                         FindReport(a, req.report_id()));
        if (r->state() != pb::MonitoringReport::DUE &&
            r->state() != pb::MonitoringReport::RETURNED) {
          const std::string state =
              pb::MonitoringReport::State_Name(r->state());
          return errors::FailedPrecondition(
              reasons::kReportNotDue,
              absl::StrCat("report '", r->id(), "' is ", state),
              {{"state", state}});
        }
        // Progress on exactly the indicators the report asks for.
        errors::Violations pv;
        std::set<std::string> asked(r->indicators().begin(),
                                    r->indicators().end());
        std::set<std::string> given;
        for (int i = 0; i < req.progress_size(); ++i) {
          const std::string& ind = req.progress(i).indicator();
          const std::string f = absl::StrCat("progress[", i, "].indicator");
          if (!asked.contains(ind)) {
            pv.Add(f, absl::StrCat("'", ind, "' is not asked by this report"));
          } else if (!given.insert(ind).second) {
            pv.Add(f, absl::StrCat("'", ind, "' is given twice"));
          }
        }
        for (const std::string& ind : asked) {
          if (!given.contains(ind)) {
            pv.Add("progress", absl::StrCat("give progress on '", ind, "'"));
          }
        }
        if (!r->final() && req.spent_pence() != 0) {
          pv.Add("spent_pence", "only the final report states the spend");
        }
        if (!pv.empty()) return pv.ToStatus();
        *r->mutable_progress() = req.progress();
        r->set_narrative(req.narrative());
        r->set_spent_pence(req.spent_pence());
        r->set_state(pb::MonitoringReport::SUBMITTED);
        r->set_submitted_by(call.principal.user);
        *r->mutable_submit_time() = ToProto(call.now);
        r->set_submissions(r->submissions() + 1);
        r->set_overdue(false);
        return absl::StrCat("report ", r->id(), " submitted");
      });
}

absl::StatusOr<pb::Agreement> Agreements::ReviewReport(
    const Call& call, const pb::ReviewReportRequest& req) {
  errors::Violations v;
  agreements_.ParseName(req.agreement(), "agreement", &v);
  if (req.outcome() == pb::ReviewReportRequest::RETURN) {
    RequireText(req.note(), "note", kMaxNoteChars, &v);
  } else if (req.outcome() == pb::ReviewReportRequest::ACCEPT) {
    LimitText(req.note(), "note", kMaxNoteChars, &v);
  } else {
    v.Add("outcome", "must be ACCEPT or RETURN");
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return agreements_.Change(
      call, req, req.agreement(), req.request_id(), "", req.note(),
      [&](pb::Agreement& a, storage::WriteSet&) -> absl::StatusOr<std::string> {
        if (a.state() != pb::Agreement::EXECUTED) return NotExecuted(a);
        ASSIGN_OR_RETURN(pb::MonitoringReport * r,
                         FindReport(a, req.report_id()));
        if (r->state() != pb::MonitoringReport::SUBMITTED) {
          const std::string state =
              pb::MonitoringReport::State_Name(r->state());
          return errors::FailedPrecondition(
              reasons::kReportNotSubmitted,
              absl::StrCat("report '", r->id(), "' is ", state,
                           "; only a submitted report is reviewed"),
              {{"state", state}});
        }
        r->set_reviewed_by(call.principal.user);
        r->set_review_note(req.note());
        *r->mutable_review_time() = ToProto(call.now);
        if (req.outcome() == pb::ReviewReportRequest::RETURN) {
          r->set_state(pb::MonitoringReport::RETURNED);
          return absl::StrCat("report ", r->id(), " returned");
        }
        ASSIGN_OR_RETURN(wpb::Case kase, cases_->GetCase(a.case_()));
        if (r->final() && kase.pending_pence() > 0) {
          return errors::FailedPrecondition(
              reasons::kPaymentsPending,
              absl::StrCat(FormatPounds(kase.pending_pence()),
                           " is authorised but not settled; confirm or void "
                           "it before the grant closes"));
        }
        wpb::FactPayload p;
        p.set_report_id(r->id());
        RETURN_IF_ERROR(Tell(call, a, facts::kMonitoringReportAccepted,
                             req.note(), req.request_id(), p));
        r->set_state(pb::MonitoringReport::ACCEPTED);
        if (!r->final()) return absl::StrCat("report ", r->id(), " accepted");
        const int64_t underspend =
            std::max<int64_t>(0, kase.paid_pence() - r->spent_pence());
        RETURN_IF_ERROR(Tell(call, a, facts::kGrantClosed,
                             "final report accepted",
                             absl::StrCat(req.request_id(), ":close")));
        a.set_state(pb::Agreement::CLOSED);
        a.set_ended_by(call.principal.user);
        a.set_end_reason("final report accepted");
        a.set_recover_pence(underspend);
        *a.mutable_end_time() = ToProto(call.now);
        return absl::StrCat("final report accepted; grant closed; ",
                            FormatPounds(underspend), " unspent to recover");
      });
}

absl::StatusOr<int> Agreements::RemindDue(absl::Time now, int limit) {
  Call call;
  call.principal.user = "agreements:reminders";
  call.method = "agreements/remind";
  call.now = now;
  int changed = 0;
  for (pb::Agreement::State state :
       {pb::Agreement::AWAITING_SIGNATURE, pb::Agreement::EXECUTED}) {
    std::string token;
    do {
      errors::Violations v;
      ASSIGN_OR_RETURN(Listed<pb::Agreement> page,
                       agreements_.ListState(state, 0, token, v));
      for (pb::Agreement a : page.items) {
        if (changed >= limit) return changed;
        if (Remind(a, now) == 0) continue;
        // Changed under the agreement's lock, as of its latest version.
        ASSIGN_OR_RETURN(
            pb::Agreement done,
            agreements_.Change(
                call, pb::GetAgreementRequest(), a.name(),
                absl::StrCat("remind:", a.name(), ":", absl::ToUnixMicros(now)),
                "", "",
                [&](pb::Agreement& cur,
                    storage::WriteSet&) -> absl::StatusOr<std::string> {
                  const int n = Remind(cur, now);
                  return absl::StrCat(n, " reminder(s) and overdue marks");
                }));
        (void)done;
        ++changed;
      }
      token = page.next_page_token;
    } while (!token.empty());
  }
  return changed;
}

absl::StatusOr<pb::Outcomes> Agreements::GetOutcomes(
    const Call& call, const pb::GetOutcomesRequest& req) {
  RETURN_IF_ERROR(RequireFundReport(call, req.fund()));
  struct Total {
    int64_t total = 0;
    int32_t grants = 0;
  };
  std::map<std::string, Total> totals;
  pb::Outcomes out;
  out.set_fund(req.fund());
  RETURN_IF_ERROR(agreements_.rows().ForEach(
      [&](const std::string&,
          const Versioned<pb::Agreement>& row) -> absl::Status {
        const pb::Agreement& a = row.msg;
        if (a.fund() != req.fund()) return absl::OkStatus();
        // Each indicator's value in the agreement's latest accepted report.
        std::map<std::string, std::pair<absl::Time, int64_t>> latest;
        bool accepted = false;
        for (const pb::MonitoringReport& r : a.reports()) {
          if (r.state() != pb::MonitoringReport::ACCEPTED) continue;
          accepted = true;
          const absl::Time at = FromProto(r.review_time());
          for (const pb::IndicatorValue& v : r.progress()) {
            auto it = latest.find(v.indicator());
            if (it == latest.end() || at >= it->second.first) {
              latest[v.indicator()] = {at, v.value()};
            }
          }
        }
        if (accepted) out.set_grants_reporting(out.grants_reporting() + 1);
        for (const auto& [indicator, value] : latest) {
          Total& t = totals[indicator];
          if (__builtin_add_overflow(t.total, value.second, &t.total)) {
            return absl::InternalError("an indicator total overflows");
          }
          ++t.grants;
        }
        return absl::OkStatus();
      }));
  for (const auto& [indicator, t] : totals) {
    pb::IndicatorTotal* i = out.add_indicators();
    i->set_indicator(indicator);
    i->set_total(t.total);
    i->set_grants(t.grants);
  }
  return out;
}

}  // namespace grantflow::agreements
