#include "services/assessment/assessments.h"

#include "absl/strings/str_split.h"
#include "services/assessment/internal.h"

namespace grantflow::assessment {

Assessments::Assessments(storage::Store* store, RoundSource* rounds,
                         CaseClient* cases)
    : store_(store),
      rounds_(rounds),
      cases_(cases),
      assessments_(store, "assessments", "assessment"),
      sheets_(store, "score_sheets", "score sheet") {}

absl::StatusOr<Versioned<pb::Assessment>> Assessments::Load(
    const Call& call, const std::string& name, const std::string& field) {
  errors::Violations v;
  auto id = ParseAssessmentName(name, field, &v);
  if (!v.empty()) return v.ToStatus();
  ASSIGN_OR_RETURN(auto got, assessments_.Get(IdKey(*id), name));
  RETURN_IF_ERROR(RequireFundScope(call, auth::FundOf(got.msg.round())));
  return got;
}

void Assessments::Write(storage::WriteSet& w, const Call& call,
                        const pb::Assessment& a, const pb::Assessment* before,
                        uint64_t version, const std::string& request_id,
                        const std::string& what, const std::string& why) {
  const std::string key = IdKey(IdOf(a.name()));
  if (before == nullptr) {
    assessments_.Insert(w, key, a);
    w.PutIndex(kByRound, RoundKey(a));
  } else {
    assessments_.Replace(w, key, a, version);
  }
  const std::set<std::string> old_keys =
      before == nullptr ? std::set<std::string>{} : QueueKeys(*before);
  const std::set<std::string> new_keys = QueueKeys(a);
  for (const std::string& k : old_keys) {
    if (!new_keys.contains(k)) w.Delete(kQueue, k);
  }
  for (const std::string& k : new_keys) {
    if (!old_keys.contains(k)) w.PutIndex(kQueue, k);
  }
  AuditChange(w, call, a.name(), request_id, what, why);
}

absl::StatusOr<pb::Assessment> Assessments::OpenAssessment(
    const Call& call, const pb::OpenAssessmentRequest& req) {
  errors::Violations v;
  ValidateBid(req.bid(), &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  const std::string id =
      req.bid().application().substr(std::string("applications/").size());
  ASSIGN_OR_RETURN(ppb::Round round,
                   rounds_->GetRound(call, req.bid().round()));
  const std::string name = "assessments/" + id;
  ScopedLocks lock(locks_, {name});  // the key every change of it takes
  return RunOnce<pb::Assessment>(
      *store_, call, req.request_id(), req,
      [&](storage::WriteSet& w) -> absl::StatusOr<pb::Assessment> {
        // A second delivery of the same submission changes nothing.
        absl::StatusOr<Versioned<pb::Assessment>> existing =
            assessments_.Get(IdKey(id), name);
        if (existing.ok()) return existing->msg;
        if (!absl::IsNotFound(existing.status())) return existing.status();
        pb::Assessment a;
        a.set_name(name);
        a.set_application(req.bid().application());
        a.set_case_("cases/" + id);
        a.set_round(req.bid().round());
        a.set_state(pb::Assessment::AWAITING_SCREENING);
        *a.mutable_bid() = req.bid();
        a.set_lifecycle_definition(round.lifecycle_definition());
        a.set_written_score_bp(-1);
        a.set_written_spread_bp(-1);
        a.set_interview_score_bp(-1);
        a.set_combined_score_bp(-1);
        for (pb::EligibilityCheck& c : CheckEligibility(req.bid(), round)) {
          *a.mutable_screening()->add_checks() = std::move(c);
        }
        *a.mutable_create_time() = ToProto(call.now);
        *a.mutable_update_time() = ToProto(call.now);
        Write(w, call, a, nullptr, 0, req.request_id(), "opened for screening",
              "");
        a.set_etag("1");
        return a;
      });
}

absl::StatusOr<pb::Assessment> Assessments::ApplyCaseOutcome(
    const Call& call, const pb::ApplyCaseOutcomeRequest& req) {
  errors::Violations v;
  ParseAssessmentName(req.assessment(), "assessment", &v);
  if (req.state().empty()) v.Add("state", "is required: the case's state");
  if (req.event_seq() <= 0) v.Add("event_seq", "must be the case event's seq");
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  ScopedLocks lock(locks_, {req.assessment()});
  return RunOnce<pb::Assessment>(
      *store_, call, req.request_id(), req,
      [&](storage::WriteSet& w) -> absl::StatusOr<pb::Assessment> {
        ASSIGN_OR_RETURN(auto cur, Load(call, req.assessment(), "assessment"));
        pb::Assessment a = cur.msg;
        if (req.state() != "WITHDRAWN" ||
            a.state() == pb::Assessment::WITHDRAWN) {
          return a;  // only withdrawals concern assessment
        }
        a.set_state(pb::Assessment::WITHDRAWN);
        CountNeeded(a, ppb::Round());
        *a.mutable_update_time() = ToProto(call.now);
        Write(w, call, a, &cur.msg, cur.version, req.request_id(),
              "withdrawn (the case was withdrawn)", "");
        a.set_etag(absl::StrCat(cur.version + 1));
        return a;
      });
}

absl::StatusOr<pb::Assessment> Assessments::GetAssessment(
    const Call& call, const pb::GetAssessmentRequest& req) {
  ASSIGN_OR_RETURN(auto cur, Load(call, req.name(), "name"));
  if (IsStaff(call.principal)) return cur.msg;
  return AssessorView(cur.msg, call.principal.user);
}

absl::StatusOr<pb::ListAssessmentsResponse> Assessments::ListAssessments(
    const Call& call, const pb::ListAssessmentsRequest& req) {
  errors::Violations v;
  if (!ParseName(req.round(), {"funds", "rounds"})) {
    v.Add("round", "must be funds/{fund}/rounds/{round}");
  }
  if (!pb::Assessment::State_IsValid(req.state())) {
    v.Add("state", "is not a known assessment state");
  }
  const std::string query =
      absl::StrCat("assessments:", req.round(), "|", req.state());
  Page page = ParsePage(req.page_size(), req.page_token(), query, &v);
  if (!v.empty()) return v.ToStatus();
  RETURN_IF_ERROR(RequireFundScope(call, auth::FundOf(req.round())));
  ASSIGN_OR_RETURN(RoundPage got,
                   ReadRoundPage(req.round(), page.start_after, page.size));
  pb::ListAssessmentsResponse resp;
  PageBytes budget;
  size_t used = 0;
  for (; used < got.items.size(); ++used) {
    pb::Assessment& a = got.items[used];
    if (!budget.Fits(a.ByteSizeLong())) break;
    if (req.state() != pb::Assessment::STATE_UNSPECIFIED &&
        a.state() != req.state()) {
      continue;
    }
    *resp.add_assessments() = std::move(a);
  }
  resp.set_next_page_token(PageTokenAfter(got.scan, used, query));
  return resp;
}

absl::Status Assessments::RecordFact(const Call& call, const pb::Assessment& a,
                                     const std::string& fact,
                                     const std::string& reason,
                                     const std::string& request_id,
                                     const std::string& already,
                                     workflow::v1::FactPayload payload) {
  return RecordCaseFact(*cases_, {.case_name = a.case_(),
                                  .fact = fact,
                                  .reason = reason,
                                  .request_id = request_id,
                                  .person = &call.principal,
                                  .payload = std::move(payload),
                                  .already = already});
}

absl::StatusOr<pb::Assessment> Assessments::ScreenApplication(
    const Call& call, const pb::ScreenApplicationRequest& req) {
  errors::Violations v;
  ParseAssessmentName(req.name(), "name", &v);
  if (req.decision() != pb::Screening::ELIGIBLE &&
      req.decision() != pb::Screening::INELIGIBLE) {
    v.Add("decision", "must be ELIGIBLE or INELIGIBLE");
  }
  LimitText(req.reason(), "reason", 2000, &v);
  if (req.decision() == pb::Screening::INELIGIBLE && !HasText(req.reason())) {
    v.Add("reason", "is required: tell the applicant why it is ineligible");
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  // Change holds the bid's lock from asking the engine until the decision
  // is recorded.
  return Change(
      call, req, req.name(), req.request_id(), req.etag(), req.reason(),
      [&](pb::Assessment& a, const ppb::Round& round,
          storage::WriteSet&) -> absl::StatusOr<std::string> {
        if (a.state() != pb::Assessment::AWAITING_SCREENING) {
          return errors::FailedPrecondition(
              reasons::kAlreadyScreened,
              absl::StrCat(a.name(), " is ",
                           pb::Assessment::State_Name(a.state()),
                           ": screening is done"),
              {{"state", pb::Assessment::State_Name(a.state())}});
        }
        // The rules as they stand now.
        a.mutable_screening()->clear_checks();
        std::vector<std::string> failed;
        for (pb::EligibilityCheck& c : CheckEligibility(a.bid(), round)) {
          if (c.result() == pb::EligibilityCheck::FAIL)
            failed.push_back(c.rule());
          *a.mutable_screening()->add_checks() = std::move(c);
        }
        const bool eligible = req.decision() == pb::Screening::ELIGIBLE;
        if (eligible && !failed.empty() && !HasText(req.reason())) {
          errors::Violations rv;
          rv.Add("reason",
                 absl::StrCat("is required to find it eligible against the "
                              "failed checks: ",
                              absl::StrJoin(failed, ", ")));
          return rv.ToStatus();
        }
        const std::string id = IdOf(a.name());
        // The round's close may have started the checks already.
        RETURN_IF_ERROR(RecordFact(call, a, facts::kEligibilityCheckStarted, "",
                                   absl::StrCat("screen:", id, ":start"),
                                   /*already=*/"ELIGIBILITY"));
        RETURN_IF_ERROR(RecordFact(
            call, a, eligible ? facts::kEligible : facts::kIneligible,
            req.reason(), absl::StrCat("screen:", id)));
        a.set_state(eligible ? pb::Assessment::IN_ASSESSMENT
                             : pb::Assessment::INELIGIBLE);
        pb::Screening& s = *a.mutable_screening();
        s.set_decision(req.decision());
        s.set_reason(req.reason());
        s.set_screened_by(call.principal.user);
        *s.mutable_screen_time() = ToProto(call.now);
        return absl::StrCat("screened: ",
                            pb::Screening::Decision_Name(req.decision()));
      });
}

absl::StatusOr<int> Assessments::OpenWorkload(const std::string& assessor) {
  std::string prefix;
  storage::AppendString(&prefix, assessor);
  int open = 0;
  std::string after;
  while (true) {
    ASSIGN_OR_RETURN(storage::ScanResult scan,
                     store_->Scan(kQueue, prefix, after, 500));
    open += static_cast<int>(scan.rows.size());
    if (!scan.more || scan.rows.empty()) break;
    after = scan.rows.back().key;
  }
  return open;
}

absl::StatusOr<pb::Assessment> Assessments::AssignAssessors(
    const Call& call, const pb::AssignAssessorsRequest& req) {
  errors::Violations v;
  ParseAssessmentName(req.name(), "name", &v);
  if (req.stage() != pb::WRITTEN && req.stage() != pb::INTERVIEW) {
    v.Add("stage", "must be WRITTEN or INTERVIEW");
  }
  if (req.assessors().empty() && req.pool().empty()) {
    v.Add("assessors", "name the assessors, or a pool to choose from");
  }
  if (!req.assessors().empty() && !req.pool().empty()) {
    v.Add("pool", "give assessors or a pool, not both");
  }
  const std::vector<std::string> named =
      CheckUserList(req.assessors(), "assessors", 50, &v);
  const std::vector<std::string> pool =
      CheckUserList(req.pool(), "pool", 50, &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return Change(
      call, req, req.name(), req.request_id(), req.etag(), "",
      [&](pb::Assessment& a, const ppb::Round& round,
          storage::WriteSet&) -> absl::StatusOr<std::string> {
        if (OpenStage(a) != req.stage()) return NotInAssessment(a);
        std::vector<std::string> chosen = named;
        if (chosen.empty()) {
          // Balanced: fewest open assignments first, then by name; never
          // someone already on this bid (or recused from it).
          std::vector<std::pair<int, std::string>> ranked;
          for (const std::string& u : pool) {
            bool on_it = false;
            for (const pb::Assignment& as : a.assignments()) {
              on_it |= as.assessor() == u && as.stage() == req.stage();
            }
            if (on_it) continue;
            ASSIGN_OR_RETURN(int open, OpenWorkload(u));
            ranked.emplace_back(open, u);
          }
          std::sort(ranked.begin(), ranked.end());
          for (const auto& [open, u] : ranked) {
            if (static_cast<int>(chosen.size()) >= a.assessors_needed()) break;
            chosen.push_back(u);
          }
          if (chosen.empty()) {
            return errors::FailedPrecondition(
                reasons::kNotInAssessment,
                a.assessors_needed() == 0
                    ? absl::StrCat(a.name(), " has all the assessors it needs")
                    : absl::StrCat("no one in the pool can assess ", a.name(),
                                   ": all are on it already"));
          }
        }
        errors::Violations cv;
        int active = 0;
        for (const pb::Assignment& as : a.assignments()) {
          if (as.stage() == req.stage() && Active(as)) ++active;
        }
        for (size_t i = 0; i < chosen.size(); ++i) {
          if (FindAssignment(a, chosen[i], req.stage()) != nullptr) {
            cv.Add(absl::StrCat("assessors[", i, "]"),
                   absl::StrCat(chosen[i],
                                " is already assigned (or has "
                                "declared a conflict)"));
            continue;
          }
          pb::Assignment& as = *a.add_assignments();
          as.set_assessor(chosen[i]);
          as.set_stage(req.stage());
          as.set_assigned_by(call.principal.user);
          *as.mutable_assign_time() = ToProto(call.now);
          *as.mutable_due_time() =
              req.stage() == pb::INTERVIEW
                  ? a.interview().interview_time()
                  : ToProto(call.now + AssessmentTime(round));
          as.set_sheet_state(pb::ScoreSheet::NOT_STARTED);
          ++active;
        }
        if (active > kMaxAssignmentsPerStage) {
          cv.Add("assessors", absl::StrCat("at most ", kMaxAssignmentsPerStage,
                                           " assessors per bid"));
        }
        if (!cv.empty()) return cv.ToStatus();
        return absl::StrCat("assigned ", absl::StrJoin(chosen, ", "));
      });
}

absl::StatusOr<pb::ListMyAssignmentsResponse> Assessments::ListMyAssignments(
    const Call& call, const pb::ListMyAssignmentsRequest& req) {
  errors::Violations v;
  const std::string query =
      absl::StrCat("queue:", call.principal.user, "|", req.include_submitted());
  Page page = ParsePage(req.page_size(), req.page_token(), query, &v);
  if (!v.empty()) return v.ToStatus();
  std::string prefix;
  storage::AppendString(&prefix, call.principal.user);
  ASSIGN_OR_RETURN(storage::ScanResult scan,
                   store_->Scan(kQueue, prefix, page.start_after, page.size));
  pb::ListMyAssignmentsResponse resp;
  // Load each distinct assessment once.
  std::map<std::string, Versioned<pb::Assessment>> loaded;
  for (const storage::ScanRow& row : scan.rows) {
    // QueueKey: user, due time, assessment id, stage.
    storage::KeyReader r(row.key);
    std::string user, id;
    int64_t due = 0;
    uint64_t stage = 0;
    if (!r.ReadString(&user) || !r.ReadInt64(&due) || !r.ReadString(&id) ||
        !r.ReadUint64(&stage) || !r.done()) {
      return absl::DataLossError("an assessor queue row cannot be read");
    }
    if (!loaded.contains(id)) {
      ASSIGN_OR_RETURN(auto a,
                       assessments_.Get(IdKey(id), "assessments/" + id));
      loaded.emplace(id, std::move(a));
    }
    const pb::Assessment& a = loaded.at(id).msg;
    // An assessor for some funds only works on those funds' bids.
    if (!InFundScope(call, auth::FundOf(a.round()))) continue;
    const pb::Assignment* as =
        FindAssignment(a, call.principal.user, static_cast<pb::Stage>(stage));
    if (as == nullptr) continue;
    if (!req.include_submitted() &&
        as->sheet_state() == pb::ScoreSheet::SUBMITTED) {
      continue;
    }
    pb::QueueItem& item = *resp.add_items();
    item.set_assessment(a.name());
    item.set_title(a.bid().title());
    item.set_organisation_name(a.bid().organisation_name());
    *item.mutable_assignment() = *as;
  }
  resp.set_next_page_token(NextPageToken(scan, query));
  return resp;
}

absl::StatusOr<pb::Assessment> Assessments::DeclareInterest(
    const Call& call, const pb::DeclareInterestRequest& req) {
  errors::Violations v;
  ParseAssessmentName(req.name(), "name", &v);
  if (req.stage() != pb::WRITTEN && req.stage() != pb::INTERVIEW) {
    v.Add("stage", "must be WRITTEN or INTERVIEW");
  }
  if (req.declaration() != pb::NO_CONFLICT &&
      req.declaration() != pb::CONFLICT) {
    v.Add("declaration", "must be NO_CONFLICT or CONFLICT");
  }
  LimitText(req.conflict_reason(), "conflict_reason", 2000, &v);
  if (req.declaration() == pb::CONFLICT && !HasText(req.conflict_reason())) {
    v.Add("conflict_reason", "is required: say what the conflict is");
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  ASSIGN_OR_RETURN(
      pb::Assessment a,
      Change(call, req, req.name(), req.request_id(), "", req.conflict_reason(),
             [&](pb::Assessment& a, const ppb::Round&,
                 storage::WriteSet& w) -> absl::StatusOr<std::string> {
               pb::Assignment* as =
                   FindAssignment(a, call.principal.user, req.stage());
               if (as == nullptr) {
                 return errors::WithReason(
                     absl::PermissionDeniedError(absl::StrCat(
                         a.name(), " is not assigned to you at this stage")),
                     reasons::kNotAssigned);
               }
               if (as->declaration() == pb::CONFLICT ||
                   (as->declaration() == pb::NO_CONFLICT &&
                    req.declaration() == pb::NO_CONFLICT)) {
                 return errors::FailedPrecondition(
                     reasons::kAlreadyDeclared,
                     absl::StrCat("you declared ",
                                  pb::Declaration_Name(as->declaration()),
                                  " on ", a.name(), " already"));
               }
               if (as->sheet_state() == pb::ScoreSheet::SUBMITTED) {
                 return errors::FailedPrecondition(
                     reasons::kScoresSubmitted,
                     "your scores are submitted; ask a moderator to reopen "
                     "them before declaring a conflict");
               }
               if (a.state() == pb::Assessment::WITHDRAWN) {
                 return NotInAssessment(a);
               }
               as->set_declaration(req.declaration());
               as->set_conflict_reason(req.conflict_reason());
               *as->mutable_declare_time() = ToProto(call.now);
               if (req.declaration() == pb::CONFLICT) {
                 // A draft saved before the conflict was found goes with
                 // the assessor's access.
                 w.Delete(sheets_.table(), SheetKey(IdOf(a.name()), req.stage(),
                                                    call.principal.user));
               }
               return absl::StrCat("declared ",
                                   pb::Declaration_Name(req.declaration()),
                                   " (", StageWord(req.stage()), ")");
             }));
  // The answer is what the assessor may now see (R6).
  if (req.declaration() == pb::NO_CONFLICT) {
    return AssessorView(a, call.principal.user);
  }
  return OwnAssignmentView(
      a, *FindAssignment(a, call.principal.user, req.stage()));
}

absl::StatusOr<pb::Assessment> Assessments::Change(
    const Call& call, const google::protobuf::Message& req,
    const std::string& name, const std::string& request_id,
    const std::string& etag, const std::string& why,
    absl::FunctionRef<absl::StatusOr<std::string>(
        pb::Assessment&, const ppb::Round&, storage::WriteSet&)>
        change) {
  ScopedLocks lock(locks_, {name});
  return RunOnce<pb::Assessment>(
      *store_, call, request_id, req,
      [&](storage::WriteSet& w) -> absl::StatusOr<pb::Assessment> {
        ASSIGN_OR_RETURN(auto cur, Load(call, name, "name"));
        RETURN_IF_ERROR(CheckEtag(etag, cur.version, name));
        pb::Assessment a = cur.msg;
        ASSIGN_OR_RETURN(ppb::Round round, rounds_->GetRound(call, a.round()));
        ASSIGN_OR_RETURN(std::string what, change(a, round, w));
        CountNeeded(a, round);
        *a.mutable_update_time() = ToProto(call.now);
        Write(w, call, a, &cur.msg, cur.version, request_id, what, why);
        a.set_etag(absl::StrCat(cur.version + 1));
        return a;
      });
}

// ---- Personal data (subject access, erasure) ----

absl::StatusOr<std::vector<Holding>> Assessments::PersonalData(
    const privacy::v1::Subject& subject) const {
  PersonalTable<pb::Assessment> bids;
  bids.rows = &assessments_;
  bids.kind = "assessment";
  bids.about = [](const pb::Assessment& a, const std::string& org) {
    return a.bid().organisation() == org;
  };
  bids.cases = CaseOf<pb::Assessment>;
  bids.anonymise = [](pb::Assessment* a, const std::string&) {
    pb::Bid* b = a->mutable_bid();
    b->set_title(kErased);
    b->clear_summary();
    for (auto& item : *b->mutable_budget()) item.set_description(kErased);
  };
  // Score sheets are the assessors' (assessments/{id}/scoreSheets/...),
  // kept with their case.
  PersonalTable<pb::ScoreSheet> sheets;
  sheets.rows = &sheets_;
  sheets.kind = "score sheet";
  sheets.cases = [](const pb::ScoreSheet& s, const std::string&) {
    std::vector<std::string> parts = absl::StrSplit(s.name(), '/');
    return std::vector<std::string>{parts.size() > 1 ? "cases/" + parts[1]
                                                     : std::string()};
  };
  return HoldingsIn(subject, bids, sheets);
}

}  // namespace grantflow::assessment
