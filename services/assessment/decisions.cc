// Decisions on settled bids: shortlists, interviews, recommendations; the
// ranking and what applicants read.
#include "services/assessment/assessments.h"
#include "services/assessment/internal.h"

namespace grantflow::assessment {

absl::StatusOr<pb::Assessment> Assessments::DecideShortlist(
    const Call& call, const pb::DecideShortlistRequest& req) {
  errors::Violations v;
  ParseAssessmentName(req.name(), "name", &v);
  LimitText(req.feedback(), "feedback", 4000, &v);
  if (!req.shortlisted() && !HasText(req.feedback())) {
    v.Add("feedback",
          "is required: tell the applicant why it was not "
          "shortlisted");
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return Change(
      call, req, req.name(), req.request_id(), "", req.feedback(),
      [&](pb::Assessment& a, const ppb::Round& round,
          storage::WriteSet&) -> absl::StatusOr<std::string> {
        if (!round.interview_stage()) {
          return WrongState(a,
                            "in a round with interviews (this one "
                            "recommends straight from assessment)");
        }
        if (a.state() != pb::Assessment::ASSESSED) {
          return WrongState(a, "assessed (written scores settled)");
        }
        RETURN_IF_ERROR(RecordFact(
            call, a,
            req.shortlisted() ? facts::kShortlisted : facts::kNotShortlisted,
            req.feedback(), absl::StrCat("shortlist:", IdOf(a.name()))));
        a.set_state(req.shortlisted() ? pb::Assessment::SHORTLISTED
                                      : pb::Assessment::NOT_SHORTLISTED);
        a.set_shortlisted(req.shortlisted());
        a.set_shortlist_feedback(req.feedback());
        return std::string(req.shortlisted() ? "shortlisted"
                                             : "not shortlisted");
      });
}

absl::StatusOr<Assessments::RoundPage> Assessments::ReadRoundPage(
    const std::string& round, const std::string& start_after, int limit) {
  std::string prefix;
  storage::AppendString(&prefix, round);
  RoundPage out;
  ASSIGN_OR_RETURN(out.scan,
                   store_->Scan(kByRound, prefix, start_after, limit));
  std::vector<std::string> keys;
  for (const storage::ScanRow& row : out.scan.rows) {
    keys.push_back(row.key.substr(prefix.size()));
  }
  ASSIGN_OR_RETURN(auto rows, assessments_.GetMany(keys));
  for (auto& row : rows) {
    if (!row) {
      return absl::DataLossError(
          "the round index names an assessment that is not stored");
    }
    out.items.push_back(std::move(row->msg));
  }
  return out;
}

absl::StatusOr<std::vector<pb::Assessment>> Assessments::RoundAssessments(
    const std::string& round) {
  std::vector<pb::Assessment> all;
  std::string after;
  while (true) {
    ASSIGN_OR_RETURN(RoundPage page, ReadRoundPage(round, after, 500));
    for (pb::Assessment& a : page.items) all.push_back(std::move(a));
    if (!page.scan.more || page.scan.rows.empty()) break;
    after = page.scan.rows.back().key;
  }
  return all;
}

absl::StatusOr<pb::ShortlistRoundResponse> Assessments::ShortlistRound(
    const Call& call, const pb::ShortlistRoundRequest& req) {
  errors::Violations v;
  if (!ParseName(req.round(), {"funds", "rounds"})) {
    v.Add("round", "must be funds/{fund}/rounds/{round}");
  }
  if ((req.top_n() > 0) == (req.min_score_bp() > 0)) {
    v.Add("top_n", "give top_n or min_score_bp (one of them)");
  }
  if (req.top_n() < 0 || req.top_n() > 10000) {
    v.Add("top_n", "must be between 1 and 10000");
  }
  if (req.min_score_bp() < 0 || req.min_score_bp() > kFullMarksBp) {
    v.Add("min_score_bp", "must be between 1 and 10000 (100.00%)");
  }
  LimitText(req.feedback(), "feedback", 4000, &v);
  if (!HasText(req.feedback())) {
    v.Add("feedback", "is required: tell those not shortlisted why");
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  RETURN_IF_ERROR(RequireFundScope(call, auth::FundOf(req.round())));
  ASSIGN_OR_RETURN(std::vector<pb::Assessment> all,
                   RoundAssessments(req.round()));
  std::vector<std::string> pending;
  std::vector<const pb::Assessment*> ready;
  for (const pb::Assessment& a : all) {
    if (a.state() == pb::Assessment::IN_ASSESSMENT ||
        a.state() == pb::Assessment::MODERATION ||
        a.state() == pb::Assessment::AWAITING_SCREENING) {
      pending.push_back(absl::StrCat(
          a.name(), " (", pb::Assessment::State_Name(a.state()), ")"));
    } else if (a.state() == pb::Assessment::ASSESSED) {
      ready.push_back(&a);
    }
  }
  if (!pending.empty()) {
    return errors::FailedPrecondition(
        reasons::kScoresPending,
        absl::StrCat("every bid of ", req.round(),
                     " must be screened and its written score settled "
                     "first; still open: ",
                     absl::StrJoin(pending, ", ")),
        {{"pending", absl::StrCat(pending.size())}});
  }
  std::stable_sort(ready.begin(), ready.end(),
                   [](const pb::Assessment* x, const pb::Assessment* y) {
                     return x->written_score_bp() > y->written_score_bp();
                   });
  pb::ShortlistRoundResponse out;
  for (size_t i = 0; i < ready.size(); ++i) {
    const bool yes = req.top_n() > 0
                         ? static_cast<int>(i) < req.top_n()
                         : ready[i]->written_score_bp() >= req.min_score_bp();
    pb::DecideShortlistRequest one;
    one.set_name(ready[i]->name());
    one.set_shortlisted(yes);
    if (!yes) one.set_feedback(req.feedback());
    one.set_request_id(
        absl::StrCat(req.request_id(), ":", IdOf(ready[i]->name())));
    ASSIGN_OR_RETURN(pb::Assessment decided, DecideShortlist(call, one));
    *(yes ? out.add_shortlisted() : out.add_not_shortlisted()) =
        std::move(decided);
  }
  return out;
}

absl::StatusOr<pb::Assessment> Assessments::ScheduleInterview(
    const Call& call, const pb::ScheduleInterviewRequest& req) {
  errors::Violations v;
  ParseAssessmentName(req.name(), "name", &v);
  if (!req.has_interview_time()) {
    v.Add("interview_time", "is required");
  } else if (FromProto(req.interview_time()) <= call.now) {
    v.Add("interview_time", "must be in the future");
  }
  LimitText(req.location(), "location", 500, &v);
  const std::vector<std::string> panel =
      CheckUserList(req.panel(), "panel", 10, &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return Change(
      call, req, req.name(), req.request_id(), "", "",
      [&](pb::Assessment& a, const ppb::Round& round,
          storage::WriteSet&) -> absl::StatusOr<std::string> {
        if (a.state() != pb::Assessment::SHORTLISTED) {
          return WrongState(a, "shortlisted");
        }
        if (static_cast<int>(panel.size()) < PanelSize(round)) {
          errors::Violations pv;
          pv.Add("panel", absl::StrCat("this round's panels have at least ",
                                       PanelSize(round), " interviewers"));
          return pv.ToStatus();
        }
        RETURN_IF_ERROR(RecordFact(call, a, facts::kInterviewScheduled, "",
                                   absl::StrCat("interview:", IdOf(a.name()))));
        a.set_state(pb::Assessment::INTERVIEW);
        pb::Interview& in = *a.mutable_interview();
        *in.mutable_interview_time() = req.interview_time();
        in.set_location(req.location());
        in.set_scheduled_by(call.principal.user);
        for (const std::string& u : panel) {
          pb::Assignment& as = *a.add_assignments();
          as.set_assessor(u);
          as.set_stage(pb::INTERVIEW);
          as.set_assigned_by(call.principal.user);
          *as.mutable_assign_time() = ToProto(call.now);
          *as.mutable_due_time() = req.interview_time();
          as.set_sheet_state(pb::ScoreSheet::NOT_STARTED);
        }
        return absl::StrCat("interview scheduled; panel ",
                            absl::StrJoin(panel, ", "));
      });
}

absl::StatusOr<pb::Assessment> Assessments::RecordRecommendation(
    const Call& call, const pb::RecordRecommendationRequest& req) {
  using R = pb::Recommendation;
  errors::Violations v;
  ParseAssessmentName(req.name(), "name", &v);
  if (req.outcome() != R::RECOMMEND && req.outcome() != R::RESERVE &&
      req.outcome() != R::NOT_RECOMMENDED) {
    v.Add("outcome", "must be RECOMMEND, RESERVE or NOT_RECOMMENDED");
  }
  if (req.outcome() == R::RECOMMEND) {
    ValidateAmount(req.proposed_amount_pence(), "proposed_amount_pence", &v);
  } else if (req.proposed_amount_pence() != 0) {
    v.Add("proposed_amount_pence", "only a recommendation proposes an amount");
  }
  LimitText(req.feedback(), "feedback", 4000, &v);
  LimitText(req.rationale(), "rationale", 4000, &v);
  if (req.outcome() == R::NOT_RECOMMENDED && !HasText(req.feedback())) {
    v.Add("feedback", "is required: tell the applicant why");
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return Change(
      call, req, req.name(), req.request_id(), "", req.rationale(),
      [&](pb::Assessment& a, const ppb::Round& round,
          storage::WriteSet&) -> absl::StatusOr<std::string> {
        // Scores settled: assessed (no interviews), interviewed and scored,
        // or waiting on the reserve list.
        const bool ready =
            a.state() == pb::Assessment::RESERVE ||
            (round.interview_stage() ? a.state() == pb::Assessment::INTERVIEW &&
                                           a.interview_score_bp() >= 0
                                     : a.state() == pb::Assessment::ASSESSED);
        if (!ready) {
          return WrongState(a, round.interview_stage()
                                   ? "interviewed with every panel score in"
                                   : "assessed");
        }
        if (req.outcome() == R::RESERVE &&
            a.state() == pb::Assessment::RESERVE) {
          return WrongState(a, "not already on the reserve list");
        }
        if (req.outcome() == R::RECOMMEND) {
          const int64_t asked = a.bid().amount_requested_pence();
          errors::Violations av;
          if (req.proposed_amount_pence() > asked) {
            av.Add("proposed_amount_pence",
                   absl::StrCat("must not exceed the ", FormatPounds(asked),
                                " requested"));
          } else if (req.proposed_amount_pence() > round.max_award_pence() ||
                     req.proposed_amount_pence() < round.min_award_pence()) {
            av.Add("proposed_amount_pence",
                   absl::StrCat("must be within the round's limits of ",
                                FormatPounds(round.min_award_pence()), " to ",
                                FormatPounds(round.max_award_pence())));
          }
          if (!av.empty()) return av.ToStatus();
        }
        const std::string id = IdOf(a.name());
        if (req.outcome() == R::RECOMMEND) {
          workflow::v1::FactPayload amount;
          amount.set_amount_pence(req.proposed_amount_pence());
          RETURN_IF_ERROR(RecordFact(
              call, a, facts::kRecommended, req.rationale(),
              absl::StrCat("recommend:", id), "", std::move(amount)));
          a.set_state(pb::Assessment::RECOMMENDED);
        } else if (req.outcome() == R::NOT_RECOMMENDED) {
          RETURN_IF_ERROR(RecordFact(call, a, facts::kNotRecommended,
                                     req.feedback(),
                                     absl::StrCat("recommend:", id)));
          a.set_state(pb::Assessment::NOT_RECOMMENDED);
        } else {
          a.set_state(pb::Assessment::RESERVE);
        }
        R& r = *a.mutable_recommendation();
        r.set_outcome(req.outcome());
        r.set_proposed_amount_pence(req.proposed_amount_pence());
        r.set_feedback(req.feedback());
        r.set_rationale(req.rationale());
        r.set_decided_by(call.principal.user);
        *r.mutable_decide_time() = ToProto(call.now);
        return absl::StrCat(
            "recommendation: ", R::Outcome_Name(req.outcome()),
            req.outcome() == R::RECOMMEND
                ? absl::StrCat(" ", FormatPounds(req.proposed_amount_pence()))
                : "");
      });
}

absl::StatusOr<pb::Ranking> Assessments::GetRanking(
    const Call& call, const pb::GetRankingRequest& req) {
  errors::Violations v;
  if (!ParseName(req.round(), {"funds", "rounds"})) {
    v.Add("round", "must be funds/{fund}/rounds/{round}");
  }
  if (!v.empty()) return v.ToStatus();
  RETURN_IF_ERROR(RequireFundScope(call, auth::FundOf(req.round())));
  ASSIGN_OR_RETURN(ppb::Round round, rounds_->GetRound(call, req.round()));
  pb::Ranking out;
  out.set_round(req.round());
  int64_t available = 0;
  for (const std::string& line : round.budget_lines()) {
    absl::StatusOr<workflow::v1::LedgerLine> l = cases_->GetLedgerLine(line);
    if (absl::IsNotFound(l.status())) continue;
    if (!l.ok()) return l.status();
    std::optional<int64_t> sum = AddPence(available, l->available_pence());
    if (!sum) return absl::InternalError("the round's budget overflows");
    available = *sum;
  }
  out.set_available_pence(available);

  ASSIGN_OR_RETURN(std::vector<pb::Assessment> all,
                   RoundAssessments(req.round()));
  std::sort(all.begin(), all.end(),
            [](const pb::Assessment& x, const pb::Assessment& y) {
              if (x.combined_score_bp() != y.combined_score_bp()) {
                return x.combined_score_bp() > y.combined_score_bp();
              }
              if (x.written_score_bp() != y.written_score_bp()) {
                return x.written_score_bp() > y.written_score_bp();
              }
              return x.name() < y.name();
            });
  int64_t running = 0;
  int rank = 0;
  for (const pb::Assessment& a : all) {
    pb::RankingEntry& e = *out.add_entries();
    e.set_rank(++rank);
    e.set_assessment(a.name());
    e.set_title(a.bid().title());
    e.set_organisation_name(a.bid().organisation_name());
    e.set_state(a.state());
    e.set_written_score_bp(a.written_score_bp());
    e.set_interview_score_bp(a.interview_score_bp());
    e.set_combined_score_bp(a.combined_score_bp());
    e.set_moderated(a.has_moderation());
    e.set_amount_requested_pence(a.bid().amount_requested_pence());
    if (InContention(a.state())) {
      // Each bid is capped, so even thousands of them stay far inside
      // int64; AddPence says so rather than assuming it.
      std::optional<int64_t> sum =
          AddPence(running, a.bid().amount_requested_pence());
      if (!sum) return absl::InternalError("requested amounts overflow");
      running = *sum;
    }
    e.set_running_total_pence(running);
    e.set_within_budget(running <= available);
    e.set_recommendation(a.recommendation().outcome());
  }
  return out;
}

absl::StatusOr<pb::ApplicantFeedback> Assessments::GetApplicantFeedback(
    const Call& call, const pb::GetApplicantFeedbackRequest& req) {
  errors::Violations v;
  auto app = ParseName(req.application(), {"applications"});
  if (!app) v.Add("application", "must be applications/{id}");
  if (!v.empty()) return v.ToStatus();
  ASSIGN_OR_RETURN(
      auto cur, assessments_.Get(IdKey((*app)[0]), "assessments/" + (*app)[0]));
  const pb::Assessment& a = cur.msg;
  RETURN_IF_ERROR(RequireFundScope(call, auth::FundOf(a.round())));
  if (auth::IsOrganisationScoped(call.principal) &&
      call.principal.organisation != a.bid().organisation()) {
    // Another organisation's bid does not exist as far as they can tell.
    return absl::NotFoundError(
        absl::StrCat("application ", req.application(), " not found"));
  }
  pb::ApplicantFeedback out;
  out.set_application(req.application());
  const pb::Screening& sc = a.screening();
  if (sc.decision() != pb::Screening::DECISION_UNSPECIFIED) {
    pb::StageOutcome& s = *out.add_stages();
    s.set_stage("screening");
    s.set_outcome(pb::Screening::Decision_Name(sc.decision()));
    // The reason is for the applicant when ineligible; an eligible bid's
    // note is the officer's.
    if (sc.decision() == pb::Screening::INELIGIBLE) s.set_feedback(sc.reason());
    *s.mutable_time() = sc.screen_time();
  }
  if (a.state() == pb::Assessment::SHORTLISTED ||
      a.state() == pb::Assessment::NOT_SHORTLISTED || a.shortlisted()) {
    pb::StageOutcome& s = *out.add_stages();
    s.set_stage("shortlisting");
    s.set_outcome(a.shortlisted() ? "SHORTLISTED" : "NOT_SHORTLISTED");
    s.set_feedback(a.shortlist_feedback());
  }
  if (a.has_interview()) {
    pb::StageOutcome& s = *out.add_stages();
    s.set_stage("interview");
    s.set_outcome("SCHEDULED");
    s.set_feedback(a.interview().location());
    *s.mutable_time() = a.interview().interview_time();
  }
  const pb::Recommendation& r = a.recommendation();
  if (r.outcome() != pb::Recommendation::OUTCOME_UNSPECIFIED) {
    pb::StageOutcome& s = *out.add_stages();
    s.set_stage("recommendation");
    s.set_outcome(pb::Recommendation::Outcome_Name(r.outcome()));
    s.set_feedback(r.feedback());
    *s.mutable_time() = r.decide_time();
  }
  out.set_status(PlainStatus(a.state()));
  return out;
}

}  // namespace grantflow::assessment
