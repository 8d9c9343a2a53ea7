// Domain logic of ApplicationService: organisations, applications
// (expressions of interest) and their equality-monitoring answers.
//
// Rules enforced here:
//  * an applicant (or signatory) acts only for the organisation named in
//    their token and only if listed among its member_users (PERMISSION_DENIED);
//  * drafts are edited only while DRAFT (FAILED_PRECONDITION,
//    APPLICATION_NOT_DRAFT);
//  * submission needs an open round by the injected clock (FAILED_PRECONDITION,
//    ROUND_NOT_OPEN / ROUND_CLOSED) and a complete application
//    (FAILED_PRECONDITION, APPLICATION_INCOMPLETE, one violation per field);
//  * equality-monitoring answers are stored apart and returned only to the
//    applicant's own organisation (R7).
//  * withdrawing a submitted application asks the engine first, through the
//    CaseClient: the case is withdrawn there (releasing any reservation in
//    the same step) or the withdrawal is refused (FAILED_PRECONDITION,
//    WITHDRAWAL_NOT_ALLOWED, once the agreement is executed); an
//    application and its case never disagree about it. A withdrawal recorded
//    at the engine directly reaches the application through
//    ApplyCaseOutcome.
// Every change is one atomic, audited, idempotent write; a refused call writes
// nothing. Submission also writes an outbox task (in the same write) that
// starts the case at the engine: tasks::kStartCase, whose payload is a
// StartCaseRequest.
#ifndef GRANTFLOW_SERVICES_APPLICATIONS_APPLICATIONS_H_
#define GRANTFLOW_SERVICES_APPLICATIONS_APPLICATIONS_H_

#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "grantflow/applications/v1/applications.pb.h"
#include "grantflow/privacy/v1/privacy.pb.h"
#include "platform/call.h"
#include "platform/locks.h"
#include "platform/outbox.h"
#include "platform/personal_data.h"
#include "platform/proto_table.h"
#include "platform/task_kinds.h"
#include "services/applications/validation.h"
#include "services/common/case_client.h"
#include "services/common/round_source.h"
#include "storage/store.h"

namespace grantflow::applications {

// Equality reports suppress counts from 1 to this minus one (R7).
inline constexpr int kEqualitySuppressBelow = 5;

// Thread-safe. Does not own `store`, `rounds` or `cases`; all must outlive
// it.
class Applications {
 public:
  Applications(storage::Store* store, RoundSource* rounds, CaseClient* cases);

  absl::StatusOr<pb::Organisation> CreateOrganisation(
      const Call& call, const pb::CreateOrganisationRequest& req);
  absl::StatusOr<pb::Organisation> GetOrganisation(
      const Call& call, const pb::GetOrganisationRequest& req);
  absl::StatusOr<pb::ListOrganisationsResponse> ListOrganisations(
      const Call& call, const pb::ListOrganisationsRequest& req);
  absl::StatusOr<pb::Organisation> UpdateOrganisation(
      const Call& call, const pb::UpdateOrganisationRequest& req);

  absl::StatusOr<pb::Application> CreateApplication(
      const Call& call, const pb::CreateApplicationRequest& req);
  absl::StatusOr<pb::Application> GetApplication(
      const Call& call, const pb::GetApplicationRequest& req);
  absl::StatusOr<pb::ListApplicationsResponse> ListApplications(
      const Call& call, const pb::ListApplicationsRequest& req);
  absl::StatusOr<pb::Application> UpdateApplication(
      const Call& call, const pb::UpdateApplicationRequest& req);
  absl::StatusOr<pb::Application> SubmitApplication(
      const Call& call, const pb::SubmitApplicationRequest& req);
  absl::StatusOr<pb::Application> WithdrawApplication(
      const Call& call, const pb::WithdrawApplicationRequest& req);

  absl::StatusOr<pb::EqualityMonitoring> GetEqualityMonitoring(
      const Call& call, const pb::GetEqualityMonitoringRequest& req);
  absl::StatusOr<pb::EqualityMonitoring> UpdateEqualityMonitoring(
      const Call& call, const pb::UpdateEqualityMonitoringRequest& req);
  // The round's applicants and its funded projects (as the engine holds
  // them). INVALID_ARGUMENT for a bad round name; UNAVAILABLE when the
  // engine cannot be reached; counts below kEqualitySuppressBelow are
  // suppressed.
  absl::StatusOr<pb::EqualityReport> GetEqualityReport(
      const Call& call, const pb::GetEqualityReportRequest& req);

  // Personal data held about a person or an organisation, for the host's
  // subject access and erasure (platform/personal_data.h). For an
  // organisation: its record, its applications and their equality answers;
  // erasure anonymises the organisation's contacts (needed while anything
  // is kept), blanks what its applications say and removes equality answers
  // (never kept). For a person: the organisations naming them and the
  // applications they drafted; erasure takes their name off them (and the
  // equality answers of those applications). A submitted application is
  // kept by its case; a withdrawn one for the unsuccessful retention.
  absl::StatusOr<std::vector<Holding>> PersonalData(
      const privacy::v1::Subject& subject);

  // From the engine: the case reached an outcome the application follows.
  // Ignores an event no newer than the application's case_event_seq.
  absl::StatusOr<pb::Application> ApplyCaseOutcome(
      const Call& call, const pb::ApplyCaseOutcomeRequest& req);

  absl::StatusOr<outbox::v1::ListTasksResponse> ListTasks(
      const Call& call, const outbox::v1::ListTasksRequest& req) {
    return outbox_.ListTasks(call, req);
  }
  absl::StatusOr<outbox::v1::Task> RetryTask(
      const Call& call, const outbox::v1::RetryTaskRequest& req) {
    return outbox_.RetryTask(call, req);
  }

  // Tasks for the engine (tasks::kStartCase); the host routes them.
  Outbox& outbox() { return outbox_; }

 private:
  // The ids of the round's funded applications (IsFunded), from the engine.
  absl::StatusOr<std::set<std::string>> FundedIn(const std::string& round);
  // OK when the caller may read (write=false) or act for (write=true) the
  // organisation; PERMISSION_DENIED otherwise; NOT_FOUND when it is absent.
  absl::Status CheckOrgAccess(const Call& call, const std::string& org_name,
                              bool write) const;
  absl::StatusOr<std::vector<std::string>> OrganisationsOf(
      const privacy::v1::Subject& subject);
  absl::StatusOr<std::vector<Versioned<pb::Application>>> ApplicationsOf(
      const privacy::v1::Subject& subject);
  absl::StatusOr<Versioned<pb::Application>> LoadApplication(
      const std::string& name, const std::string& field) const;
  // Writes the application with its state indexes moved from `old_state`.
  void WriteApplication(storage::WriteSet& writes, const pb::Application& app,
                        uint64_t version,
                        pb::Application::State old_state) const;
  // Moves a DRAFT or SUBMITTED application to a new state.
  absl::StatusOr<pb::Application> Transition(
      const Call& call, const google::protobuf::Message& req,
      const std::string& name, const std::string& request_id,
      const std::string& etag,
      absl::FunctionRef<absl::Status(pb::Application&, storage::WriteSet&)>
          change);

  // Asks the engine to withdraw the application's case (starting it first
  // if its StartCase task has not arrived yet). OK when the case is
  // withdrawn; WITHDRAWAL_NOT_ALLOWED when its state no longer allows it.
  absl::Status WithdrawCase(const Call& call, const pb::Application& app,
                            const std::string& reason);

  storage::Store* store_;
  RoundSource* rounds_;
  CaseClient* cases_;
  Outbox outbox_;
  LockTable app_locks_;  // withdrawals and outcomes, one at a time
  ProtoTable<pb::Organisation> orgs_;
  ProtoTable<pb::Application> apps_;
  ProtoTable<pb::EqualityMonitoring> equality_;
};

}  // namespace grantflow::applications

#endif  // GRANTFLOW_SERVICES_APPLICATIONS_APPLICATIONS_H_
