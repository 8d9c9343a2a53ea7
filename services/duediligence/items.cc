// The tiers and their items: what an officer records, and the automatic
// duplicate-funding search.
#include <set>

#include "services/duediligence/checks.h"
#include "services/duediligence/internal.h"

namespace grantflow::duediligence {
namespace {

struct ItemSpec {
  pb::ItemKind kind;
  pb::Tier from;           // the lowest tier that has it
  pb::Tier evidence_from;  // the lowest tier that needs evidence for it
};

// In the order a check lists them.
constexpr ItemSpec kItems[] = {
    {pb::LEGAL_STATUS, pb::LIGHT, pb::LIGHT},
    {pb::GOVERNANCE, pb::STANDARD, pb::STANDARD},
    {pb::ACCOUNTS, pb::STANDARD, pb::STANDARD},
    {pb::FINANCIAL_HEALTH, pb::ENHANCED, pb::ENHANCED},
    {pb::BANK_ACCOUNT, pb::LIGHT, pb::LIGHT},
    {pb::FRAUD_RISK, pb::LIGHT, pb::ENHANCED},
    // Automatic: its evidence is the search itself.
    {pb::DUPLICATE_FUNDING, pb::LIGHT, pb::TIER_UNSPECIFIED},
};

std::string ItemNames(const pb::DueDiligenceCheck& c) {
  std::vector<std::string> names;
  for (const pb::Item& it : c.items()) {
    names.push_back(pb::ItemKind_Name(it.kind()));
  }
  return absl::StrJoin(names, ", ");
}

// The request's own checks: the fields each kind takes, and only those.
void ValidateItem(const pb::Item& it, errors::Violations* v) {
  if (it.kind() == pb::ITEM_KIND_UNSPECIFIED ||
      !pb::ItemKind_IsValid(it.kind())) {
    v->Add("item.kind",
           "is required: LEGAL_STATUS, GOVERNANCE, ACCOUNTS, "
           "FINANCIAL_HEALTH, BANK_ACCOUNT, FRAUD_RISK or "
           "DUPLICATE_FUNDING");
  }
  if (it.result() != pb::SATISFACTORY && it.result() != pb::UNSATISFACTORY) {
    v->Add("item.result", "must be SATISFACTORY or UNSATISFACTORY");
  }
  CheckReferences(it.evidence(), "item.evidence", v);
  LimitText(it.notes(), "item.notes", kMaxNotesChars, v);
  const pb::ItemKind k = it.kind();
  auto only = [&](bool set, pb::ItemKind owner, const char* field) {
    if (set && k != owner) {
      v->Add(field, absl::StrCat("is only for ", pb::ItemKind_Name(owner)));
    }
  };
  only(!it.registration_number().empty(), pb::LEGAL_STATUS,
       "item.registration_number");
  only(it.board_members() != 0, pb::GOVERNANCE, "item.board_members");
  only(!it.accounts_year_end().empty(), pb::ACCOUNTS, "item.accounts_year_end");
  only(it.accounts_income_pence() != 0, pb::ACCOUNTS,
       "item.accounts_income_pence");
  only(it.reserves_months() != 0, pb::FINANCIAL_HEALTH, "item.reserves_months");
  only(it.risk_rating() != pb::RISK_RATING_UNSPECIFIED, pb::FRAUD_RISK,
       "item.risk_rating");
  if (Utf8Length(it.registration_number()) > 20) {
    v->Add("item.registration_number", "at most 20 characters");
  }
  switch (k) {
    case pb::GOVERNANCE:
      if (it.board_members() < 1 || it.board_members() > 100) {
        v->Add("item.board_members",
               "is required: trustees or directors in post, 1-100");
      }
      break;
    case pb::ACCOUNTS: {
      absl::Time ignored;
      if (!ParseIsoDate(it.accounts_year_end(), &ignored)) {
        v->Add("item.accounts_year_end",
               "is required: the accounts' year end, YYYY-MM-DD");
      }
      if (it.accounts_income_pence() < 0 ||
          it.accounts_income_pence() > kMaxAmountPence) {
        v->Add("item.accounts_income_pence",
               absl::StrCat("must be 0-", kMaxAmountPence, " pence"));
      }
      break;
    }
    case pb::FINANCIAL_HEALTH:
      if (it.reserves_months() < 0 || it.reserves_months() > 120) {
        v->Add("item.reserves_months", "must be 0-120 months");
      }
      break;
    case pb::FRAUD_RISK:
      if (!pb::RiskRating_IsValid(it.risk_rating()) ||
          it.risk_rating() == pb::RISK_RATING_UNSPECIFIED) {
        v->Add("item.risk_rating", "is required: GREEN, AMBER or RED");
      } else if (it.risk_rating() == pb::RED &&
                 it.result() == pb::SATISFACTORY) {
        v->Add("item.result", "a RED fraud risk is UNSATISFACTORY");
      }
      break;
    default:
      break;
  }
}

}  // namespace

pb::Policy DefaultPolicy() {
  pb::Policy p;
  p.set_name(kPolicyName);
  p.set_standard_from_pence(1'000'000);   // £10,000
  p.set_enhanced_from_pence(10'000'000);  // £100,000
  p.set_validity_days(365);
  return p;
}

pb::Tier TierFor(const pb::Policy& policy, int64_t awarded_pence) {
  if (awarded_pence >= policy.enhanced_from_pence()) return pb::ENHANCED;
  if (awarded_pence >= policy.standard_from_pence()) return pb::STANDARD;
  return pb::LIGHT;
}

std::vector<pb::Item> ItemsOf(pb::Tier tier) {
  std::vector<pb::Item> out;
  for (const ItemSpec& s : kItems) {
    if (tier < s.from) continue;
    pb::Item it;
    it.set_kind(s.kind);
    it.set_evidence_required(s.evidence_from != pb::TIER_UNSPECIFIED &&
                             tier >= s.evidence_from);
    out.push_back(std::move(it));
  }
  return out;
}

void SetDuplicateItem(pb::DueDiligenceCheck& c, absl::Time now) {
  pb::Item* it = FindItem(c, pb::DUPLICATE_FUNDING);
  if (it == nullptr) return;
  pb::Item fresh;
  fresh.set_kind(pb::DUPLICATE_FUNDING);
  if (c.duplicates().empty()) {
    fresh.set_result(pb::SATISFACTORY);
    fresh.set_notes(
        "No other award to this organisation, its charity number or its "
        "company number overlaps this project's period.");
    fresh.set_recorded_by(kSystem);
    *fresh.mutable_record_time() = ToProto(now);
  }
  *it = std::move(fresh);
}

absl::StatusOr<pb::DueDiligenceCheck> Checks::RecordItem(
    const Call& call, const pb::RecordItemRequest& req) {
  errors::Violations v;
  ParseCheckName(req.check(), "check", &v);
  ValidateItem(req.item(), &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  const pb::Item& in = req.item();
  return Change(
      call, req, req.check(), req.request_id(), req.etag(), in.notes(),
      [&](pb::DueDiligenceCheck& c) -> absl::StatusOr<std::string> {
        if (c.state() != pb::DueDiligenceCheck::OPEN) {
          return NotInState(c, reasons::kCheckNotOpen,
                            "items are recorded while it is OPEN");
        }
        pb::Item* it = FindItem(c, in.kind());
        errors::Violations cv;
        if (it == nullptr) {
          cv.Add("item.kind", absl::StrCat(pb::ItemKind_Name(in.kind()),
                                           " is not an item of the ",
                                           pb::Tier_Name(c.tier()),
                                           " tier; its items: ", ItemNames(c)));
          return cv.ToStatus();
        }
        if (it->evidence_required() && in.evidence().empty()) {
          cv.Add("item.evidence",
                 absl::StrCat("is required for ", pb::ItemKind_Name(in.kind()),
                              " at the ", pb::Tier_Name(c.tier()), " tier"));
        }
        if (in.kind() == pb::DUPLICATE_FUNDING) {
          if (c.duplicates().empty()) {
            cv.Add("item.kind",
                   "DUPLICATE_FUNDING is filled in by the search; with no "
                   "overlapping award there is nothing to review");
          } else if (!HasText(in.notes())) {
            cv.Add("item.notes",
                   "is required: say why the overlapping awards are not "
                   "double funding, or record UNSATISFACTORY");
          }
        }
        if (in.kind() == pb::LEGAL_STATUS && in.result() == pb::SATISFACTORY) {
          const std::string seen = NormaliseNumber(in.registration_number());
          if (c.charity_number().empty() && c.company_number().empty()) {
            if (!seen.empty()) {
              cv.Add("item.registration_number",
                     "the organisation has no charity or company number on "
                     "record; correct the organisation first, or record "
                     "UNSATISFACTORY");
            }
          } else if (seen != c.charity_number() && seen != c.company_number()) {
            cv.Add(
                "item.registration_number",
                absl::StrCat(
                    "must match the organisation's ",
                    c.charity_number().empty()
                        ? ""
                        : absl::StrCat("charity number ", c.charity_number()),
                    !c.charity_number().empty() && !c.company_number().empty()
                        ? " or "
                        : "",
                    c.company_number().empty()
                        ? ""
                        : absl::StrCat("company number ", c.company_number()),
                    "; a different number on the register is "
                    "UNSATISFACTORY"));
          }
        }
        if (!cv.empty()) return cv.ToStatus();
        const bool required = it->evidence_required();
        *it = in;
        it->set_evidence_required(required);
        it->set_recorded_by(call.principal.user);
        *it->mutable_record_time() = ToProto(call.now);
        return absl::StrCat(pb::ItemKind_Name(in.kind()), ": ",
                            pb::ItemResult_Name(in.result()));
      });
}

absl::StatusOr<pb::DueDiligenceCheck> Checks::RunDuplicateCheck(
    const Call& call, const pb::RunDuplicateCheckRequest& req) {
  errors::Violations v;
  ParseCheckName(req.check(), "check", &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return Change(call, req, req.check(), req.request_id(), "", "",
                [&](pb::DueDiligenceCheck& c) -> absl::StatusOr<std::string> {
                  if (c.state() != pb::DueDiligenceCheck::OPEN) {
                    return NotInState(c, reasons::kCheckNotOpen,
                                      "the search runs while it is OPEN");
                  }
                  ASSIGN_OR_RETURN(std::vector<pb::DuplicateMatch> found,
                                   FindDuplicates(c));
                  std::set<std::string> before, after;
                  for (const auto& m : c.duplicates()) before.insert(m.check());
                  for (const auto& m : found) after.insert(m.check());
                  c.clear_duplicates();
                  for (pb::DuplicateMatch& m : found)
                    *c.add_duplicates() = std::move(m);
                  *c.mutable_duplicates_time() = ToProto(call.now);
                  // A review stands while it reviewed the same awards.
                  if (before != after) SetDuplicateItem(c, call.now);
                  return absl::StrCat("duplicate-funding search: ",
                                      found.size(), " overlapping award(s)",
                                      before != after ? " (changed)" : "");
                });
}

}  // namespace grantflow::duediligence
