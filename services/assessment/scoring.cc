#include "services/assessment/scoring.h"

#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "platform/london.h"
#include "platform/money.h"
#include "platform/resources.h"

namespace grantflow::assessment {
namespace {

namespace ppb = ::grantflow::programmes::v1;
namespace apb = ::grantflow::applications::v1;

constexpr size_t kMaxComment = 4000;

pb::EligibilityCheck Check(const std::string& rule,
                           pb::EligibilityCheck::Result result,
                           std::string detail) {
  pb::EligibilityCheck c;
  c.set_rule(rule);
  c.set_result(result);
  c.set_detail(std::move(detail));
  return c;
}

}  // namespace

void CheckScores(
    const google::protobuf::RepeatedPtrField<pb::CriterionScore>& scores,
    const Criteria& criteria, bool comments_required, bool complete,
    const std::string& field, errors::Violations* v) {
  std::map<std::string, const ppb::Criterion*> by_id;
  for (const ppb::Criterion& c : criteria) by_id[c.id()] = &c;
  std::set<std::string> seen;
  for (int i = 0; i < scores.size(); ++i) {
    const pb::CriterionScore& s = scores[i];
    const std::string f = absl::StrCat(field, "[", i, "]");
    auto it = by_id.find(s.criterion());
    if (it == by_id.end()) {
      v->Add(f + ".criterion",
             absl::StrCat("'", s.criterion(), "' is not one of the criteria"));
      continue;
    }
    if (!seen.insert(s.criterion()).second) {
      v->Add(f + ".criterion",
             absl::StrCat("'", s.criterion(), "' is scored twice"));
    }
    if (s.not_applicable()) {
      if (s.score() != 0) {
        v->Add(f + ".score", "must be 0 for a criterion marked not applicable");
      }
    } else if (s.score() < 0 || s.score() > it->second->max_score()) {
      v->Add(f + ".score",
             absl::StrCat("must be between 0 and ", it->second->max_score()));
    }
    if (s.comment().size() > kMaxComment) {
      v->Add(f + ".comment", "must be at most 4000 bytes");
    } else if (comments_required && !HasText(s.comment())) {
      v->Add(f + ".comment",
             "is required: this round asks for a comment on "
             "every criterion");
    }
  }
  if (complete) {
    std::vector<std::string> missing;
    for (const ppb::Criterion& c : criteria) {
      if (!seen.contains(c.id())) missing.push_back(c.id());
    }
    if (!missing.empty()) {
      v->Add(field, absl::StrCat("every criterion must be scored or marked "
                                 "not applicable; missing: ",
                                 absl::StrJoin(missing, ", ")));
    }
  }
}

int32_t WeightedScoreBp(
    const google::protobuf::RepeatedPtrField<pb::CriterionScore>& scores,
    const Criteria& criteria) {
  std::map<std::string, const ppb::Criterion*> by_id;
  for (const ppb::Criterion& c : criteria) by_id[c.id()] = &c;
  // Weights are at most 100 and scores at most 100 over at most 30
  // criteria: the sums stay far inside int64.
  int64_t got = 0, best = 0;
  std::set<std::string> counted;
  for (const pb::CriterionScore& s : scores) {
    auto it = by_id.find(s.criterion());
    if (it == by_id.end() || s.not_applicable()) continue;
    if (!counted.insert(s.criterion()).second) continue;
    got += int64_t{it->second->weight_percent()} * s.score();
    best += int64_t{it->second->weight_percent()} * it->second->max_score();
  }
  if (best == 0) return -1;
  return static_cast<int32_t>((got * kFullMarksBp * 2 + best) / (best * 2));
}

int32_t MeanBp(const std::vector<int32_t>& scores_bp) {
  if (scores_bp.empty()) return -1;
  int64_t sum = 0;
  for (int32_t s : scores_bp) sum += s;
  const int64_t n = static_cast<int64_t>(scores_bp.size());
  return static_cast<int32_t>((sum * 2 + n) / (n * 2));
}

std::vector<pb::EligibilityCheck> CheckEligibility(const pb::Bid& bid,
                                                   const ppb::Round& round) {
  using R = pb::EligibilityCheck;
  std::vector<pb::EligibilityCheck> out;
  const ppb::EligibilityRules& rules = round.eligibility();

  if (rules.legal_forms().empty()) {
    out.push_back(Check("legal_form", R::PASS, "any legal form may apply"));
  } else {
    bool allowed = false;
    std::vector<std::string> names;
    for (int f : rules.legal_forms()) {
      allowed |= f == bid.legal_form();
      names.push_back(apb::LegalForm_Name(static_cast<apb::LegalForm>(f)));
    }
    out.push_back(Check("legal_form", allowed ? R::PASS : R::FAIL,
                        absl::StrCat(apb::LegalForm_Name(bid.legal_form()),
                                     allowed ? " is" : " is not", " among ",
                                     absl::StrJoin(names, ", "))));
  }

  if (rules.boroughs().empty()) {
    out.push_back(Check("boroughs", R::PASS, "any London borough"));
  } else {
    std::vector<std::string> matched;
    bool london_wide = false;
    for (const std::string& b : bid.boroughs_served()) {
      london_wide |= b == kLondonWide;
      for (const std::string& want : rules.boroughs()) {
        if (b == want) matched.push_back(b);
      }
    }
    if (!matched.empty()) {
      out.push_back(
          Check("boroughs", R::PASS,
                absl::StrCat("serves ", absl::StrJoin(matched, ", "))));
    } else if (london_wide) {
      out.push_back(Check("boroughs", R::UNKNOWN,
                          absl::StrCat("serves London-wide; the round is for ",
                                       absl::StrJoin(rules.boroughs(), ", "))));
    } else {
      out.push_back(Check("boroughs", R::FAIL,
                          absl::StrCat("serves none of ",
                                       absl::StrJoin(rules.boroughs(), ", "))));
    }
  }

  const int64_t asked = bid.amount_requested_pence();
  const bool within =
      asked >= round.min_award_pence() && asked <= round.max_award_pence();
  out.push_back(Check(
      "amount", within ? R::PASS : R::FAIL,
      absl::StrCat("asks for ", FormatPounds(asked), "; the round awards ",
                   FormatPounds(round.min_award_pence()), " to ",
                   FormatPounds(round.max_award_pence()))));

  const int64_t cap = rules.max_annual_income_pence();
  if (cap == 0) {
    out.push_back(Check("annual_income", R::PASS, "no income cap"));
  } else if (bid.annual_income_pence() <= 0) {
    out.push_back(Check(
        "annual_income", R::UNKNOWN,
        absl::StrCat("income not stated; the cap is ", FormatPounds(cap))));
  } else {
    const bool under = bid.annual_income_pence() <= cap;
    out.push_back(Check(
        "annual_income", under ? R::PASS : R::FAIL,
        absl::StrCat("annual income ", FormatPounds(bid.annual_income_pence()),
                     under ? " is within" : " is above", " the cap of ",
                     FormatPounds(cap))));
  }
  return out;
}

}  // namespace grantflow::assessment
