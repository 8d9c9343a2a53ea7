#include "services/agreements/agreements.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "platform/auth.h"
#include "platform/duties.h"
#include "platform/errors.h"
#include "platform/fact_names.h"
#include "platform/idempotency.h"
#include "platform/money.h"
#include "platform/reasons.h"
#include "platform/resources.h"
#include "platform/status_macros.h"
#include "services/agreements/internal.h"
#include "storage/digest.h"
#include "storage/key_coding.h"

namespace grantflow::agreements {
namespace {

namespace wpb = ::grantflow::workflow::v1;

constexpr size_t kMaxClauseChars = 4000;
constexpr size_t kMaxShortChars = 200;
constexpr int kMaxClauses = 50;
constexpr int kDefaultSignatureDays = 28;
constexpr int kMaxSignatureDays = 90;
constexpr char kDocuments[] = "agreement_documents";

std::string FundKey(const std::string& fund_id) {
  std::string k;
  storage::AppendString(&k, fund_id);
  return k;
}

std::string DocumentKey(const std::string& id, int version,
                        pb::GetDocumentRequest::Format format) {
  std::string k;
  storage::AppendString(&k, id);
  storage::AppendUint64(&k, static_cast<uint64_t>(version));
  storage::AppendUint64(&k, static_cast<uint64_t>(format));
  return k;
}

pb::Version* Latest(pb::Agreement& a) {
  return a.versions().empty() ? nullptr
                              : a.mutable_versions(a.versions_size() - 1);
}

pb::Version* VersionNumbered(pb::Agreement& a, int number) {
  for (auto& v : *a.mutable_versions()) {
    if (v.number() == number) return &v;
  }
  return nullptr;
}

void ValidateSignature(const pb::SignAgreementRequest& req,
                       errors::Violations* v) {
  if (!ParseName(req.name(), {"agreements"})) {
    v->Add("name", "must be agreements/{id}");
  }
  if (req.version() < 1)
    v->Add("version", "name the version signed (1, 2, ...)");
  if (!IsSha256Hex(req.document_sha256())) {
    v->Add("document_sha256",
           "must be the SHA-256 of the document read, 64 lower-case hex "
           "digits");
  }
  RequireText(req.position(), "position", kMaxShortChars, v);
  ValidateRequestId(req.request_id(), v);
}

// The version `req` signs, in the state it must be in, on the document it
// says.
absl::StatusOr<pb::Version*> VersionToSign(pb::Agreement& a,
                                           const pb::SignAgreementRequest& req,
                                           pb::Version::State needed,
                                           const char* reason) {
  if (Ended(a)) {
    return NotInState(a, reasons::kAgreementEnded, "nothing more is signed");
  }
  pb::Version* ver = VersionNumbered(a, req.version());
  if (ver == nullptr) {
    return errors::InvalidArgument(
        {{"version",
          absl::StrCat(a.name(), " has no version ", req.version())}});
  }
  if (ver->state() != needed) {
    const std::string state = pb::Version::State_Name(ver->state());
    return errors::FailedPrecondition(
        reason,
        absl::StrCat("version ", ver->number(), " is ", state, "; it must be ",
                     pb::Version::State_Name(needed)),
        {{"state", state}});
  }
  if (req.document_sha256() != ver->document_sha256()) {
    return errors::FailedPrecondition(
        reasons::kDocumentMismatch,
        absl::StrCat("the hash is not that of version ", ver->number(),
                     "'s document (", ver->document_sha256(),
                     "); read the document again"));
  }
  return ver;
}

void SetSignature(const Call& call, const pb::SignAgreementRequest& req,
                  pb::Signature* s) {
  s->set_signer(call.principal.user);
  s->set_position(req.position());
  *s->mutable_time() = ToProto(call.now);
  s->set_document_sha256(req.document_sha256());
}

// Versions issued or signed but not executed give way to `keep`.
void SupersedePending(pb::Agreement& a, int keep) {
  for (auto& v : *a.mutable_versions()) {
    if (v.number() != keep && (v.state() == pb::Version::ISSUED ||
                               v.state() == pb::Version::SIGNED)) {
      v.set_state(pb::Version::SUPERSEDED);
    }
  }
}

}  // namespace

absl::StatusOr<pb::MonitoringReport*> FindReport(pb::Agreement& a,
                                                 const std::string& id) {
  for (auto& r : *a.mutable_reports()) {
    if (r.id() == id) return &r;
  }
  return errors::InvalidArgument(
      {{"report_id",
        absl::StrCat(a.name(), " requires no report '", id, "'")}});
}

Agreements::Agreements(storage::Store* store, CaseClient* cases,
                       ApplicantSource* applicants)
    : store_(store),
      cases_(cases),
      applicants_(applicants),
      agreements_(store, "agreements", "agreements", "agreements_by_state",
                  "agreement"),
      templates_(store, "agreement_templates", "agreement template") {
  agreements_.SetFundOf([](const pb::Agreement& a) { return a.fund(); });
}

absl::Status Agreements::Tell(const Call& call, const pb::Agreement& a,
                              const std::string& fact,
                              const std::string& reason,
                              const std::string& request_id,
                              wpb::FactPayload payload,
                              const std::string& already) {
  return RecordCaseFact(*cases_, {.case_name = a.case_(),
                                  .fact = fact,
                                  .reason = reason,
                                  .request_id = request_id,
                                  .person = &call.principal,
                                  .payload = std::move(payload),
                                  .already = already});
}

absl::StatusOr<Versioned<pb::Agreement>> Agreements::Visible(
    const Call& call, const std::string& name, const std::string& field) {
  ASSIGN_OR_RETURN(auto got, agreements_.Get(call, name, field));
  if (auth::IsOrganisationScoped(call.principal) &&
      call.principal.organisation != got.msg.organisation()) {
    // Another organisation's agreement does not exist as far as they know.
    return absl::NotFoundError(absl::StrCat("agreement ", name, " not found"));
  }
  return got;
}

// ---- Templates ----

absl::StatusOr<pb::AgreementTemplate> Agreements::TemplateFor(
    const std::string& fund) {
  auto ids = ParseName(fund, {"funds"});
  if (!ids) return absl::InternalError(absl::StrCat("bad fund ", fund));
  const std::string name = fund + "/agreementTemplate";
  absl::StatusOr<Versioned<pb::AgreementTemplate>> got =
      templates_.Get(FundKey((*ids)[0]), name);
  if (absl::IsNotFound(got.status())) {
    return errors::FailedPrecondition(
        reasons::kTemplateMissing,
        absl::StrCat(fund,
                     " has no agreement template yet; an admin sets "
                     "it (SetTemplate)"));
  }
  if (!got.ok()) return got.status();
  return got->msg;
}

absl::StatusOr<pb::AgreementTemplate> Agreements::SetTemplate(
    const Call& call, const pb::SetTemplateRequest& req) {
  errors::Violations v;
  auto ids = ParseName(req.fund(), {"funds"});
  if (!ids) v.Add("fund", "must be funds/{id}");
  const pb::AgreementTemplate& t = req.template_();
  RequireText(t.funder_name(), "template.funder_name", kMaxShortChars, &v);
  RequireText(t.programme_title(), "template.programme_title", kMaxShortChars,
              &v);
  if (t.clauses_size() > kMaxClauses) {
    v.Add("template.clauses", absl::StrCat("at most ", kMaxClauses));
  }
  for (int i = 0; i < t.clauses_size(); ++i) {
    RequireText(t.clauses(i), absl::StrCat("template.clauses[", i, "]"),
                kMaxClauseChars, &v);
  }
  RequireText(t.recovery_clause(), "template.recovery_clause", kMaxClauseChars,
              &v);
  if (t.indicators_size() > kMaxIndicators) {
    v.Add("template.indicators", absl::StrCat("at most ", kMaxIndicators));
  }
  std::set<std::string> seen;
  for (int i = 0; i < t.indicators_size(); ++i) {
    const std::string f = absl::StrCat("template.indicators[", i, "]");
    RequireText(t.indicators(i), f, kMaxShortChars, &v);
    if (!seen.insert(t.indicators(i)).second) v.Add(f, "is named twice");
  }
  if (t.signature_days() < 0 || t.signature_days() > kMaxSignatureDays) {
    v.Add("template.signature_days",
          absl::StrCat("must be 1..", kMaxSignatureDays,
                       " (0: ", kDefaultSignatureDays, ")"));
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  RETURN_IF_ERROR(RequireFundScope(call, req.fund()));
  const std::string name = req.fund() + "/agreementTemplate";
  const std::string key = FundKey((*ids)[0]);
  return RunOnce<pb::AgreementTemplate>(
      *store_, call, req.request_id(), req,
      [&](storage::WriteSet& w) -> absl::StatusOr<pb::AgreementTemplate> {
        auto cur = templates_.Get(key, name);
        if (!cur.ok() && !absl::IsNotFound(cur.status())) return cur.status();
        const uint64_t version = cur.ok() ? cur->version : 0;
        RETURN_IF_ERROR(CheckEtag(req.etag(), version, name));
        pb::AgreementTemplate m = t;
        m.set_name(name);
        if (m.signature_days() == 0)
          m.set_signature_days(kDefaultSignatureDays);
        *m.mutable_update_time() = ToProto(call.now);
        if (cur.ok()) {
          templates_.Replace(w, key, m, version);
        } else {
          templates_.Insert(w, key, m);
        }
        AuditChange(w, call, name, req.request_id(),
                    cur.ok() ? "template changed" : "template set");
        m.set_etag(absl::StrCat(version + 1));
        return m;
      });
}

absl::StatusOr<pb::AgreementTemplate> Agreements::GetTemplate(
    const Call& call, const pb::GetTemplateRequest& req) {
  // A singleton under its fund: funds/{fund}/agreementTemplate.
  constexpr absl::string_view kSuffix = "/agreementTemplate";
  const std::string fund =
      absl::EndsWith(req.name(), kSuffix)
          ? req.name().substr(0, req.name().size() - kSuffix.size())
          : "";
  if (!ParseName(fund, {"funds"})) {
    return errors::InvalidArgument(
        {{"name", "must be funds/{fund}/agreementTemplate"}});
  }
  RETURN_IF_ERROR(RequireFundScope(call, fund));
  return TemplateFor(fund);
}

// ---- Drafts ----

absl::StatusOr<pb::Agreement> Agreements::DraftAgreement(
    const Call& call, const pb::DraftAgreementRequest& req) {
  errors::Violations v;
  auto ids = ParseName(req.case_(), {"cases"});
  if (!ids) v.Add("case", "must be cases/{id}");
  LimitText(req.variation_reason(), "variation_reason", kMaxNoteChars, &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  const std::string id = (*ids)[0];
  return agreements_.Upsert(
      call, req, agreements_.NameOf(id), req.request_id(), "",
      req.variation_reason(),
      [&](pb::Agreement& a, bool exists,
          storage::WriteSet&) -> absl::StatusOr<std::string> {
        ASSIGN_OR_RETURN(wpb::Case kase, cases_->GetCase(req.case_()));
        RETURN_IF_ERROR(RequireFundScope(call, kase.fund()));
        const bool variation = exists && a.executed_version() > 0;
        if (!exists) {
          if (kase.awarded_pence() <= 0 ||
              (kase.state() != "AWARD_APPROVED" &&
               kase.state() != "PRE_AGREEMENT_CHECKS")) {
            return errors::FailedPrecondition(
                reasons::kNotAwarded,
                absl::StrCat(req.case_(), " is ", kase.state(),
                             ": an agreement is drafted for an approved award "
                             "before it is issued"),
                {{"state", kase.state()}});
          }
          a.set_case_(kase.name());
          a.set_application(kase.application());
          a.set_organisation(kase.organisation());
          a.set_fund(kase.fund());
          a.set_round(kase.round());
          a.set_award_pence(kase.awarded_pence());
          a.set_state(pb::Agreement::DRAFTING);
        } else if (Ended(a)) {
          return NotInState(a, reasons::kAgreementEnded,
                            "no new version is drafted");
        } else if (Latest(a)->state() == pb::Version::DRAFT) {
          return NotInState(a, reasons::kAlreadyDrafted,
                            absl::StrCat("version ", Latest(a)->number(),
                                         " is a draft: change it with "
                                         "UpdateDraft"));
        }
        errors::Violations tv;
        if (variation && !HasText(req.variation_reason())) {
          tv.Add("variation_reason",
                 "is required: the agreement is executed, so this is a "
                 "variation");
        }
        if (!exists && !req.variation_reason().empty()) {
          tv.Add("variation_reason",
                 "only for a variation of an executed agreement");
        }
        ASSIGN_OR_RETURN(auto app,
                         applicants_->GetApplication(kase.application()));
        if (!exists) {
          ASSIGN_OR_RETURN(auto org,
                           applicants_->GetOrganisation(kase.organisation()));
          a.set_organisation_name(org.display_name());
          a.set_project_title(app.title());
        }
        ASSIGN_OR_RETURN(pb::AgreementTemplate tmpl, TemplateFor(a.fund()));
        pb::Version ver;
        ver.set_number(a.versions_size() + 1);
        ver.set_state(pb::Version::DRAFT);
        // A new version starts from the last one unless terms are given.
        if (req.has_terms() || a.versions().empty()) {
          *ver.mutable_terms() = req.terms();
        } else {
          *ver.mutable_terms() = Latest(a)->terms();
        }
        FillDefaults(app, tmpl, a.award_pence(), ver.mutable_terms());
        ValidateTerms(a.award_pence(), "terms", ver.mutable_terms(), &tv);
        if (variation && tv.empty()) {
          CheckPaymentsKept(kase, ver.terms(), "terms.instalments", &tv);
        }
        if (!tv.empty()) return tv.ToStatus();
        ver.set_variation_reason(req.variation_reason());
        ver.set_drafted_by(call.principal.user);
        *a.add_versions() = std::move(ver);
        return absl::StrCat(variation ? "variation v" : "version ",
                            a.versions_size(), " drafted");
      });
}

absl::StatusOr<pb::Agreement> Agreements::UpdateDraft(
    const Call& call, const pb::UpdateDraftRequest& req) {
  errors::Violations v;
  agreements_.ParseName(req.name(), "name", &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return agreements_.Change(
      call, req, req.name(), req.request_id(), req.etag(), "",
      [&](pb::Agreement& a, storage::WriteSet&) -> absl::StatusOr<std::string> {
        pb::Version* ver = Latest(a);
        if (Ended(a) || ver == nullptr || ver->state() != pb::Version::DRAFT) {
          return NotInState(a, reasons::kNoDraft,
                            "there is no draft to change (DraftAgreement "
                            "starts one)");
        }
        ASSIGN_OR_RETURN(wpb::Case kase, cases_->GetCase(a.case_()));
        ASSIGN_OR_RETURN(auto app,
                         applicants_->GetApplication(a.application()));
        ASSIGN_OR_RETURN(pb::AgreementTemplate tmpl, TemplateFor(a.fund()));
        pb::Terms terms = req.terms();
        FillDefaults(app, tmpl, a.award_pence(), &terms);
        errors::Violations tv;
        ValidateTerms(a.award_pence(), "terms", &terms, &tv);
        if (a.executed_version() > 0 && tv.empty()) {
          CheckPaymentsKept(kase, terms, "terms.instalments", &tv);
        }
        if (!tv.empty()) return tv.ToStatus();
        *ver->mutable_terms() = std::move(terms);
        return absl::StrCat("draft v", ver->number(), " changed");
      });
}

// ---- Issue and signatures ----

absl::StatusOr<pb::Agreement> Agreements::IssueAgreement(
    const Call& call, const pb::IssueAgreementRequest& req) {
  errors::Violations v;
  agreements_.ParseName(req.name(), "name", &v);
  if (req.signature_days() < 0 || req.signature_days() > kMaxSignatureDays) {
    v.Add("signature_days", absl::StrCat("must be 1..", kMaxSignatureDays,
                                         " (0: the template's)"));
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return agreements_.Change(
      call, req, req.name(), req.request_id(), req.etag(), "",
      [&](pb::Agreement& a,
          storage::WriteSet& w) -> absl::StatusOr<std::string> {
        pb::Version* ver = Latest(a);
        if (Ended(a) || ver == nullptr || ver->state() != pb::Version::DRAFT) {
          return NotInState(a, reasons::kNoDraft, "there is no draft to issue");
        }
        ASSIGN_OR_RETURN(wpb::Case kase, cases_->GetCase(a.case_()));
        ASSIGN_OR_RETURN(pb::AgreementTemplate tmpl, TemplateFor(a.fund()));
        ver->clear_conditions();
        for (const auto& k : kase.conditions()) {
          pb::Condition* out = ver->add_conditions();
          out->set_id(k.id());
          out->set_source(k.source());
          out->set_description(k.description());
          out->set_open(k.open());
        }
        const std::string text = RenderText(a, *ver, tmpl);
        const std::string sha = storage::Sha256Hex(text);
        const int days = req.signature_days() > 0 ? req.signature_days()
                                                  : tmpl.signature_days();
        wpb::FactPayload p;
        p.set_document_sha256(sha);
        p.set_signature_deadline_seconds(int64_t{days} * 86400);
        RETURN_IF_ERROR(
            Tell(call, a, facts::kAgreementIssued, "", req.request_id(), p));
        const std::string id = agreements_.IdOf(a.name());
        pb::Document doc;
        doc.set_agreement(a.name());
        doc.set_version(ver->number());
        doc.set_document_sha256(sha);
        doc.set_content_type("text/plain; charset=utf-8");
        doc.set_content(text);
        w.Put(kDocuments,
              DocumentKey(id, ver->number(), pb::GetDocumentRequest::TEXT),
              doc.SerializeAsString());
        doc.set_content_type("text/html; charset=utf-8");
        doc.set_content(RenderHtml(a, *ver, tmpl, sha));
        w.Put(kDocuments,
              DocumentKey(id, ver->number(), pb::GetDocumentRequest::HTML),
              doc.SerializeAsString());
        ver->set_state(pb::Version::ISSUED);
        ver->set_document_sha256(sha);
        ver->set_document_bytes(static_cast<int32_t>(text.size()));
        ver->set_issued_by(call.principal.user);
        *ver->mutable_issue_time() = ToProto(call.now);
        if (a.executed_version() == 0) {
          *ver->mutable_signature_deadline() =
              ToProto(call.now + absl::Hours(24 * days));
          a.set_state(pb::Agreement::AWAITING_SIGNATURE);
        }
        SupersedePending(a, ver->number());
        return absl::StrCat("version ", ver->number(), " issued, SHA-256 ",
                            sha);
      });
}

absl::StatusOr<pb::Agreement> Agreements::SignAgreement(
    const Call& call, const pb::SignAgreementRequest& req) {
  errors::Violations v;
  ValidateSignature(req, &v);
  if (!v.empty()) return v.ToStatus();
  RETURN_IF_ERROR(Visible(call, req.name(), "name").status());
  return agreements_.Change(
      call, req, req.name(), req.request_id(), "", "",
      [&](pb::Agreement& a, storage::WriteSet&) -> absl::StatusOr<std::string> {
        ASSIGN_OR_RETURN(pb::Version * ver,
                         VersionToSign(a, req, pb::Version::ISSUED,
                                       reasons::kVersionNotIssued));
        wpb::FactPayload p;
        p.set_document_sha256(req.document_sha256());
        RETURN_IF_ERROR(Tell(call, a, facts::kAgreementSignedByRecipient, "",
                             req.request_id(), p));
        SetSignature(call, req, ver->mutable_recipient());
        ver->set_state(pb::Version::SIGNED);
        if (a.executed_version() == 0) {
          a.set_state(pb::Agreement::AWAITING_COUNTERSIGNATURE);
        }
        return absl::StrCat("version ", ver->number(), " signed for ",
                            a.organisation(), " by ", call.principal.user, ", ",
                            req.position());
      });
}

absl::StatusOr<pb::Agreement> Agreements::CountersignAgreement(
    const Call& call, const pb::SignAgreementRequest& req) {
  errors::Violations v;
  ValidateSignature(req, &v);
  if (!v.empty()) return v.ToStatus();
  return agreements_.Change(
      call, req, req.name(), req.request_id(), "", "",
      [&](pb::Agreement& a, storage::WriteSet&) -> absl::StatusOr<std::string> {
        ASSIGN_OR_RETURN(pb::Version * ver,
                         VersionToSign(a, req, pb::Version::SIGNED,
                                       reasons::kVersionNotSigned));
        RETURN_IF_ERROR(duties::Check(duties::Duty::kCountersignAgreement,
                                      ver->issued_by(), call.principal.user,
                                      a.name()));
        const bool first = a.executed_version() == 0;
        wpb::FactPayload p = ExecutionPayload(ver->terms());
        p.set_document_sha256(req.document_sha256());
        RETURN_IF_ERROR(
            Tell(call, a, facts::kAgreementExecuted, "", req.request_id(), p));
        if (first) {
          // The project starts on execution, by this service's own hand; a
          // retry finds it started.
          RETURN_IF_ERROR(RecordCaseFact(
              *cases_, {.case_name = a.case_(),
                        .fact = facts::kProjectStarted,
                        .reason = "agreement executed",
                        .request_id = absl::StrCat(req.request_id(), ":start"),
                        .already = "ACTIVE"}));
        }
        SetSignature(call, req, ver->mutable_funder());
        for (auto& other : *a.mutable_versions()) {
          if (other.state() == pb::Version::EXECUTED) {
            other.set_state(pb::Version::SUPERSEDED);
          }
        }
        ver->set_state(pb::Version::EXECUTED);
        a.set_executed_version(ver->number());
        a.set_state(pb::Agreement::EXECUTED);
        // The executed terms' reports; what is known of each kept.
        google::protobuf::RepeatedPtrField<pb::MonitoringReport> reports;
        for (const auto& ob : ver->terms().reports()) {
          pb::MonitoringReport r;
          for (const auto& before : a.reports()) {
            if (before.id() == ob.id()) r = before;
          }
          r.set_id(ob.id());
          r.set_title(ob.title());
          r.set_due_date(ob.due_date());
          r.set_final(ob.final());
          *r.mutable_indicators() = ob.indicators();
          if (r.state() == pb::MonitoringReport::STATE_UNSPECIFIED) {
            r.set_state(pb::MonitoringReport::DUE);
          }
          *reports.Add() = std::move(r);
        }
        *a.mutable_reports() = std::move(reports);
        return absl::StrCat(first ? "executed: version " : "variation v",
                            ver->number(), first ? "" : " executed",
                            ", countersigned by ", call.principal.user, ", ",
                            req.position());
      });
}

// ---- Reads ----

absl::StatusOr<pb::Agreement> Agreements::GetAgreement(
    const Call& call, const pb::GetAgreementRequest& req) {
  ASSIGN_OR_RETURN(auto got, Visible(call, req.name(), "name"));
  return got.msg;
}

absl::StatusOr<pb::ListAgreementsResponse> Agreements::ListAgreements(
    const Call& call, const pb::ListAgreementsRequest& req) {
  return agreements_.ListPage(call, req.state(), req.page_size(),
                              req.page_token(),
                              &pb::ListAgreementsResponse::mutable_agreements);
}

absl::StatusOr<pb::Document> Agreements::GetDocument(
    const Call& call, const pb::GetDocumentRequest& req) {
  errors::Violations v;
  if (req.version() < 0) v.Add("version", "must be 1, 2, ... (0: the latest)");
  if (!pb::GetDocumentRequest::Format_IsValid(req.format())) {
    v.Add("format", "must be TEXT or HTML");
  }
  if (!v.empty()) return v.ToStatus();
  ASSIGN_OR_RETURN(auto got, Visible(call, req.name(), "name"));
  pb::Agreement& a = got.msg;
  const pb::GetDocumentRequest::Format format =
      req.format() == pb::GetDocumentRequest::HTML
          ? pb::GetDocumentRequest::HTML
          : pb::GetDocumentRequest::TEXT;
  pb::Version* ver =
      req.version() == 0 ? Latest(a) : VersionNumbered(a, req.version());
  if (ver == nullptr) {
    return absl::NotFoundError(
        absl::StrCat(a.name(), " has no version ", req.version()));
  }
  if (ver->state() != pb::Version::DRAFT) {
    absl::StatusOr<storage::Record> rec = store_->Get(
        kDocuments,
        DocumentKey(agreements_.IdOf(a.name()), ver->number(), format));
    if (!rec.ok()) return rec.status();
    pb::Document doc;
    if (!doc.ParseFromString(rec->value)) {
      return absl::DataLossError(
          absl::StrCat("the document of ", a.name(), " is unreadable"));
    }
    return doc;
  }
  // A draft: rendered now, for reading before issue (not for signing).
  if (auth::IsOrganisationScoped(call.principal)) {
    return absl::NotFoundError(absl::StrCat(
        a.name(), " version ", ver->number(), " is not issued yet"));
  }
  ASSIGN_OR_RETURN(pb::AgreementTemplate tmpl, TemplateFor(a.fund()));
  pb::Document doc;
  doc.set_agreement(a.name());
  doc.set_version(ver->number());
  const std::string text = RenderText(a, *ver, tmpl);
  doc.set_document_sha256(storage::Sha256Hex(text));
  if (format == pb::GetDocumentRequest::HTML) {
    doc.set_content_type("text/html; charset=utf-8");
    doc.set_content(RenderHtml(a, *ver, tmpl, doc.document_sha256()));
  } else {
    doc.set_content_type("text/plain; charset=utf-8");
    doc.set_content(text);
  }
  return doc;
}

// ---- Termination and the case's outcomes ----

absl::StatusOr<pb::Agreement> Agreements::TerminateAgreement(
    const Call& call, const pb::TerminateAgreementRequest& req) {
  errors::Violations v;
  agreements_.ParseName(req.name(), "name", &v);
  RequireText(req.reason(), "reason", kMaxReasonChars, &v);
  if (req.recover_pence() < 0 || req.recover_pence() > kMaxAmountPence) {
    v.Add("recover_pence", "must be 0 or more pence");
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return agreements_.Change(
      call, req, req.name(), req.request_id(), "", req.reason(),
      [&](pb::Agreement& a, storage::WriteSet&) -> absl::StatusOr<std::string> {
        if (a.state() != pb::Agreement::EXECUTED) {
          return NotInState(a, reasons::kAgreementNotExecuted,
                            "only an executed agreement is terminated (before "
                            "that, the application is withdrawn)");
        }
        ASSIGN_OR_RETURN(wpb::Case kase, cases_->GetCase(a.case_()));
        if (req.recover_pence() > kase.paid_pence()) {
          return errors::InvalidArgument(
              {{"recover_pence",
                absl::StrCat("must be at most what was paid, ",
                             FormatPounds(kase.paid_pence()))}});
        }
        RETURN_IF_ERROR(
            Tell(call, a, facts::kTerminated, req.reason(), req.request_id()));
        SupersedePending(a, a.executed_version());
        a.set_state(pb::Agreement::TERMINATED);
        a.set_ended_by(call.principal.user);
        a.set_end_reason(req.reason());
        a.set_recover_pence(req.recover_pence());
        *a.mutable_end_time() = ToProto(call.now);
        return absl::StrCat("terminated; ", FormatPounds(req.recover_pence()),
                            " to recover");
      });
}

absl::StatusOr<pb::Agreement> Agreements::ApplyCaseOutcome(
    const Call& call, const pb::ApplyCaseOutcomeRequest& req) {
  errors::Violations v;
  agreements_.ParseName(req.agreement(), "agreement", &v);
  RequireText(req.state(), "state", kMaxShortChars, &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return agreements_.Change(
      call, req, req.agreement(), req.request_id(), "", "",
      [&](pb::Agreement& a, storage::WriteSet&) -> absl::StatusOr<std::string> {
        if (Ended(a) || a.state() == pb::Agreement::EXECUTED) {
          return std::string("case outcome noted; the agreement is unchanged");
        }
        SupersedePending(a, 0);
        a.set_state(pb::Agreement::LAPSED);
        a.set_end_reason(absl::StrCat("the case is ", req.state()));
        *a.mutable_end_time() = ToProto(call.now);
        return absl::StrCat("lapsed: the case is ", req.state());
      });
}

// ---- Personal data (subject access, erasure) ----

absl::StatusOr<std::vector<Holding>> Agreements::PersonalData(
    const privacy::v1::Subject& subject) const {
  return HoldingsIn(
      subject, CaseTable<pb::Agreement>(
                   agreements_.rows(), "agreement",
                   [](pb::Agreement* a, const std::string&) {
                     for (pb::Version& v : *a->mutable_versions()) {
                       if (v.has_recipient()) {
                         v.mutable_recipient()->set_signer(kErased);
                         v.mutable_recipient()->clear_position();
                       }
                     }
                     for (pb::MonitoringReport& r : *a->mutable_reports()) {
                       if (!r.submitted_by().empty())
                         r.set_submitted_by(kErased);
                       if (!r.narrative().empty()) r.set_narrative(kErased);
                     }
                   }));
}

}  // namespace grantflow::agreements
