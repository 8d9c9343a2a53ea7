#include "services/duediligence/checks.h"

#include <algorithm>
#include <map>
#include <set>

#include "services/common/check_conditions.h"
#include "services/duediligence/internal.h"

namespace grantflow::duediligence {
namespace {

// The engine's states in which an award no longer stands.
bool AwardGone(const std::string& state) {
  return state == "WITHDRAWN" || state == "LAPSED" || state == "DECLINED" ||
         state == "INELIGIBLE";
}

}  // namespace

Checks::Checks(storage::Store* store, CaseClient* cases,
               ApplicantSource* applicants)
    : store_(store),
      cases_(cases),
      applicants_(applicants),
      checks_(store, "dueDiligenceChecks", "dd_checks", kByState,
              "due diligence check"),
      policy_(store, "dd_policy", "due diligence policy") {
  checks_.SetFundOf([](const pb::DueDiligenceCheck& c) { return c.fund(); });
}

absl::Status Checks::Tell(const Call& call, const pb::DueDiligenceCheck& c,
                          const std::string& fact, const std::string& reason,
                          const std::string& request_id,
                          wpb::FactPayload payload) {
  return RecordCaseFact(*cases_, {.case_name = c.case_(),
                                  .fact = fact,
                                  .reason = reason,
                                  .request_id = request_id,
                                  .person = &call.principal,
                                  .payload = std::move(payload)});
}

absl::StatusOr<pb::Policy> Checks::LoadPolicy() {
  absl::StatusOr<Versioned<pb::Policy>> got =
      policy_.Get(kPolicyName, kPolicyName);
  if (absl::IsNotFound(got.status())) return DefaultPolicy();
  if (!got.ok()) return got.status();
  return got->msg;
}

absl::StatusOr<std::vector<pb::DuplicateMatch>> Checks::FindDuplicates(
    const pb::DueDiligenceCheck& c) {
  const std::string self = IdOf(c.name());
  // Each other check once, with everything it matched on.
  std::map<std::string, std::vector<std::string>> matched;
  for (const Registration& r : RegistrationsOf(c)) {
    std::string after;
    while (true) {
      ASSIGN_OR_RETURN(storage::ScanResult scan,
                       store_->Scan(kByRegistration, r.key, after, 500));
      for (const storage::ScanRow& row : scan.rows) {
        ASSIGN_OR_RETURN(std::string id, IdAfter(row.key, r.key.size()));
        if (id != self) matched[id].push_back(r.matched_on);
      }
      if (!scan.more || scan.rows.empty()) break;
      after = scan.rows.back().key;
    }
  }
  std::vector<std::string> ids;
  for (const auto& [id, words] : matched) ids.push_back(id);
  ASSIGN_OR_RETURN(std::vector<pb::DueDiligenceCheck> others,
                   checks_.GetMany(ids));
  std::vector<pb::DuplicateMatch> out;
  size_t i = 0;
  for (const auto& [id, words] : matched) {
    const pb::DueDiligenceCheck& other = others[i++];
    if (other.state() == pb::DueDiligenceCheck::FAILED ||
        other.state() == pb::DueDiligenceCheck::CLOSED ||
        !Overlaps(c.period_start(), c.period_end(), other.period_start(),
                  other.period_end())) {
      continue;
    }
    // Whether that award still stands is the engine's to say.
    ASSIGN_OR_RETURN(wpb::Case other_case, cases_->GetCase(other.case_()));
    if (AwardGone(other_case.state())) continue;
    pb::DuplicateMatch m;
    m.set_check(other.name());
    m.set_case_(other.case_());
    m.set_fund(other.fund());
    m.set_round(other.round());
    m.set_organisation(other.organisation());
    m.set_matched_on(absl::StrJoin(words, ", "));
    m.set_awarded_pence(other_case.awarded_pence());
    m.set_period_start(other.period_start());
    m.set_period_end(other.period_end());
    m.set_case_state(other_case.state());
    out.push_back(std::move(m));
  }
  return out;
}

absl::StatusOr<std::optional<pb::DueDiligenceCheck>> Checks::ValidEarlierPass(
    const pb::DueDiligenceCheck& c, absl::Time now) {
  // The organisation's own record: a pass is relied on for the same
  // organisation, not for another that shares a number.
  for (const Registration& r : RegistrationsOf(c)) {
    if (r.matched_on != "organisation") continue;
    ASSIGN_OR_RETURN(storage::ScanResult scan,
                     store_->Scan(kByRegistration, r.key, "", 200));
    std::vector<std::string> ids;
    for (const storage::ScanRow& row : scan.rows) {
      ASSIGN_OR_RETURN(std::string id, IdAfter(row.key, r.key.size()));
      if (id != IdOf(c.name())) ids.push_back(id);
    }
    ASSIGN_OR_RETURN(std::vector<pb::DueDiligenceCheck> others,
                     checks_.GetMany(ids));
    for (const pb::DueDiligenceCheck& other : others) {
      if (other.state() == pb::DueDiligenceCheck::PASSED &&
          !other.overridden() && other.has_valid_until() &&
          FromProto(other.valid_until()) > now && other.tier() >= c.tier()) {
        return other;
      }
    }
  }
  return std::nullopt;
}

absl::StatusOr<pb::DueDiligenceCheck> Checks::OpenCheck(
    const Call& call, const pb::OpenCheckRequest& req) {
  errors::Violations v;
  const std::optional<std::string> case_id =
      checks::CaseToCheck(req.case_(), req.request_id(), &v);
  if (!case_id) return v.ToStatus();
  const std::string& id = *case_id;
  const std::string name = kChecksPrefix + id;
  // A second delivery changes nothing.
  return checks_.CreateOnce(
      call, req, name, req.request_id(),
      [&](pb::DueDiligenceCheck& c) -> absl::StatusOr<std::string> {
        ASSIGN_OR_RETURN(wpb::Case kase,
                         checks::ApprovedAward(*cases_, req.case_()));
        ASSIGN_OR_RETURN(apb::Application app,
                         applicants_->GetApplication(kase.application()));
        ASSIGN_OR_RETURN(apb::Organisation org,
                         applicants_->GetOrganisation(kase.organisation()));
        ASSIGN_OR_RETURN(pb::Policy policy, LoadPolicy());

        c.set_case_(kase.name());
        c.set_application(kase.application());
        c.set_organisation(kase.organisation());
        c.set_organisation_name(org.display_name());
        c.set_charity_number(NormaliseNumber(org.charity_number()));
        c.set_company_number(NormaliseNumber(org.company_number()));
        c.set_fund(kase.fund());
        c.set_round(kase.round());
        c.set_awarded_pence(kase.awarded_pence());
        c.set_period_start(app.planned_start_date());
        c.set_period_end(app.planned_end_date());
        c.set_tier(TierFor(policy, kase.awarded_pence()));
        c.set_state(pb::DueDiligenceCheck::OPEN);
        for (pb::Item& it : ItemsOf(c.tier())) *c.add_items() = std::move(it);
        ASSIGN_OR_RETURN(std::vector<pb::DuplicateMatch> dups,
                         FindDuplicates(c));
        for (pb::DuplicateMatch& m : dups) *c.add_duplicates() = std::move(m);
        *c.mutable_duplicates_time() = ToProto(call.now);
        SetDuplicateItem(c, call.now);
        ASSIGN_OR_RETURN(std::optional<pb::DueDiligenceCheck> earlier,
                         ValidEarlierPass(c, call.now));
        std::string what =
            absl::StrCat("opened: ", pb::Tier_Name(c.tier()), " tier, ",
                         c.duplicates_size(), " overlapping award(s)");
        if (earlier.has_value()) {
          // The organisation's standing was checked recently enough: its items
          // stand, as recorded then. Overlapping awards are this award's own
          // question.
          c.set_relied_on(earlier->name());
          for (pb::Item& it : *c.mutable_items()) {
            if (it.kind() == pb::DUPLICATE_FUNDING) continue;
            for (const pb::Item& old : earlier->items()) {
              if (old.kind() == it.kind()) {
                const bool required = it.evidence_required();
                it = old;
                it.set_evidence_required(required);
              }
            }
          }
          absl::StrAppend(&what, "; items relied on from ", earlier->name());
        }

        // The engine first: the case enters its checks (the safeguarding check
        // may have moved it already).
        RETURN_IF_ERROR(RecordCaseFact(
            *cases_, {.case_name = c.case_(),
                      .fact = facts::kChecksStarted,
                      .request_id = absl::StrCat("dd:", id, ":start"),
                      .already = "PRE_AGREEMENT_CHECKS"}));
        if (earlier.has_value() && c.duplicates().empty()) {
          const std::string reason = absl::StrCat(
              "relies on ", earlier->name(), ", passed and valid until ",
              absl::FormatTime("%Y-%m-%d", FromProto(earlier->valid_until()),
                               absl::UTCTimeZone()),
              "; no overlapping award");
          RETURN_IF_ERROR(RecordCaseFact(
              *cases_, {.case_name = c.case_(),
                        .fact = facts::kDueDiligencePassed,
                        .reason = reason,
                        .request_id = absl::StrCat("dd:", id, ":relied")}));
          c.set_state(pb::DueDiligenceCheck::PASSED);
          c.set_reviewed_by(kSystem);
          c.set_outcome_reason(reason);
          *c.mutable_decide_time() = ToProto(call.now);
          absl::StrAppend(&what, "; passed: ", reason);
        }
        return what;
      },
      [](const pb::DueDiligenceCheck& c, storage::WriteSet& w) {
        for (const Registration& r : RegistrationsOf(c)) {
          w.PutIndex(kByRegistration, RegistrationKey(r, IdOf(c.name())));
        }
      });
}

absl::StatusOr<pb::DueDiligenceCheck> Checks::GetCheck(
    const Call& call, const pb::GetCheckRequest& req) {
  ASSIGN_OR_RETURN(auto got, checks_.Get(call, req.name()));
  return got.msg;
}

absl::StatusOr<pb::ListChecksResponse> Checks::ListChecks(
    const Call& call, const pb::ListChecksRequest& req) {
  return checks_.ListPage(call, req.state(), req.page_size(), req.page_token(),
                          &pb::ListChecksResponse::mutable_checks);
}

absl::StatusOr<pb::DueDiligenceCheck> Checks::Change(
    const Call& call, const google::protobuf::Message& req,
    const std::string& name, const std::string& request_id,
    const std::string& etag, const std::string& why,
    absl::FunctionRef<absl::StatusOr<std::string>(pb::DueDiligenceCheck&)>
        change) {
  return checks_.Change(
      call, req, name, request_id, etag, why,
      [&](pb::DueDiligenceCheck& c, storage::WriteSet&) { return change(c); });
}

absl::StatusOr<pb::DueDiligenceCheck> Checks::ApplyCaseOutcome(
    const Call& call, const pb::ApplyCaseOutcomeRequest& req) {
  errors::Violations v;
  ParseCheckName(req.check(), "check", &v);
  if (req.state().empty()) v.Add("state", "is required: the case's state");
  if (req.event_seq() <= 0) v.Add("event_seq", "must be the case event's seq");
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return Change(call, req, req.check(), req.request_id(), "", "",
                [&](pb::DueDiligenceCheck& c) -> absl::StatusOr<std::string> {
                  if (AwardGone(req.state()) &&
                      (c.state() == pb::DueDiligenceCheck::OPEN ||
                       c.state() == pb::DueDiligenceCheck::REFERRED)) {
                    c.set_state(pb::DueDiligenceCheck::CLOSED);
                  }
                  return absl::StrCat("the case is ", req.state());
                });
}

absl::StatusOr<pb::Policy> Checks::GetPolicy(const Call& /*call*/,
                                             const pb::GetPolicyRequest&) {
  absl::StatusOr<Versioned<pb::Policy>> got =
      policy_.Get(kPolicyName, kPolicyName);
  if (absl::IsNotFound(got.status())) {
    pb::Policy p = DefaultPolicy();
    p.set_etag("0");
    return p;
  }
  if (!got.ok()) return got.status();
  return got->msg;
}

absl::StatusOr<pb::Policy> Checks::UpdatePolicy(
    const Call& call, const pb::UpdatePolicyRequest& req) {
  errors::Violations v;
  const pb::Policy& p = req.policy();
  ValidateAmount(p.standard_from_pence(), "policy.standard_from_pence", &v);
  ValidateAmount(p.enhanced_from_pence(), "policy.enhanced_from_pence", &v);
  if (p.enhanced_from_pence() < p.standard_from_pence()) {
    v.Add("policy.enhanced_from_pence",
          "must be at least policy.standard_from_pence");
  }
  if (p.validity_days() < 0 || p.validity_days() > 1095) {
    v.Add("policy.validity_days", "must be 0-1095 days (0: never relied on)");
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  ScopedLocks lock(policy_lock_, {kPolicyName});
  return RunOnce<pb::Policy>(
      *store_, call, req.request_id(), req,
      [&](storage::WriteSet& w) -> absl::StatusOr<pb::Policy> {
        absl::StatusOr<Versioned<pb::Policy>> cur =
            policy_.Get(kPolicyName, kPolicyName);
        if (!cur.ok() && !absl::IsNotFound(cur.status())) return cur.status();
        const uint64_t version = cur.ok() ? cur->version : 0;
        RETURN_IF_ERROR(CheckEtag(p.etag(), version, kPolicyName));
        pb::Policy out = p;
        out.set_name(kPolicyName);
        *out.mutable_update_time() = ToProto(call.now);
        if (cur.ok()) {
          policy_.Replace(w, kPolicyName, out, version);
        } else {
          policy_.Insert(w, kPolicyName, out);
        }
        AuditChange(w, call, kPolicyName, req.request_id(),
                    absl::StrCat("standard from ",
                                 FormatPounds(p.standard_from_pence()),
                                 ", enhanced from ",
                                 FormatPounds(p.enhanced_from_pence()),
                                 ", valid ", p.validity_days(), " days"));
        out.set_etag(absl::StrCat(version + 1));
        return out;
      });
}

// ---- Personal data (subject access, erasure) ----

absl::StatusOr<std::vector<Holding>> Checks::PersonalData(
    const privacy::v1::Subject& subject) const {
  return HoldingsIn(subject,
                    CaseTable<pb::DueDiligenceCheck>(
                        checks_.rows(), "due diligence check",
                        [](pb::DueDiligenceCheck* c, const std::string&) {
                          for (pb::Item& item : *c->mutable_items()) {
                            if (!item.notes().empty()) item.set_notes(kErased);
                          }
                        }));
}

}  // namespace grantflow::duediligence
