// Score sheets: saved, submitted, reopened; a stage's score settled;
// moderation.
#include "services/assessment/assessments.h"
#include "services/assessment/internal.h"

namespace grantflow::assessment {

absl::StatusOr<pb::ScoreSheet> Assessments::GetScoreSheet(
    const Call& call, const pb::GetScoreSheetRequest& req) {
  errors::Violations v;
  auto sn = ParseSheetName(req.name(), "name", &v);
  if (!v.empty()) return v.ToStatus();
  ASSIGN_OR_RETURN(auto cur,
                   assessments_.Get(IdKey(sn->id), "assessments/" + sn->id));
  pb::Assessment a = cur.msg;
  RETURN_IF_ERROR(RequireFundScope(call, auth::FundOf(a.round())));
  // Funder staff read any sheet; an assessor only their own, once declared
  // free of conflict (R6).
  const bool own = sn->assessor == call.principal.user;
  if (!own && !IsStaff(call.principal)) {
    return errors::WithReason(
        absl::PermissionDeniedError("you may read only your own scores"),
        reasons::kNotAssigned);
  }
  if (own) RETURN_IF_ERROR(Scorer(a, sn->assessor, sn->stage).status());
  absl::StatusOr<Versioned<pb::ScoreSheet>> got =
      sheets_.Get(SheetKey(sn->id, sn->stage, sn->assessor), req.name());
  if (absl::IsNotFound(got.status()) &&
      FindAssignment(a, sn->assessor, sn->stage) != nullptr) {
    pb::ScoreSheet empty;
    empty.set_name(req.name());
    empty.set_assessor(sn->assessor);
    empty.set_stage(sn->stage);
    empty.set_state(pb::ScoreSheet::NOT_STARTED);
    empty.set_weighted_score_bp(-1);
    return empty;
  }
  if (!got.ok()) return got.status();
  return got->msg;
}

absl::StatusOr<pb::ScoreSheet> Assessments::ChangeOwnSheet(
    const Call& call, const google::protobuf::Message& req,
    const std::string& sheet_name, const std::string& request_id,
    const std::string& etag, errors::Violations v,
    absl::FunctionRef<absl::StatusOr<std::string>(
        pb::Assessment&, const ppb::Round&, pb::ScoreSheet&, bool exists)>
        change) {
  auto sn = ParseSheetName(sheet_name, "name", &v);
  ValidateRequestId(request_id, &v);
  if (!v.empty()) return v.ToStatus();
  if (sn->assessor != call.principal.user) {
    return errors::WithReason(
        absl::PermissionDeniedError("you may score only as yourself"),
        reasons::kNotAssigned);
  }
  const std::string name = "assessments/" + sn->id;
  ScopedLocks lock(locks_, {name});
  return RunOnce<pb::ScoreSheet>(
      *store_, call, request_id, req,
      [&](storage::WriteSet& w) -> absl::StatusOr<pb::ScoreSheet> {
        ASSIGN_OR_RETURN(auto cur, assessments_.Get(IdKey(sn->id), name));
        pb::Assessment a = cur.msg;
        RETURN_IF_ERROR(RequireFundScope(call, auth::FundOf(a.round())));
        ASSIGN_OR_RETURN(pb::Assignment * as,
                         Scorer(a, sn->assessor, sn->stage));
        if (OpenStage(a) != sn->stage) return NotInAssessment(a);
        const std::string key = SheetKey(sn->id, sn->stage, sn->assessor);
        absl::StatusOr<Versioned<pb::ScoreSheet>> old =
            sheets_.Get(key, sheet_name);
        if (!old.ok() && !absl::IsNotFound(old.status())) return old.status();
        pb::ScoreSheet sheet;
        if (old.ok()) {
          RETURN_IF_ERROR(CheckEtag(etag, old->version, sheet_name));
          sheet = old->msg;
          if (sheet.state() == pb::ScoreSheet::SUBMITTED) {
            return errors::FailedPrecondition(
                reasons::kScoresSubmitted,
                absl::StrCat(sheet_name,
                             " is submitted and final unless a "
                             "moderator reopens it"));
          }
        } else {
          sheet.set_name(sheet_name);
          sheet.set_assessor(sn->assessor);
          sheet.set_stage(sn->stage);
        }
        ASSIGN_OR_RETURN(ppb::Round round, rounds_->GetRound(call, a.round()));
        ASSIGN_OR_RETURN(std::string what, change(a, round, sheet, old.ok()));
        *sheet.mutable_update_time() = ToProto(call.now);
        if (old.ok()) {
          sheets_.Replace(w, key, sheet, old->version);
        } else {
          sheets_.Insert(w, key, sheet);
        }
        as = FindAssignment(a, sn->assessor, sn->stage);
        as->set_sheet_state(sheet.state());
        if (sheet.state() == pb::ScoreSheet::SUBMITTED) {
          RETURN_IF_ERROR(Settle(call, a, round, sn->stage, sheet));
        }
        *a.mutable_update_time() = ToProto(call.now);
        Write(w, call, a, &cur.msg, cur.version, request_id,
              absl::StrCat(StageWord(sn->stage),
                           " scores: ", pb::Assessment::State_Name(a.state())),
              "");
        AuditChange(w, call, sheet_name, request_id, what, "");
        sheet.set_etag(absl::StrCat(old.ok() ? old->version + 1 : 1));
        return sheet;
      });
}

absl::StatusOr<pb::ScoreSheet> Assessments::SaveScores(
    const Call& call, const pb::SaveScoresRequest& req) {
  errors::Violations v;
  if (req.scores_size() > 30) v.Add("scores", "at most 30 criteria");
  return ChangeOwnSheet(
      call, req, req.name(), req.request_id(), req.etag(), std::move(v),
      [&](pb::Assessment&, const ppb::Round& round, pb::ScoreSheet& sheet,
          bool) -> absl::StatusOr<std::string> {
        const Criteria& criteria = CriteriaFor(round, sheet.stage());
        errors::Violations sv;
        CheckScores(req.scores(), criteria,
                    round.assessment().comments_required(),
                    /*complete=*/false, "scores", &sv);
        if (!sv.empty()) return sv.ToStatus();
        sheet.set_state(pb::ScoreSheet::DRAFT);
        *sheet.mutable_scores() = req.scores();
        errors::Violations complete;
        CheckScores(sheet.scores(), criteria, false, /*complete=*/true,
                    "scores", &complete);
        sheet.set_weighted_score_bp(
            complete.empty() ? WeightedScoreBp(sheet.scores(), criteria) : -1);
        return std::string("scores saved");
      });
}

absl::StatusOr<pb::ScoreSheet> Assessments::SubmitScores(
    const Call& call, const pb::SubmitScoresRequest& req) {
  return ChangeOwnSheet(
      call, req, req.name(), req.request_id(), req.etag(), {},
      [&](pb::Assessment&, const ppb::Round& round, pb::ScoreSheet& sheet,
          bool exists) -> absl::StatusOr<std::string> {
        if (!exists) {
          return errors::FailedPrecondition(
              reasons::kScoresIncomplete,
              absl::StrCat(req.name(), " has no scores yet: save them first"));
        }
        const Criteria& criteria = CriteriaFor(round, sheet.stage());
        errors::Violations sv;
        CheckScores(sheet.scores(), criteria,
                    round.assessment().comments_required(),
                    /*complete=*/true, "scores", &sv);
        if (!sv.empty()) {
          return errors::FailedPrecondition(
              reasons::kScoresIncomplete,
              absl::StrCat(req.name(), " cannot be submitted yet"), {},
              sv.list());
        }
        sheet.set_state(pb::ScoreSheet::SUBMITTED);
        sheet.set_weighted_score_bp(WeightedScoreBp(sheet.scores(), criteria));
        *sheet.mutable_submit_time() = ToProto(call.now);
        return absl::StrCat("scores submitted: weighted score ",
                            sheet.weighted_score_bp(), " bp");
      });
}

absl::Status Assessments::Settle(const Call& call, pb::Assessment& a,
                                 const ppb::Round& round, pb::Stage stage,
                                 const pb::ScoreSheet& submitted) {
  CountNeeded(a, round);
  if (a.assessors_needed() > 0) return absl::OkStatus();
  std::vector<int32_t> scores;
  for (const pb::Assignment& as : a.assignments()) {
    if (as.stage() != stage || !Active(as)) continue;
    if (as.sheet_state() != pb::ScoreSheet::SUBMITTED) return absl::OkStatus();
    if (as.assessor() == submitted.assessor()) {
      scores.push_back(submitted.weighted_score_bp());
      continue;
    }
    ASSIGN_OR_RETURN(auto sheet,
                     sheets_.Get(SheetKey(IdOf(a.name()), stage, as.assessor()),
                                 as.assessor()));
    scores.push_back(sheet.msg.weighted_score_bp());
  }
  if (scores.empty()) return absl::OkStatus();
  const int32_t mean = MeanBp(scores);
  const auto [lo, hi] = std::minmax_element(scores.begin(), scores.end());
  if (stage == pb::INTERVIEW) {
    a.set_interview_score_bp(mean);
    a.set_combined_score_bp(
        Combine(a.written_score_bp(), mean, InterviewWeight(round)));
    return absl::OkStatus();
  }
  a.set_written_spread_bp(*hi - *lo);
  if (*hi - *lo > ModerationThresholdBp(round)) {
    // The lifecycles with a moderation state hold it at the engine too.
    if (a.lifecycle_definition() == "standard") {
      RETURN_IF_ERROR(RecordFact(call, a, facts::kAssessmentCompleted, "",
                                 absl::StrCat("moderation:", IdOf(a.name())),
                                 /*already=*/"MODERATION"));
    }
    a.set_state(pb::Assessment::MODERATION);
    a.set_written_score_bp(-1);
    a.set_combined_score_bp(-1);
    return absl::OkStatus();
  }
  a.set_state(pb::Assessment::ASSESSED);
  a.set_written_score_bp(mean);
  a.set_combined_score_bp(round.interview_stage() ? -1 : mean);
  return absl::OkStatus();
}

absl::StatusOr<pb::ScoreSheet> Assessments::ReopenScores(
    const Call& call, const pb::ReopenScoresRequest& req) {
  errors::Violations v;
  auto sn = ParseSheetName(req.name(), "name", &v);
  LimitText(req.reason(), "reason", 2000, &v);
  if (!HasText(req.reason())) v.Add("reason", "is required");
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  const std::string name = "assessments/" + sn->id;
  ScopedLocks lock(locks_, {name});
  return RunOnce<pb::ScoreSheet>(
      *store_, call, req.request_id(), req,
      [&](storage::WriteSet& w) -> absl::StatusOr<pb::ScoreSheet> {
        ASSIGN_OR_RETURN(auto cur, assessments_.Get(IdKey(sn->id), name));
        pb::Assessment a = cur.msg;
        RETURN_IF_ERROR(RequireFundScope(call, auth::FundOf(a.round())));
        const std::string key = SheetKey(sn->id, sn->stage, sn->assessor);
        ASSIGN_OR_RETURN(auto old, sheets_.Get(key, req.name()));
        pb::ScoreSheet sheet = old.msg;
        if (sheet.state() != pb::ScoreSheet::SUBMITTED) {
          return errors::FailedPrecondition(
              reasons::kNotInAssessment,
              absl::StrCat(req.name(), " is not submitted"));
        }
        pb::Assignment* as = FindAssignment(a, sn->assessor, sn->stage);
        const bool written = sn->stage == pb::WRITTEN;
        const bool open_to_reopen =
            written ? (a.state() == pb::Assessment::IN_ASSESSMENT ||
                       a.state() == pb::Assessment::MODERATION ||
                       a.state() == pb::Assessment::ASSESSED)
                    : a.state() == pb::Assessment::INTERVIEW;
        if (as == nullptr || !open_to_reopen) {
          return WrongState(a, written ? "in assessment, in moderation or "
                                         "assessed (not yet shortlisted)"
                                       : "at interview (not yet recommended)");
        }
        sheet.set_state(pb::ScoreSheet::DRAFT);
        sheet.clear_submit_time();
        *sheet.mutable_update_time() = ToProto(call.now);
        sheets_.Replace(w, key, sheet, old.version);
        as->set_sheet_state(pb::ScoreSheet::DRAFT);
        if (written) {
          a.set_state(pb::Assessment::IN_ASSESSMENT);
          a.set_written_score_bp(-1);
          a.clear_moderation();
        } else {
          a.set_interview_score_bp(-1);
        }
        a.set_combined_score_bp(-1);
        *a.mutable_update_time() = ToProto(call.now);
        Write(w, call, a, &cur.msg, cur.version, req.request_id(),
              absl::StrCat("reopened ", req.name()), req.reason());
        sheet.set_etag(absl::StrCat(old.version + 1));
        return sheet;
      });
}

absl::StatusOr<pb::Assessment> Assessments::ModerateScore(
    const Call& call, const pb::ModerateScoreRequest& req) {
  errors::Violations v;
  ParseAssessmentName(req.name(), "name", &v);
  if (req.agreed_score_bp() < 0 || req.agreed_score_bp() > kFullMarksBp) {
    v.Add("agreed_score_bp", "must be between 0 and 10000 (100.00%)");
  }
  LimitText(req.rationale(), "rationale", 4000, &v);
  if (!HasText(req.rationale())) {
    v.Add("rationale", "is required: record why this score was agreed");
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return Change(
      call, req, req.name(), req.request_id(), req.etag(), req.rationale(),
      [&](pb::Assessment& a, const ppb::Round& round,
          storage::WriteSet&) -> absl::StatusOr<std::string> {
        if (a.state() != pb::Assessment::MODERATION) {
          return WrongState(a, "in moderation");
        }
        pb::Moderation& m = *a.mutable_moderation();
        m.set_agreed_score_bp(req.agreed_score_bp());
        m.set_rationale(req.rationale());
        m.set_moderator(call.principal.user);
        *m.mutable_moderate_time() = ToProto(call.now);
        a.set_state(pb::Assessment::ASSESSED);
        a.set_written_score_bp(req.agreed_score_bp());
        a.set_combined_score_bp(
            round.interview_stage() ? -1 : req.agreed_score_bp());
        return absl::StrCat("moderated: ", req.agreed_score_bp(), " bp");
      });
}

}  // namespace grantflow::assessment
