#include "services/applications/applications.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "grantflow/assessment/v1/assessment.pb.h"
#include "platform/audit.h"
#include "platform/crud.h"
#include "platform/fact_names.h"
#include "platform/idempotency.h"
#include "platform/outbox.h"
#include "platform/reasons.h"
#include "platform/resources.h"
#include "platform/status_macros.h"
#include "storage/key_coding.h"

namespace grantflow::applications {
namespace {

constexpr char kByRound[] = "app_by_round";
constexpr char kByOrg[] = "app_by_org";
constexpr char kByState[] = "app_by_state";

std::string IdKey(const std::string& id) {
  std::string k;
  storage::AppendString(&k, id);
  return k;
}

std::string StatePrefix(const std::string& parent,
                        pb::Application::State state) {
  std::string k;
  storage::AppendString(&k, parent);
  storage::AppendUint64(&k, static_cast<uint64_t>(state));
  return k;
}

std::string AppId(const std::string& name) {
  return name.substr(std::string("applications/").size());
}

std::string OrgId(const std::string& name) {
  return name.substr(std::string("organisations/").size());
}

// The application id at the end of an index key: `leading_strings` string
// components, the state, then the id.
std::optional<std::string> IdFromIndexKey(absl::string_view key,
                                          int leading_strings) {
  storage::KeyReader r(key);
  std::string s;
  uint64_t state;
  for (int i = 0; i < leading_strings; ++i) {
    if (!r.ReadString(&s)) return std::nullopt;
  }
  if (!r.ReadUint64(&state)) return std::nullopt;
  if (!r.ReadString(&s) || !r.done()) return std::nullopt;
  return s;
}

void ParseOrgName(const std::string& name, const std::string& field,
                  errors::Violations* v) {
  if (!ParseName(name, {"organisations"})) {
    v->Add(field, "must be organisations/{id}");
  }
}

void ParseAppName(const std::string& name, const std::string& field,
                  errors::Violations* v) {
  if (!ParseName(name, {"applications"})) {
    v->Add(field, "must be applications/{id}");
  }
}

void ParseRoundName(const std::string& name, const std::string& field,
                    errors::Violations* v) {
  if (!ParseName(name, {"funds", "rounds"})) {
    v->Add(field, "must be funds/{fund}/rounds/{round}");
  }
}

// The engine's StartCase for a submitted application; the same request
// every time, so starting twice changes nothing.
workflow::v1::StartCaseRequest StartCaseFor(
    const pb::Application& app, const programmes::v1::Round& round) {
  workflow::v1::StartCaseRequest start;
  start.set_application(app.name());
  start.set_round(app.round());
  start.set_definition(round.lifecycle_definition());
  start.set_safeguarding_required(app.works_with_children() ||
                                  app.works_with_adults_at_risk());
  start.set_organisation(app.organisation());
  start.set_amount_requested_pence(app.amount_requested_pence());
  start.set_request_id("start:" + AppId(app.name()));
  *start.mutable_round_close_time() = round.close_time();
  return start;
}

// What AssessmentService needs of a submitted application: the bid as
// submitted and what screening reads of its organisation. Never the
// equality-monitoring answers (R7), which are stored apart.
assessment::v1::OpenAssessmentRequest OpenAssessmentFor(
    const pb::Application& app, const pb::Organisation& org) {
  assessment::v1::OpenAssessmentRequest open;
  assessment::v1::Bid& b = *open.mutable_bid();
  b.set_application(app.name());
  b.set_round(app.round());
  b.set_organisation(app.organisation());
  b.set_organisation_name(org.display_name());
  b.set_title(app.title());
  b.set_summary(app.summary());
  b.set_amount_requested_pence(app.amount_requested_pence());
  b.set_planned_start_date(app.planned_start_date());
  b.set_planned_end_date(app.planned_end_date());
  *b.mutable_boroughs_served() = app.boroughs_served();
  b.set_expected_beneficiaries(app.expected_beneficiaries());
  b.set_works_with_children(app.works_with_children());
  b.set_works_with_adults_at_risk(app.works_with_adults_at_risk());
  *b.mutable_budget() = app.budget();
  b.set_legal_form(org.legal_form());
  b.set_annual_income_pence(org.annual_income_pence());
  *b.mutable_submit_time() = app.submit_time();
  open.set_request_id("open:" + AppId(app.name()));
  return open;
}

absl::Status NotDraft(const pb::Application& app) {
  return errors::FailedPrecondition(
      reasons::kApplicationNotDraft,
      absl::StrCat(app.name(), " is ", pb::Application::State_Name(app.state()),
                   "; only a DRAFT can be changed or submitted"),
      {{"state", pb::Application::State_Name(app.state())}});
}

// Whether `round` accepts submissions at `now`.
absl::Status CheckRoundOpen(const programmes::v1::Round& round,
                            absl::Time now) {
  const absl::Time open = FromProto(round.open_time());
  const absl::Time close = FromProto(round.close_time());
  if (now < open) {
    return errors::FailedPrecondition(
        reasons::kRoundNotOpen,
        absl::StrCat(round.name(), " opens at ", absl::FormatTime(open)),
        {{"round", round.name()}, {"open_time", absl::FormatTime(open)}});
  }
  if (now >= close) {
    return errors::FailedPrecondition(
        reasons::kRoundClosed,
        absl::StrCat(round.name(), " closed at ", absl::FormatTime(close)),
        {{"round", round.name()}, {"close_time", absl::FormatTime(close)}});
  }
  return absl::OkStatus();
}

}  // namespace

Applications::Applications(storage::Store* store, RoundSource* rounds,
                           CaseClient* cases)
    : store_(store),
      rounds_(rounds),
      cases_(cases),
      outbox_(store, "applications"),
      orgs_(store, "organisations", "organisation"),
      apps_(store, "applications", "application"),
      equality_(store, "equality_monitoring", "equality monitoring") {}

absl::Status Applications::CheckOrgAccess(const Call& call,
                                          const std::string& org_name,
                                          bool write) const {
  const auth::Principal& p = call.principal;
  const bool scoped = auth::IsOrganisationScoped(p);
  if (scoped && (p.organisation.empty() || p.organisation != org_name)) {
    return absl::PermissionDeniedError(absl::StrCat(
        p.user, " acts for ",
        p.organisation.empty() ? "no organisation" : p.organisation, ", not ",
        org_name.empty() ? "this organisation" : org_name));
  }
  auto ids = ParseName(org_name, {"organisations"});
  if (!ids) {
    return errors::InvalidArgument(
        {{"organisation", "must be organisations/{id}"}});
  }
  ASSIGN_OR_RETURN(Versioned<pb::Organisation> org,
                   orgs_.Get(IdKey((*ids)[0]), org_name));
  if (!scoped) return absl::OkStatus();
  const auto& members = org.msg.member_users();
  if (std::find(members.begin(), members.end(), p.user) == members.end()) {
    return absl::PermissionDeniedError(
        absl::StrCat(p.user, " is not one of the users who may ",
                     write ? "act for " : "see ", org_name));
  }
  return absl::OkStatus();
}

// ---- Organisations ----

absl::StatusOr<pb::Organisation> Applications::CreateOrganisation(
    const Call& call, const pb::CreateOrganisationRequest& req) {
  errors::Violations v;
  const bool scoped = auth::IsOrganisationScoped(call.principal);
  std::string id = req.organisation_id();
  if (!id.empty() && !IsValidId(id)) {
    v.Add("organisation_id",
          "must be 1-63 characters of a-z, 0-9 and '-', not starting or "
          "ending with '-'");
  }
  if (scoped && id.empty()) {
    v.Add("organisation_id",
          "is required: use the organisation named in your token");
  }
  pb::Organisation org = req.organisation();
  CanonicaliseUsers(&org);
  if (scoped && std::find(org.member_users().begin(), org.member_users().end(),
                          call.principal.user) == org.member_users().end()) {
    org.add_member_users(call.principal.user);
  }
  ValidateOrganisation(org, "organisation", &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  if (id.empty()) id = NewId(call.now);
  const std::string name = absl::StrCat("organisations/", id);
  if (scoped && call.principal.organisation != name) {
    return absl::PermissionDeniedError(absl::StrCat(
        call.principal.user, " may register only ",
        call.principal.organisation.empty() ? "the organisation in their token"
                                            : call.principal.organisation));
  }
  return CreateResource<pb::Organisation>(
      *store_, orgs_, call, req, req.request_id(), Target{IdKey(id), name}, org,
      [](auto&, storage::WriteSet&) { return absl::OkStatus(); });
}

absl::StatusOr<pb::Organisation> Applications::GetOrganisation(
    const Call& call, const pb::GetOrganisationRequest& req) {
  errors::Violations v;
  ParseOrgName(req.name(), "name", &v);
  if (!v.empty()) return v.ToStatus();
  RETURN_IF_ERROR(CheckOrgAccess(call, req.name(), /*write=*/false));
  ASSIGN_OR_RETURN(auto got, orgs_.Get(IdKey(OrgId(req.name())), req.name()));
  return got.msg;
}

absl::StatusOr<pb::ListOrganisationsResponse> Applications::ListOrganisations(
    const Call& call, const pb::ListOrganisationsRequest& req) {
  errors::Violations v;
  Page page = ParsePage(req.page_size(), req.page_token(), "organisations", &v);
  if (!v.empty()) return v.ToStatus();
  pb::ListOrganisationsResponse resp;
  if (auth::IsOrganisationScoped(call.principal)) {
    // Only the caller's own organisation, if they may see it.
    if (CheckOrgAccess(call, call.principal.organisation, false).ok()) {
      auto got = orgs_.Get(IdKey(OrgId(call.principal.organisation)),
                           call.principal.organisation);
      if (got.ok()) *resp.add_organisations() = got->msg;
    }
    return resp;
  }
  ASSIGN_OR_RETURN(auto listed, orgs_.List("", page, "organisations"));
  for (auto& o : listed.items) *resp.add_organisations() = std::move(o);
  resp.set_next_page_token(listed.next_page_token);
  return resp;
}

absl::StatusOr<pb::Organisation> Applications::UpdateOrganisation(
    const Call& call, const pb::UpdateOrganisationRequest& req) {
  errors::Violations v;
  const std::string& name = req.organisation().name();
  ParseOrgName(name, "organisation.name", &v);
  CheckUpdateMask(req.update_mask(),
                  {"display_name", "legal_form", "charity_number",
                   "company_number", "address", "contacts", "member_users",
                   "signatory_users", "annual_income_pence"},
                  &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  RETURN_IF_ERROR(CheckOrgAccess(call, name, /*write=*/true));
  const bool scoped = auth::IsOrganisationScoped(call.principal);
  pb::Organisation patch = req.organisation();
  CanonicaliseUsers(&patch);
  return UpdateResource<pb::Organisation>(
      *store_, orgs_, call, req, req.request_id(),
      Target{IdKey(OrgId(name)), name}, patch, req.update_mask(),
      [&](const pb::Organisation& merged, storage::WriteSet&) {
        errors::Violations mv;
        ValidateOrganisation(merged, "organisation", &mv);
        const auto& m = merged.member_users();
        if (scoped &&
            std::find(m.begin(), m.end(), call.principal.user) == m.end()) {
          mv.Add("organisation.member_users",
                 "must still include you; ask the grants team to hand over "
                 "the organisation");
        }
        return mv.ToStatus();
      });
}

// ---- Applications ----

absl::StatusOr<Versioned<pb::Application>> Applications::LoadApplication(
    const std::string& name, const std::string& field) const {
  errors::Violations v;
  ParseAppName(name, field, &v);
  if (!v.empty()) return v.ToStatus();
  return apps_.Get(IdKey(AppId(name)), name);
}

void Applications::WriteApplication(storage::WriteSet& writes,
                                    const pb::Application& app,
                                    uint64_t version,
                                    pb::Application::State old_state) const {
  const std::string id = AppId(app.name());
  if (version == 0) {
    apps_.Insert(writes, IdKey(id), app);
  } else {
    apps_.Replace(writes, IdKey(id), app, version);
  }
  if (old_state != app.state()) {
    if (old_state != pb::Application::STATE_UNSPECIFIED) {
      writes.Delete(kByRound, StatePrefix(app.round(), old_state) + IdKey(id));
      writes.Delete(kByOrg,
                    StatePrefix(app.organisation(), old_state) + IdKey(id));
      std::string sk;
      storage::AppendUint64(&sk, old_state);
      writes.Delete(kByState, sk + IdKey(id));
    }
    writes.PutIndex(kByRound,
                    StatePrefix(app.round(), app.state()) + IdKey(id));
    writes.PutIndex(kByOrg,
                    StatePrefix(app.organisation(), app.state()) + IdKey(id));
    std::string sk;
    storage::AppendUint64(&sk, app.state());
    writes.PutIndex(kByState, sk + IdKey(id));
  }
}

absl::StatusOr<pb::Application> Applications::CreateApplication(
    const Call& call, const pb::CreateApplicationRequest& req) {
  errors::Violations v;
  const pb::Application& draft = req.application();
  ParseRoundName(draft.round(), "application.round", &v);
  ParseOrgName(draft.organisation(), "application.organisation", &v);
  ValidateRequestId(req.request_id(), &v);
  // Look the round up first so every bad field, including an amount outside
  // the round's limits, is reported in one answer.
  std::optional<programmes::v1::Round> round;
  if (ParseName(draft.round(), {"funds", "rounds"})) {
    absl::StatusOr<programmes::v1::Round> found =
        rounds_->GetRound(call, draft.round());
    if (absl::IsNotFound(found.status())) {
      v.Add("application.round",
            absl::StrCat("round ", draft.round(), " does not exist"));
    } else if (!found.ok()) {
      return found.status();
    } else {
      round = *std::move(found);
    }
  }
  ValidateDraft(draft, round ? &*round : nullptr, "application", &v);
  if (!v.empty()) return v.ToStatus();
  absl::Status access =
      CheckOrgAccess(call, draft.organisation(), /*write=*/true);
  if (absl::IsNotFound(access)) {
    return errors::InvalidArgument(
        {{"application.organisation", std::string(access.message())}});
  }
  if (!access.ok()) return access;
  return RunOnce<pb::Application>(
      *store_, call, req.request_id(), req,
      [&](storage::WriteSet& writes) -> absl::StatusOr<pb::Application> {
        // Drafting may start before a round opens, not after it closes.
        if (call.now >= FromProto(round->close_time())) {
          return CheckRoundOpen(*round, call.now);
        }
        pb::Application app = draft;
        app.set_name(absl::StrCat("applications/", NewId(call.now)));
        app.set_state(pb::Application::DRAFT);
        app.set_created_by(call.principal.user);
        *app.mutable_create_time() = ToProto(call.now);
        *app.mutable_update_time() = ToProto(call.now);
        app.clear_submit_time();
        app.clear_withdraw_time();
        app.clear_withdraw_reason();
        WriteApplication(writes, app, 0, pb::Application::STATE_UNSPECIFIED);
        AuditChange(writes, call, app.name(), req.request_id(),
                    absl::StrCat("draft for ", app.round(), " by ",
                                 app.organisation()));
        app.set_etag("1");
        return app;
      });
}

absl::StatusOr<pb::Application> Applications::GetApplication(
    const Call& call, const pb::GetApplicationRequest& req) {
  ASSIGN_OR_RETURN(auto got, LoadApplication(req.name(), "name"));
  absl::Status access =
      CheckOrgAccess(call, got.msg.organisation(), /*write=*/false);
  if (!access.ok()) return access;
  RETURN_IF_ERROR(RequireFundScope(call, auth::FundOf(got.msg.round())));
  return got.msg;
}

absl::StatusOr<pb::ListApplicationsResponse> Applications::ListApplications(
    const Call& call, const pb::ListApplicationsRequest& req) {
  errors::Violations v;
  if (!req.round().empty()) ParseRoundName(req.round(), "round", &v);
  std::string org = req.organisation();
  if (!org.empty()) ParseOrgName(org, "organisation", &v);
  if (!pb::Application::State_IsValid(req.state())) {
    v.Add("state", "is not a known application state");
  }
  const std::string query =
      absl::StrCat("applications:", req.round(), "|", req.state(), "|", org);
  Page page = ParsePage(req.page_size(), req.page_token(), query, &v);
  if (!v.empty()) return v.ToStatus();
  if (auth::IsOrganisationScoped(call.principal)) {
    if (org.empty()) org = call.principal.organisation;
    RETURN_IF_ERROR(CheckOrgAccess(call, org, /*write=*/false));
  }
  const auto state = req.state();
  const bool by_state = state != pb::Application::STATE_UNSPECIFIED;

  pb::ListApplicationsResponse resp;
  if (org.empty() && req.round().empty() && !by_state) {
    ASSIGN_OR_RETURN(auto listed, apps_.List("", page, query));
    for (auto& a : listed.items) {
      if (InFundScope(call, auth::FundOf(a.round()))) {
        *resp.add_applications() = std::move(a);
      }
    }
    resp.set_next_page_token(listed.next_page_token);
    return resp;
  }
  // Pick the narrowest index; an organisation has few applications, so a
  // round filter on top of it is applied to the rows read.
  std::string index, prefix;
  int leading = 1;
  if (!org.empty()) {
    index = kByOrg;
    prefix = by_state ? StatePrefix(org, state) : IdKey(org);
  } else if (!req.round().empty()) {
    index = kByRound;
    prefix = by_state ? StatePrefix(req.round(), state) : IdKey(req.round());
  } else {
    index = kByState;
    leading = 0;
    storage::AppendUint64(&prefix, state);
  }
  ASSIGN_OR_RETURN(storage::ScanResult scan,
                   store_->Scan(index, prefix, page.start_after, page.size));
  std::vector<std::string> keys;
  for (const storage::ScanRow& row : scan.rows) {
    std::optional<std::string> id = IdFromIndexKey(row.key, leading);
    if (!id) return absl::DataLossError("malformed application index entry");
    keys.push_back(IdKey(*id));
  }
  // One batched read for the page's applications, cut short if the page
  // would pass kMaxPageBytes.
  ASSIGN_OR_RETURN(auto rows, apps_.GetMany(keys));
  PageBytes budget;
  size_t used = 0;
  for (; used < rows.size(); ++used) {
    if (!rows[used]) continue;
    pb::Application& app = rows[used]->msg;
    if (!req.round().empty() && app.round() != req.round()) continue;
    if (!InFundScope(call, auth::FundOf(app.round()))) continue;
    if (!budget.Fits(app.ByteSizeLong())) break;
    *resp.add_applications() = std::move(app);
  }
  resp.set_next_page_token(PageTokenAfter(scan, used, query));
  return resp;
}

absl::StatusOr<pb::Application> Applications::UpdateApplication(
    const Call& call, const pb::UpdateApplicationRequest& req) {
  errors::Violations v;
  const std::string& name = req.application().name();
  ParseAppName(name, "application.name", &v);
  CheckUpdateMask(
      req.update_mask(),
      {"title", "summary", "amount_requested_pence", "planned_start_date",
       "planned_end_date", "boroughs_served", "expected_beneficiaries",
       "works_with_children", "works_with_adults_at_risk", "budget"},
      &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  ASSIGN_OR_RETURN(auto current, LoadApplication(name, "application.name"));
  absl::Status access =
      CheckOrgAccess(call, current.msg.organisation(), /*write=*/true);
  if (!access.ok()) return access;
  ASSIGN_OR_RETURN(programmes::v1::Round round,
                   rounds_->GetRound(call, current.msg.round()));
  return UpdateResource<pb::Application>(
      *store_, apps_, call, req, req.request_id(),
      Target{IdKey(AppId(name)), name}, req.application(), req.update_mask(),
      [&](const pb::Application& merged, storage::WriteSet&) -> absl::Status {
        if (merged.state() != pb::Application::DRAFT) return NotDraft(merged);
        errors::Violations mv;
        ValidateDraft(merged, &round, "application", &mv);
        return mv.ToStatus();
      });
}

absl::StatusOr<pb::Application> Applications::Transition(
    const Call& call, const google::protobuf::Message& req,
    const std::string& name, const std::string& request_id,
    const std::string& etag,
    absl::FunctionRef<absl::Status(pb::Application&, storage::WriteSet&)>
        change) {
  return RunOnce<pb::Application>(
      *store_, call, request_id, req,
      [&](storage::WriteSet& writes) -> absl::StatusOr<pb::Application> {
        ASSIGN_OR_RETURN(auto current, LoadApplication(name, "name"));
        absl::Status s =
            CheckOrgAccess(call, current.msg.organisation(), /*write=*/true);
        if (!s.ok()) return s;
        RETURN_IF_ERROR(
            RequireFundScope(call, auth::FundOf(current.msg.round())));
        RETURN_IF_ERROR(CheckEtag(etag, current.version, name));
        pb::Application app = current.msg;
        const pb::Application::State old_state = app.state();
        RETURN_IF_ERROR(change(app, writes));
        *app.mutable_update_time() = ToProto(call.now);
        WriteApplication(writes, app, current.version, old_state);
        AuditChange(writes, call, name, request_id,
                    absl::StrCat(pb::Application::State_Name(old_state), " -> ",
                                 pb::Application::State_Name(app.state())),
                    app.withdraw_reason());
        app.set_etag(absl::StrCat(current.version + 1));
        return app;
      });
}

absl::StatusOr<pb::Application> Applications::SubmitApplication(
    const Call& call, const pb::SubmitApplicationRequest& req) {
  errors::Violations v;
  ParseAppName(req.name(), "name", &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return Transition(
      call, req, req.name(), req.request_id(), req.etag(),
      [&](pb::Application& app, storage::WriteSet& writes) -> absl::Status {
        if (app.state() != pb::Application::DRAFT) return NotDraft(app);
        ASSIGN_OR_RETURN(programmes::v1::Round round,
                         rounds_->GetRound(call, app.round()));
        RETURN_IF_ERROR(CheckRoundOpen(round, call.now));
        errors::Violations missing;
        CheckComplete(app, round, call.now, "application", &missing);
        if (!missing.empty()) {
          return errors::FailedPrecondition(
              reasons::kApplicationIncomplete,
              absl::StrCat(app.name(), " is not ready to submit"),
              {{"application", app.name()}}, missing.list());
        }
        app.set_state(pb::Application::SUBMITTED);
        *app.mutable_submit_time() = ToProto(call.now);
        // The engine starts the case from this task, at least once.
        workflow::v1::StartCaseRequest start = StartCaseFor(app, round);
        outbox::v1::Task task;
        task.set_id(start.request_id());
        task.set_kind(tasks::kStartCase);
        task.set_case_name("cases/" + AppId(app.name()));
        task.set_payload(start.SerializeAsString());
        Outbox::Enqueue(writes, task, call.now);
        // ... and AssessmentService opens it for screening.
        ASSIGN_OR_RETURN(auto org, orgs_.Get(IdKey(OrgId(app.organisation())),
                                             app.organisation()));
        assessment::v1::OpenAssessmentRequest open =
            OpenAssessmentFor(app, org.msg);
        outbox::v1::Task to_assessment;
        to_assessment.set_id(open.request_id());
        to_assessment.set_kind(tasks::kOpenAssessment);
        to_assessment.set_case_name("cases/" + AppId(app.name()));
        to_assessment.set_payload(open.SerializeAsString());
        Outbox::Enqueue(writes, to_assessment, call.now);
        return absl::OkStatus();
      });
}

absl::StatusOr<pb::Application> Applications::WithdrawApplication(
    const Call& call, const pb::WithdrawApplicationRequest& req) {
  errors::Violations v;
  ParseAppName(req.name(), "name", &v);
  RequireText(req.reason(), "reason", 1000, &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  // Held from asking the engine until the withdrawal is recorded, so the
  // engine's own report of it (ApplyCaseOutcome) waits its turn.
  ScopedLocks lock(app_locks_, {req.name()});
  return Transition(
      call, req, req.name(), req.request_id(), "",
      [&](pb::Application& app, storage::WriteSet& writes) -> absl::Status {
        if (app.state() == pb::Application::WITHDRAWN) {
          return errors::FailedPrecondition(
              reasons::kApplicationWithdrawn,
              absl::StrCat(app.name(), " is already withdrawn"));
        }
        if (app.state() == pb::Application::SUBMITTED) {
          RETURN_IF_ERROR(WithdrawCase(call, app, req.reason()));
        }
        app.set_state(pb::Application::WITHDRAWN);
        *app.mutable_withdraw_time() = ToProto(call.now);
        app.set_withdraw_reason(req.reason());
        return absl::OkStatus();
      });
}

absl::Status Applications::WithdrawCase(const Call& call,
                                        const pb::Application& app,
                                        const std::string& reason) {
  const std::string id = AppId(app.name());
  workflow::v1::RecordFactRequest fact;
  fact.set_name("cases/" + id);
  fact.set_fact(facts::kWithdrawn);
  fact.set_reason(reason);
  fact.set_on_behalf_of(call.principal.user);
  fact.set_request_id("withdraw:" + id);
  absl::StatusOr<workflow::v1::Case> done = cases_->RecordFact(fact);
  if (absl::IsNotFound(done.status())) {
    // The submission's StartCase task has not reached the engine yet: start
    // the case now, with the very request the task carries, and withdraw it.
    ASSIGN_OR_RETURN(programmes::v1::Round round,
                     rounds_->GetRound(call, app.round()));
    RETURN_IF_ERROR(cases_->StartCase(StartCaseFor(app, round)));
    done = cases_->RecordFact(fact);
  }
  if (done.ok()) return absl::OkStatus();
  if (errors::ReasonOf(done.status()) == reasons::kInvalidTransition) {
    const std::string state = errors::MetadataOf(done.status(), "state");
    if (state == "WITHDRAWN") return absl::OkStatus();  // withdrawn already
    return errors::FailedPrecondition(
        reasons::kWithdrawalNotAllowed,
        absl::StrCat(app.name(), "'s grant is ", state,
                     " and can no longer be withdrawn",
                     state == "EXECUTED" || state == "ACTIVE"
                         ? ": its funding agreement is executed; the grants "
                           "team can end the grant instead"
                         : ""),
        {{"case_state", state}});
  }
  return done.status();
}

absl::StatusOr<pb::Application> Applications::ApplyCaseOutcome(
    const Call& call, const pb::ApplyCaseOutcomeRequest& req) {
  errors::Violations v;
  ParseAppName(req.application(), "application", &v);
  if (req.state().empty()) v.Add("state", "is required: the case's state");
  if (req.event_seq() <= 0) v.Add("event_seq", "must be the case event's seq");
  LimitText(req.reason(), "reason", 1000, &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  ScopedLocks lock(app_locks_, {req.application()});
  return RunOnce<pb::Application>(
      *store_, call, req.request_id(), req,
      [&](storage::WriteSet& writes) -> absl::StatusOr<pb::Application> {
        ASSIGN_OR_RETURN(auto current,
                         LoadApplication(req.application(), "application"));
        pb::Application app = current.msg;
        if (req.event_seq() <= app.case_event_seq()) return app;  // older
        const pb::Application::State old_state = app.state();
        app.set_case_event_seq(req.event_seq());
        if (req.state() == "WITHDRAWN" &&
            app.state() == pb::Application::SUBMITTED) {
          app.set_state(pb::Application::WITHDRAWN);
          *app.mutable_withdraw_time() = ToProto(call.now);
          app.set_withdraw_reason(
              req.reason().empty() ? absl::StrCat("withdrawn by ", req.actor())
                                   : req.reason());
        }
        *app.mutable_update_time() = ToProto(call.now);
        WriteApplication(writes, app, current.version, old_state);
        AuditChange(writes, call, app.name(), req.request_id(),
                    absl::StrCat("case ", req.state(), " (event ",
                                 req.event_seq(), " by ", req.actor(), "): ",
                                 pb::Application::State_Name(old_state), " -> ",
                                 pb::Application::State_Name(app.state())),
                    req.reason());
        app.set_etag(absl::StrCat(current.version + 1));
        return app;
      });
}

// ---- Equality monitoring (R7) ----

namespace {

// One group's answers as they are counted, before suppression.
struct EqualityTally {
  int total = 0, answered = 0, declined = 0;
  std::map<std::string, int> led_by, serves;

  void Add(const pb::EqualityMonitoring* em) {
    ++total;
    if (em == nullptr) return;
    if (em->prefer_not_to_say()) {
      ++declined;
      return;
    }
    if (em->led_by().empty() && em->mainly_serves().empty()) return;
    ++answered;
    for (const std::string& c : em->led_by()) ++led_by[c];
    for (const std::string& c : em->mainly_serves()) ++serves[c];
  }

  // The group as reported: every count from 1 to kEqualitySuppressBelow - 1
  // suppressed.
  pb::EqualityGroup Report() {
    auto count = [](const std::string& answer, int n) {
      pb::EqualityCount c;
      c.set_answer(answer);
      const bool suppress = n > 0 && n < kEqualitySuppressBelow;
      c.set_count(suppress ? 0 : n);
      c.set_suppressed(suppress);
      return c;
    };
    pb::EqualityGroup g;
    g.set_total(total);
    *g.mutable_answered() = count("answered", answered);
    *g.mutable_prefer_not_to_say() = count("prefer not to say", declined);
    for (const std::string& c : EqualityCategories()) {
      *g.add_led_by() = count(c, led_by[c]);
      *g.add_mainly_serves() = count(c, serves[c]);
    }
    return g;
  }
};

}  // namespace

absl::StatusOr<std::set<std::string>> Applications::FundedIn(
    const std::string& round) {
  std::set<std::string> funded;
  workflow::v1::ListCasesRequest req;
  req.set_round(round);
  req.set_page_size(500);
  do {
    ASSIGN_OR_RETURN(workflow::v1::ListCasesResponse page,
                     cases_->ListCases(req));
    for (const workflow::v1::Case& c : page.cases()) {
      if (IsFunded(c)) funded.insert(AppId(c.application()));
    }
    req.set_page_token(page.next_page_token());
  } while (!req.page_token().empty());
  return funded;
}

absl::StatusOr<pb::EqualityReport> Applications::GetEqualityReport(
    const Call& call, const pb::GetEqualityReportRequest& req) {
  errors::Violations v;
  ParseRoundName(req.round(), "round", &v);
  if (!v.empty()) return v.ToStatus();
  RETURN_IF_ERROR(RequireFundScope(call, auth::FundOf(req.round())));
  // Which of the round's projects were funded is the engine's to say.
  ASSIGN_OR_RETURN(const std::set<std::string> funded, FundedIn(req.round()));
  EqualityTally applicants, funded_projects;
  // Every application of the round, a batch at a time, by the round index.
  RETURN_IF_ERROR(ScanInBatches(
      *store_, kByRound, IdKey(req.round()), 500,
      [&](const std::vector<storage::ScanRow>& rows) -> absl::Status {
        std::vector<std::string> keys, ids;
        for (const storage::ScanRow& row : rows) {
          std::optional<std::string> id = IdFromIndexKey(row.key, 1);
          if (!id)
            return absl::DataLossError("malformed application index entry");
          keys.push_back(IdKey(*id));
          ids.push_back(*id);
        }
        ASSIGN_OR_RETURN(auto apps, apps_.GetMany(keys));
        ASSIGN_OR_RETURN(auto answers, equality_.GetMany(keys));
        for (size_t i = 0; i < keys.size(); ++i) {
          if (!apps[i] || apps[i]->msg.state() == pb::Application::DRAFT ||
              apps[i]->msg.submit_time().seconds() == 0) {
            continue;
          }
          const pb::EqualityMonitoring* em =
              answers[i] ? &answers[i]->msg : nullptr;
          applicants.Add(em);
          if (funded.contains(ids[i])) funded_projects.Add(em);
        }
        return absl::OkStatus();
      }));
  pb::EqualityReport out;
  out.set_round(req.round());
  *out.mutable_applicants() = applicants.Report();
  *out.mutable_funded() = funded_projects.Report();
  out.set_suppress_below(kEqualitySuppressBelow);
  return out;
}

absl::StatusOr<pb::EqualityMonitoring> Applications::GetEqualityMonitoring(
    const Call& call, const pb::GetEqualityMonitoringRequest& req) {
  constexpr absl::string_view kSuffix = "/equalityMonitoring";
  if (!absl::EndsWith(req.name(), kSuffix)) {
    return errors::InvalidArgument(
        {{"name", "must be applications/{id}/equalityMonitoring"}});
  }
  std::string app_name =
      req.name().substr(0, req.name().size() - kSuffix.size());
  ASSIGN_OR_RETURN(auto app, LoadApplication(app_name, "name"));
  absl::Status access =
      CheckOrgAccess(call, app.msg.organisation(), /*write=*/false);
  if (!access.ok()) return access;
  auto got = equality_.Get(IdKey(AppId(app_name)), req.name());
  if (absl::IsNotFound(got.status())) {
    pb::EqualityMonitoring empty;
    empty.set_name(req.name());
    return empty;
  }
  if (!got.ok()) return got.status();
  return got->msg;
}

absl::StatusOr<pb::EqualityMonitoring> Applications::UpdateEqualityMonitoring(
    const Call& call, const pb::UpdateEqualityMonitoringRequest& req) {
  constexpr absl::string_view kSuffix = "/equalityMonitoring";
  const pb::EqualityMonitoring& em = req.equality_monitoring();
  errors::Violations v;
  if (!absl::EndsWith(em.name(), kSuffix)) {
    v.Add("equality_monitoring.name",
          "must be applications/{id}/equalityMonitoring");
  }
  ValidateEqualityMonitoring(em, "equality_monitoring", &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  std::string app_name = em.name().substr(0, em.name().size() - kSuffix.size());
  ASSIGN_OR_RETURN(auto app,
                   LoadApplication(app_name, "equality_monitoring.name"));
  absl::Status access =
      CheckOrgAccess(call, app.msg.organisation(), /*write=*/true);
  if (!access.ok()) return access;
  const std::string key = IdKey(AppId(app_name));
  return RunOnce<pb::EqualityMonitoring>(
      *store_, call, req.request_id(), req,
      [&](storage::WriteSet& writes) -> absl::StatusOr<pb::EqualityMonitoring> {
        auto current = equality_.Get(key, em.name());
        uint64_t version = 0;
        if (current.ok()) {
          version = current->version;
        } else if (!absl::IsNotFound(current.status())) {
          return current.status();
        }
        if (!em.etag().empty()) {
          RETURN_IF_ERROR(CheckEtag(em.etag(), version, em.name()));
        }
        if (version == 0) {
          equality_.Insert(writes, key, em);
        } else {
          equality_.Replace(writes, key, em, version);
        }
        // The audit entry records that answers changed, never the answers.
        AuditChange(writes, call, em.name(), req.request_id(),
                    "equality-monitoring answers updated");
        pb::EqualityMonitoring out = em;
        out.set_etag(absl::StrCat(version + 1));
        return out;
      });
}

// ---- Personal data (subject access, erasure) ----

absl::StatusOr<std::vector<std::string>> Applications::OrganisationsOf(
    const privacy::v1::Subject& subject) {
  if (!subject.organisation().empty())
    return std::vector<std::string>{subject.organisation()};
  const std::string user = SubjectUser(subject);
  std::vector<std::string> out;
  RETURN_IF_ERROR(orgs_.ForEach(
      [&](const std::string&,
          const Versioned<pb::Organisation>& org) -> absl::Status {
        if (NamesPerson(org.msg, user)) out.push_back(org.msg.name());
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<std::vector<Versioned<pb::Application>>>
Applications::ApplicationsOf(const privacy::v1::Subject& subject) {
  std::vector<Versioned<pb::Application>> out;
  if (!subject.organisation().empty()) {
    RETURN_IF_ERROR(ScanInBatches(
        *store_, kByOrg, IdKey(subject.organisation()), 500,
        [&](const std::vector<storage::ScanRow>& rows) -> absl::Status {
          std::vector<std::string> keys;
          for (const storage::ScanRow& row : rows) {
            std::optional<std::string> id = IdFromIndexKey(row.key, 1);
            if (!id) {
              return absl::DataLossError("malformed application index entry");
            }
            keys.push_back(IdKey(*id));
          }
          ASSIGN_OR_RETURN(auto apps, apps_.GetMany(keys));
          for (auto& a : apps) {
            if (a) out.push_back(*std::move(a));
          }
          return absl::OkStatus();
        }));
    return out;
  }
  // A person: the applications they drafted.
  const std::string user = SubjectUser(subject);
  RETURN_IF_ERROR(
      apps_.ForEach([&](const std::string&,
                        const Versioned<pb::Application>& app) -> absl::Status {
        if (NamesPerson(app.msg, user)) out.push_back(app);
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<std::vector<Holding>> Applications::PersonalData(
    const privacy::v1::Subject& subject) {
  const bool organisation = !subject.organisation().empty();
  const std::string user = SubjectUser(subject);
  std::vector<Holding> out;
  ASSIGN_OR_RETURN(std::vector<std::string> orgs, OrganisationsOf(subject));
  for (const std::string& name : orgs) {
    const std::string key = IdKey(OrgId(name));
    absl::StatusOr<Versioned<pb::Organisation>> org = orgs_.Get(key, name);
    if (absl::IsNotFound(org.status())) continue;
    if (!org.ok()) return org.status();
    Holding h;
    h.record = HeldRecord(name, "organisation", org->msg);
    pb::Organisation anon = org->msg;
    if (organisation) {
      h.needed_while_kept =
          "its contacts are needed for the applications and grants kept";
      for (pb::Contact& c : *anon.mutable_contacts()) {
        c.set_full_name(kErased);
        c.clear_email();
        c.clear_phone();
      }
      anon.mutable_address()->clear_line1();
      anon.mutable_address()->clear_line2();
      anon.clear_member_users();
      anon.clear_signatory_users();
    } else {
      ErasePerson(&anon, user);
    }
    h.erase = [this, key, anon, version = org->version](storage::WriteSet& w) {
      orgs_.Replace(w, key, anon, version);
    };
    out.push_back(std::move(h));
  }
  ASSIGN_OR_RETURN(auto apps, ApplicationsOf(subject));
  for (const auto& a : apps) {
    const std::string key = IdKey(AppId(a.msg.name()));
    Holding h;
    h.record = HeldRecord(a.msg.name(), "application", a.msg);
    if (a.msg.state() == pb::Application::SUBMITTED) {
      h.cases = {"cases/" + AppId(a.msg.name())};
    } else if (a.msg.state() == pb::Application::WITHDRAWN) {
      h.unsuccessful_since = FromProto(a.msg.withdraw_time());
    }
    pb::Application erased = a.msg;
    if (organisation) {
      erased.set_title(kErased);
      erased.clear_summary();
      erased.clear_withdraw_reason();
      for (pb::BudgetItem& b : *erased.mutable_budget()) {
        b.set_description(kErased);
      }
    }
    const std::string person = organisation ? a.msg.created_by() : user;
    ErasePerson(&erased, person);
    h.erase = [this, key, erased, version = a.version](storage::WriteSet& w) {
      apps_.Replace(w, key, erased, version);
    };
    out.push_back(std::move(h));
    // Equality answers are never a record the funder must keep.
    auto eq = equality_.Get(key, a.msg.name());
    if (absl::IsNotFound(eq.status())) continue;
    if (!eq.ok()) return eq.status();
    Holding answers;
    answers.record = HeldRecord(a.msg.name() + "/equalityMonitoring",
                                "equality answers", eq->msg);
    answers.erase = [this, key, version = eq->version](storage::WriteSet& w) {
      w.ExpectVersion(equality_.table(), key, version);
      w.Delete(equality_.table(), key);
    };
    out.push_back(std::move(answers));
  }
  return out;
}

}  // namespace grantflow::applications
