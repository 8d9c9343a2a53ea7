// A safeguarding check's items and DBS records.
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "platform/errors.h"
#include "platform/idempotency.h"
#include "platform/reasons.h"
#include "platform/resources.h"
#include "platform/status_macros.h"
#include "services/common/check_conditions.h"
#include "services/safeguarding/internal.h"
#include "services/safeguarding/safeguarding.h"

namespace grantflow::safeguarding {
namespace {

constexpr size_t kMaxNotesChars = 2000;

// A date a person gives for something that has happened: real, not later
// than today.
void PastDate(const std::string& value, const std::string& field,
              absl::Time now, errors::Violations* v) {
  absl::Time t;
  if (!ParseIsoDate(value, &t)) {
    v->Add(field, "is required: a date, YYYY-MM-DD");
  } else if (t > now) {
    v->Add(field, "cannot be in the future");
  }
}

void ValidateItem(const pb::Item& it, absl::Time now, errors::Violations* v) {
  const pb::ItemKind k = it.kind();
  if (k == pb::ITEM_KIND_UNSPECIFIED || !pb::ItemKind_IsValid(k)) {
    v->Add("item.kind",
           "is required: POLICY, DESIGNATED_LEAD, DBS_CHECKS, TRAINING or "
           "INCIDENT_REPORTING");
  }
  if (it.result() != pb::SATISFACTORY && it.result() != pb::UNSATISFACTORY) {
    v->Add("item.result", "must be SATISFACTORY or UNSATISFACTORY");
  }
  CheckReferences(it.evidence(), "item.evidence", v);
  LimitText(it.notes(), "item.notes", kMaxNotesChars, v);
  auto only = [&](bool set, pb::ItemKind owner, const char* field) {
    if (set && k != owner) {
      v->Add(field, absl::StrCat("is only for ", pb::ItemKind_Name(owner)));
    }
  };
  only(!it.policy_reviewed_date().empty(), pb::POLICY,
       "item.policy_reviewed_date");
  only(!it.lead_name().empty(), pb::DESIGNATED_LEAD, "item.lead_name");
  only(!it.lead_role().empty(), pb::DESIGNATED_LEAD, "item.lead_role");
  only(!it.training_date().empty(), pb::TRAINING, "item.training_date");
  switch (k) {
    case pb::POLICY:
      PastDate(it.policy_reviewed_date(), "item.policy_reviewed_date", now, v);
      break;
    case pb::DESIGNATED_LEAD:
      RequireText(it.lead_name(), "item.lead_name", 100, v);
      RequireText(it.lead_role(), "item.lead_role", 100, v);
      break;
    case pb::TRAINING:
      PastDate(it.training_date(), "item.training_date", now, v);
      break;
    case pb::INCIDENT_REPORTING:
      if (!HasText(it.notes())) {
        v->Add("item.notes", "is required: how incidents are reported");
      }
      break;
    default:
      break;
  }
}

bool TwelveDigits(const std::string& s) {
  if (s.size() != 12) return false;
  for (char ch : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(ch))) return false;
  }
  return true;
}

}  // namespace

void ValidateConclusion(const pb::ConcludeCheckRequest& req,
                        errors::Violations* v) {
  const auto outcome = req.outcome();
  if (outcome == pb::ConcludeCheckRequest::OUTCOME_UNSPECIFIED ||
      !pb::ConcludeCheckRequest::Outcome_IsValid(outcome)) {
    v->Add("outcome", "must be PASSED, PASSED_WITH_CONDITIONS or FAILED");
  }
  LimitText(req.reason(), "reason", kMaxReasonChars, v);
  if (outcome != pb::ConcludeCheckRequest::PASSED && !HasText(req.reason())) {
    v->Add("reason", "is required: say why");
  }
  checks::ValidateConditions(
      req.conditions(),
      outcome == pb::ConcludeCheckRequest::PASSED_WITH_CONDITIONS, v);
}

absl::Status CheckItemsPass(const pb::SafeguardingCheck& c, bool plain) {
  std::vector<std::string> missing, poor;
  for (const pb::Item& it : c.items()) {
    if (it.result() == pb::RESULT_UNSPECIFIED) {
      missing.push_back(pb::ItemKind_Name(it.kind()));
    } else if (it.result() == pb::UNSATISFACTORY) {
      poor.push_back(pb::ItemKind_Name(it.kind()));
    }
  }
  if (!missing.empty()) {
    return errors::FailedPrecondition(
        reasons::kItemsIncomplete,
        absl::StrCat("record these items first: ",
                     absl::StrJoin(missing, ", ")),
        {{"items", absl::StrJoin(missing, ",")}});
  }
  if (plain && !poor.empty()) {
    return errors::FailedPrecondition(
        reasons::kItemsUnsatisfactory,
        absl::StrCat("unsatisfactory: ", absl::StrJoin(poor, ", "),
                     "; pass with conditions, or fail"),
        {{"items", absl::StrJoin(poor, ",")}});
  }
  return absl::OkStatus();
}

absl::StatusOr<pb::SafeguardingCheck> Safeguarding::RecordItem(
    const Call& call, const pb::RecordItemRequest& req) {
  errors::Violations v;
  checks_.ParseName(req.check(), "check", &v);
  ValidateItem(req.item(), call.now, &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  const pb::Item& in = req.item();
  return checks_.Change(
      call, req, req.check(), req.request_id(), req.etag(), "",
      [&](pb::SafeguardingCheck& c,
          storage::WriteSet&) -> absl::StatusOr<std::string> {
        if (c.state() != pb::SafeguardingCheck::OPEN) {
          return NotInState(c, reasons::kCheckNotOpen,
                            "items are recorded while it is OPEN");
        }
        if (in.kind() == pb::DBS_CHECKS && in.result() == pb::SATISFACTORY &&
            c.dbs_records() == 0) {
          return errors::FailedPrecondition(
              reasons::kItemsIncomplete,
              "add the DBS records of the staff and volunteers in contact "
              "with beneficiaries first (AddDbsRecord)");
        }
        for (pb::Item& it : *c.mutable_items()) {
          if (it.kind() != in.kind()) continue;
          it = in;
          it.set_recorded_by(call.principal.user);
          *it.mutable_record_time() = ToProto(call.now);
        }
        // Item details are safeguarding details: the audit log says only
        // what was recorded, not what it said.
        return absl::StrCat(pb::ItemKind_Name(in.kind()), ": ",
                            pb::ItemResult_Name(in.result()));
      });
}

absl::StatusOr<pb::AddDbsRecordResponse> Safeguarding::AddDbsRecord(
    const Call& call, const pb::AddDbsRecordRequest& req) {
  errors::Violations v;
  auto id = checks_.ParseName(req.check(), "check", &v);
  if (!IsValidId(req.record_id()) || req.record_id().size() > 40) {
    v.Add("record_id", "must be 1-40 of [a-z0-9-]");
  }
  const pb::DbsRecord& r = req.record();
  if (!TwelveDigits(r.certificate_number())) {
    v.Add("record.certificate_number", "must be the certificate's 12 digits");
  }
  PastDate(r.issue_date(), "record.issue_date", call.now, &v);
  if (r.level() == pb::DBS_LEVEL_UNSPECIFIED ||
      !pb::DbsLevel_IsValid(r.level())) {
    v.Add("record.level",
          "must be BASIC, STANDARD, ENHANCED or ENHANCED_WITH_BARRED_LISTS");
  }
  RequireText(r.role(), "record.role", 100, &v);
  if (r.decision() == pb::DbsRecord::DECISION_UNSPECIFIED ||
      !pb::DbsRecord::Decision_IsValid(r.decision())) {
    v.Add("record.decision",
          "must be SUITABLE, SUITABLE_WITH_RISK_ASSESSMENT or NOT_SUITABLE");
  }
  if (!r.name().empty() || !r.recorded_by().empty() || r.has_record_time()) {
    v.Add("record.name", "is output only");
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  const std::string name =
      absl::StrCat(req.check(), "/dbsRecords/", req.record_id());
  ASSIGN_OR_RETURN(
      pb::SafeguardingCheck c,
      checks_.Change(
          call, req, req.check(), req.request_id(), "", "",
          [&](pb::SafeguardingCheck& c,
              storage::WriteSet& w) -> absl::StatusOr<std::string> {
            if (c.state() != pb::SafeguardingCheck::OPEN) {
              return NotInState(c, reasons::kCheckNotOpen,
                                "DBS records are added while it is OPEN");
            }
            ASSIGN_OR_RETURN(bool taken,
                             dbs_.Exists(DbsKey(*id, req.record_id())));
            if (taken) {
              return absl::AlreadyExistsError(
                  absl::StrCat(name, " already exists"));
            }
            pb::DbsRecord stored = r;
            stored.set_name(name);
            stored.set_recorded_by(call.principal.user);
            *stored.mutable_record_time() = ToProto(call.now);
            dbs_.Insert(w, DbsKey(*id, req.record_id()), stored);
            c.set_dbs_records(c.dbs_records() + 1);
            // Never the record's contents in the audit log, which outlives
            // the purge.
            return absl::StrCat("DBS record ", req.record_id(), " added");
          }));
  pb::AddDbsRecordResponse resp;
  resp.set_name(name);
  resp.set_dbs_records(c.dbs_records());
  return resp;
}

absl::StatusOr<pb::ListDbsRecordsResponse> Safeguarding::ListDbsRecords(
    const Call& call, const pb::ListDbsRecordsRequest& req) {
  ASSIGN_OR_RETURN(auto cur, checks_.Get(call, req.check(), "check"));
  const std::string id = IdOf(cur.msg.name());
  pb::ListDbsRecordsResponse resp;
  std::string after;
  while (true) {
    ASSIGN_OR_RETURN(storage::ScanResult scan,
                     store_->Scan(kDbsTable, CheckKey(id), after, 500));
    for (const storage::ScanRow& row : scan.rows) {
      ASSIGN_OR_RETURN(auto rec, dbs_.Decode(row.record));
      *resp.add_records() = std::move(rec.msg);
    }
    if (!scan.more || scan.rows.empty()) break;
    after = scan.rows.back().key;
  }
  RETURN_IF_ERROR(RecordReads(call, {cur.msg.name()}));
  return resp;
}

// ---- Personal data (subject access, erasure) ----

absl::StatusOr<std::vector<Holding>> Safeguarding::PersonalData(
    const privacy::v1::Subject& subject) const {
  ASSIGN_OR_RETURN(
      std::vector<Holding> out,
      HoldingsIn(subject, CaseTable<pb::SafeguardingCheck>(
                              checks_.rows(), "safeguarding check",
                              [](pb::SafeguardingCheck* c, const std::string&) {
                                for (pb::Item& item : *c->mutable_items()) {
                                  if (!item.notes().empty())
                                    item.set_notes(kErased);
                                  if (!item.lead_name().empty())
                                    item.set_lead_name(kErased);
                                }
                              })));

  // DBS records: an organisation's are those of its checks. The purge six
  // months after a check's decision deletes them; until then they are kept
  // (the decision may be challenged), and erasure does not go faster.
  auto add = [&](const pb::SafeguardingCheck& check, const pb::DbsRecord& rec) {
    Holding h;
    h.record = HeldRecord(rec.name(), "DBS record", rec);
    if (check.has_dbs_purge_time()) {
      h.keep_because =
          "a DBS record, deleted six months after its check's decision";
      h.keep_until = FromProto(check.dbs_purge_time());
    } else {
      h.keep_because = "needed for a safeguarding decision in progress";
    }
    out.push_back(std::move(h));
  };
  if (!subject.organisation().empty()) {
    // The organisation's checks are the holdings found above.
    std::vector<std::string> ids;
    for (const Holding& h : out) ids.push_back(IdOf(h.record.resource()));
    ASSIGN_OR_RETURN(std::vector<pb::SafeguardingCheck> checks,
                     checks_.GetMany(ids));
    for (const pb::SafeguardingCheck& check : checks) {
      RETURN_IF_ERROR(ScanInBatches(
          *store_, kDbsTable, CheckKey(IdOf(check.name())), 500,
          [&](const std::vector<storage::ScanRow>& rows) -> absl::Status {
            for (const storage::ScanRow& row : rows) {
              ASSIGN_OR_RETURN(auto rec, dbs_.Decode(row.record));
              add(check, rec.msg);
            }
            return absl::OkStatus();
          }));
    }
    return out;
  }
  // A person's: the records naming them (who recorded them), anywhere.
  const std::string user = SubjectUser(subject);
  std::map<std::string, pb::SafeguardingCheck> checks;  // by id, as needed
  RETURN_IF_ERROR(
      dbs_.ForEach([&](const std::string&,
                       const Versioned<pb::DbsRecord>& rec) -> absl::Status {
        if (!NamesPerson(rec.msg, user)) return absl::OkStatus();
        const std::vector<std::string> parts =
            absl::StrSplit(rec.msg.name(), '/');
        if (parts.size() != 4) {
          return absl::DataLossError(
              absl::StrCat("a DBS record is named ", rec.msg.name()));
        }
        auto it = checks.find(parts[1]);
        if (it == checks.end()) {
          ASSIGN_OR_RETURN(auto check,
                           checks_.Get(checks_.NameOf(parts[1]), "check"));
          it = checks.emplace(parts[1], check.msg).first;
        }
        add(it->second, rec.msg);
        return absl::OkStatus();
      }));
  return out;
}

}  // namespace grantflow::safeguarding
