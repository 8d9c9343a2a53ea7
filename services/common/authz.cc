#include "services/common/authz.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "platform/errors.h"
#include "platform/reasons.h"

namespace grantflow::authz {
namespace {

using Roles = std::vector<std::string>;

// Everyone who works inside the funder, plus applicants where noted.
const Roles kStaff = {
    "grants_officer",  "approver",         "moderator", "safeguarding_officer",
    "finance_officer", "finance_approver", "auditor",   "admin"};

Roles Plus(Roles base, const Roles& more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

absl::flat_hash_map<std::string, Roles>* Build() {
  auto* t = new absl::flat_hash_map<std::string, Roles>();
  const std::string prog = "/grantflow.programmes.v1.ProgrammeService/";
  const Roles programme_editors = {"grants_officer", "admin"};
  // Funds, budget lines and rounds are public information within the
  // service: applicants need rounds to apply, assessors need criteria.
  const Roles programme_readers =
      Plus(kStaff, {"applicant", "signatory", "assessor"});
  for (const char* m : {"CreateFund", "UpdateFund", "CreateBudgetLine",
                        "UpdateBudgetLine", "CreateRound", "UpdateRound"}) {
    (*t)[prog + m] = programme_editors;
  }
  for (const char* m : {"GetFund", "ListFunds", "GetBudgetLine",
                        "ListBudgetLines", "GetRound", "ListRounds"}) {
    (*t)[prog + m] = programme_readers;
  }
  // The engine reads a round's terms when an award is approved;
  // ReportService reads funds and rounds for the register and open data.
  (*t)[prog + "GetRound"] = Plus(programme_readers, {"service"});
  (*t)[prog + "GetFund"] = Plus(programme_readers, {"service"});

  const std::string app = "/grantflow.applications.v1.ApplicationService/";
  // Applicants act only for their own organisation (checked in the domain).
  // Assessors are absent on purpose: they see bids through assessment, after
  // declaring conflicts (R6).
  const Roles org_writers = {"applicant", "grants_officer", "admin"};
  (*t)[app + "CreateOrganisation"] = org_writers;
  (*t)[app + "UpdateOrganisation"] = org_writers;
  // The engine reads an organisation's signatories when one signs (R1).
  (*t)[app + "GetOrganisation"] =
      Plus(kStaff, {"applicant", "signatory", "service"});
  (*t)[app + "ListOrganisations"] = Plus(kStaff, {"applicant", "signatory"});
  (*t)[app + "CreateApplication"] = {"applicant"};
  (*t)[app + "UpdateApplication"] = {"applicant"};
  (*t)[app + "SubmitApplication"] = {"applicant"};
  (*t)[app + "WithdrawApplication"] = {"applicant", "grants_officer"};
  // DueDiligenceService reads a check's application and organisation.
  (*t)[app + "GetApplication"] =
      Plus(kStaff, {"applicant", "signatory", "service"});
  (*t)[app + "ListApplications"] = Plus(kStaff, {"applicant", "signatory"});
  // R7: equality-monitoring answers go to the applicant only; reports use
  // aggregates with small numbers suppressed.
  (*t)[app + "GetEqualityMonitoring"] = {"applicant"};
  (*t)[app + "UpdateEqualityMonitoring"] = {"applicant"};
  // ... and to the funder as a round's aggregate, never to the assessors or
  // decision makers.
  (*t)[app + "GetEqualityReport"] = {"grants_officer", "auditor", "admin"};
  // The engine's outbox reports a case's outcome to its application.
  (*t)[app + "ApplyCaseOutcome"] = {"service"};
  const Roles outbox_readers = {"admin", "grants_officer", "auditor"};
  (*t)[app + "ListTasks"] = outbox_readers;
  (*t)[app + "RetryTask"] = {"admin"};

  // The engine. Which role may record which fact is refined per fact in
  // workflows/facts.cc; "service" is grantflowd's own identity.
  const std::string as = "/grantflow.assessment.v1.AssessmentService/";
  // Bids arrive from ApplicationService and outcomes from the engine.
  (*t)[as + "OpenAssessment"] = {"service"};
  (*t)[as + "ApplyCaseOutcome"] = {"service"};
  // Funder staff read assessments whole; an assessor reads only what is
  // assigned to them, and the bid only after declaring no conflict (R6,
  // enforced by the domain).
  const Roles assessment_readers = {"grants_officer", "moderator", "approver",
                                    "auditor", "admin"};
  (*t)[as + "GetAssessment"] = Plus(assessment_readers, {"assessor"});
  (*t)[as + "ListAssessments"] = assessment_readers;
  (*t)[as + "ScreenApplication"] = {"grants_officer", "admin"};
  (*t)[as + "AssignAssessors"] = {"grants_officer", "admin"};
  (*t)[as + "ListMyAssignments"] = {"assessor"};
  (*t)[as + "DeclareInterest"] = {"assessor"};
  (*t)[as + "GetScoreSheet"] = Plus(assessment_readers, {"assessor"});
  (*t)[as + "SaveScores"] = {"assessor"};
  (*t)[as + "SubmitScores"] = {"assessor"};
  (*t)[as + "ReopenScores"] = {"moderator", "admin"};
  (*t)[as + "ModerateScore"] = {"moderator", "admin"};
  (*t)[as + "DecideShortlist"] = {"grants_officer", "admin"};
  (*t)[as + "ShortlistRound"] = {"grants_officer", "admin"};
  (*t)[as + "ScheduleInterview"] = {"grants_officer", "admin"};
  (*t)[as + "GetRanking"] = assessment_readers;
  (*t)[as + "RecordRecommendation"] = {"grants_officer", "admin"};
  // Applicants read their own outcomes and feedback, never names or
  // individual scores.
  (*t)[as + "GetApplicantFeedback"] =
      Plus(assessment_readers, {"applicant", "signatory"});

  const std::string dd = "/grantflow.duediligence.v1.DueDiligenceService/";
  // Checks open from the engine's outbox and follow its withdrawals.
  (*t)[dd + "OpenCheck"] = {"service"};
  (*t)[dd + "ApplyCaseOutcome"] = {"service"};
  // Funder staff who deal with money and risk; never applicants or
  // assessors.
  const Roles dd_readers = {"grants_officer", "finance_officer", "approver",
                            "auditor", "admin"};
  for (const char* m : {"GetCheck", "ListChecks", "GetPolicy"}) {
    (*t)[dd + m] = dd_readers;
  }
  (*t)[dd + "RecordItem"] = {"grants_officer", "finance_officer"};
  (*t)[dd + "RunDuplicateCheck"] = {"grants_officer", "finance_officer"};
  (*t)[dd + "ConcludeCheck"] = {"grants_officer"};
  // A referred failure goes to someone with delegated authority (R5).
  (*t)[dd + "DecideReferral"] = {"approver"};
  // Each condition names the role that clears it (checked in the domain).
  (*t)[dd + "ClearCondition"] = {"grants_officer", "finance_officer"};
  (*t)[dd + "UpdatePolicy"] = {"admin"};

  const std::string sg = "/grantflow.safeguarding.v1.SafeguardingService/";
  (*t)[sg + "OpenCheck"] = {"service"};
  (*t)[sg + "ApplyCaseOutcome"] = {"service"};
  // R7: safeguarding details, DBS records above all, are for safeguarding
  // officers only; each read is audited by the domain.
  for (const char* m : {"GetCheck", "ListChecks", "RecordItem", "AddDbsRecord",
                        "ListDbsRecords", "ConcludeCheck", "ClearCondition"}) {
    (*t)[sg + m] = {"safeguarding_officer"};
  }
  // A grants officer may require a check the application did not; the
  // answer holds no details.
  (*t)[sg + "MarkRequired"] = {"grants_officer", "safeguarding_officer"};
  // Who read what is the auditors' business too.
  (*t)[sg + "ListAccessLog"] = {"safeguarding_officer", "auditor"};

  const std::string aw = "/grantflow.awards.v1.AwardService/";
  // Decisions within delegated authority (the engine applies the limit).
  (*t)[aw + "DecideAward"] = {"approver"};
  for (const char* m : {"GetAward", "ListAwards"}) {
    (*t)[aw + m] = {"grants_officer",   "approver", "finance_officer",
                    "finance_approver", "auditor",  "admin"};
  }
  // ReportService reads each award's dates for the register and open data.
  (*t)[aw + "GetAward"].push_back("service");
  // When an award may be published is the grants team's call.
  (*t)[aw + "SetPublicationDate"] = {"grants_officer", "approver"};

  const std::string ag = "/grantflow.agreements.v1.AgreementService/";
  const Roles staff = {"grants_officer",   "approver", "finance_officer",
                       "finance_approver", "auditor",  "admin"};
  (*t)[ag + "SetTemplate"] = {"admin", "grants_officer"};
  (*t)[ag + "GetTemplate"] = staff;
  for (const char* m : {"DraftAgreement", "UpdateDraft", "IssueAgreement"}) {
    (*t)[ag + m] = {"grants_officer"};
  }
  // The recipient's authorised signatory (the engine checks the
  // organisation's list); the funder's, an approver who did not issue it.
  (*t)[ag + "SignAgreement"] = {"signatory"};
  (*t)[ag + "CountersignAgreement"] = {"approver"};
  (*t)[ag + "TerminateAgreement"] = {"approver"};
  // The recipient's people read their own agreement (the service hides
  // others'); staff read all. PaymentService reads the executed schedule.
  for (const char* m : {"GetAgreement", "GetDocument"}) {
    Roles r = staff;
    r.insert(r.end(), {"applicant", "signatory"});
    if (std::string(m) == "GetAgreement") r.push_back("service");
    (*t)[ag + m] = r;
  }
  (*t)[ag + "ListAgreements"] = staff;
  (*t)[ag + "GetOutcomes"] = {"grants_officer",   "approver", "finance_officer",
                              "finance_approver", "auditor",  "admin"};
  (*t)[ag + "SubmitReport"] = {"applicant", "signatory"};
  (*t)[ag + "ReviewReport"] = {"grants_officer"};
  (*t)[ag + "ApplyCaseOutcome"] = {"service"};

  const std::string pay = "/grantflow.payments.v1.PaymentService/";
  const Roles finance = {"finance_officer", "finance_approver", "auditor",
                         "admin"};
  // Bank details: the organisation's signatory (its own) or a finance
  // officer records them; a finance approver (not the recorder) verifies.
  (*t)[pay + "ChangeBankAccount"] = {"signatory", "finance_officer"};
  (*t)[pay + "VerifyBankAccount"] = {"finance_approver"};
  (*t)[pay + "RejectBankAccountChange"] = {"finance_approver"};
  (*t)[pay + "GetBankAccount"] = Plus(finance, {"signatory"});
  // A finance officer requests; a finance approver, not the requester,
  // approves within their "pay" limit (R5).
  (*t)[pay + "RequestPayment"] = {"finance_officer"};
  (*t)[pay + "ApprovePayment"] = {"finance_approver"};
  (*t)[pay + "RejectPayment"] = {"finance_approver"};
  for (const char* m : {"ReleasePayments", "ConfirmPayment", "FailPayment"}) {
    (*t)[pay + m] = {"finance_officer", "finance_approver"};
  }
  for (const char* m : {"GetPayment", "ListPayments", "GetRemittanceBatch",
                        "ListRemittanceBatches", "ExportRemittance"}) {
    (*t)[pay + m] = Plus(finance, {"grants_officer"});
  }
  // An organisation's people follow their own grants' payments (the service
  // lists theirs only, without bank details).
  (*t)[pay + "ListPayments"] =
      Plus((*t)[pay + "ListPayments"], {"applicant", "signatory"});

  // The register and open data: for those who decide, pay and audit a
  // fund's grants. Open data is the grants team's to publish.
  const std::string rep = "/grantflow.reports.v1.ReportService/";
  for (const char* m : {"ListGrants", "ExportGrantRegister"}) {
    (*t)[rep + m] = {"grants_officer",   "approver", "finance_officer",
                     "finance_approver", "auditor",  "admin"};
  }
  (*t)[rep + "Export360Giving"] = {"grants_officer", "approver", "auditor",
                                   "admin"};

  const std::string wf = "/grantflow.workflow.v1.WorkflowService/";
  // Cases start from submissions only (ApplicationService), so a case's
  // organisation and amount requested are always the application's.
  (*t)[wf + "StartCase"] = {"service"};
  (*t)[wf + "RecordFact"] = {
      "grants_officer",       "moderator",       "approver", "signatory",
      "safeguarding_officer", "finance_officer", "admin",    "service"};
  for (const char* m :
       {"GetCase", "ListCases", "GetHistory", "GetLedgerLine", "ListLedger"}) {
    (*t)[wf + m] = Plus(kStaff, {"service"});
  }
  // Where a fund's money is: for those who decide, pay and audit it.
  (*t)[wf + "GetFundDashboard"] = {"grants_officer",  "approver",
                                   "finance_officer", "finance_approver",
                                   "auditor",         "admin"};
  // Only ProgrammeService registers ceilings, so the ledger and the budget
  // lines cannot be made to disagree from outside.
  (*t)[wf + "RegisterBudgetLine"] = {"service"};
  // Payments move through PaymentService (bank details, separation of
  // duties, remittance), which asks the engine for the finance person.
  (*t)[wf + "AuthorizePayment"] = {"service"};
  (*t)[wf + "ConfirmPayment"] = {"service"};
  (*t)[wf + "VoidPayment"] = {"service"};
  (*t)[wf + "ListTasks"] = outbox_readers;
  (*t)[wf + "RetryTask"] = {"admin"};

  // Every grantflowd's audit log of the services it hosts (R8): who did
  // what is the auditors' to read and check.
  const std::string audit = "/grantflow.audit.v1.AuditService/";
  (*t)[audit + "VerifyChain"] = {"auditor", "admin"};
  (*t)[audit + "ListEntries"] = {"auditor", "admin"};

  // Subject access and erasure: the funder's data protection lead (admin).
  const std::string privacy = "/grantflow.privacy.v1.PrivacyService/";
  (*t)[privacy + "ExportPersonalData"] = {"admin"};
  (*t)[privacy + "ErasePersonalData"] = {"admin"};

  // Backups copy everything, personal data included: the operators'
  // (admin) to take; auditors may see that they were taken.
  const std::string backup = "/grantflow.backup.v1.BackupService/";
  (*t)[backup + "CreateBackup"] = {"admin"};
  (*t)[backup + "ListBackups"] = {"auditor", "admin"};
  return t;
}

}  // namespace

const absl::flat_hash_map<std::string, std::vector<std::string>>& Table() {
  static const auto* table = Build();
  return *table;
}

absl::Status Authorize(const auth::Principal& principal,
                       absl::string_view full_method) {
  auto it = Table().find(full_method);
  if (it == Table().end()) {
    return errors::WithReason(absl::PermissionDeniedError(absl::StrCat(
                                  full_method, " is not open to any role")),
                              reasons::kRoleNotPermitted);
  }
  for (const std::string& role : principal.roles) {
    if (std::find(it->second.begin(), it->second.end(), role) !=
        it->second.end()) {
      return absl::OkStatus();
    }
  }
  return errors::WithReason(
      absl::PermissionDeniedError(absl::StrCat(
          "user ", principal.user,
          " (roles: ", absl::StrJoin(principal.roles, ", "), ") may not call ",
          full_method, "; allowed roles: ", absl::StrJoin(it->second, ", "))),
      reasons::kRoleNotPermitted);
}

}  // namespace grantflow::authz
