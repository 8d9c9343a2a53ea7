#include "services/agreements/terms.h"

#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "platform/instalments.h"
#include "platform/money.h"
#include "platform/resources.h"

namespace grantflow::agreements {
namespace {

constexpr size_t kMaxTextChars = 5000;
constexpr size_t kMaxTitleChars = 200;

std::string DateAfterMonths(const std::string& date, int months) {
  absl::Time t;
  if (!ParseIsoDate(date, &t)) return "";
  absl::CivilDay d = absl::ToCivilDay(t, absl::UTCTimeZone());
  absl::CivilMonth m = absl::CivilMonth(d) + months;
  absl::CivilDay out(m.year(), m.month(), d.day());
  if (out.month() != m.month()) out = absl::CivilDay(m + 1) - 1;  // 31st
  return absl::FormatCivilTime(out);
}

void ValidateDueDate(const std::string& date, const std::string& field,
                     errors::Violations* v) {
  absl::Time t;
  if (!ParseIsoDate(date, &t)) v->Add(field, "must be a date, YYYY-MM-DD");
}

void CheckIndicators(const google::protobuf::RepeatedPtrField<std::string>& in,
                     const std::string& field, errors::Violations* v) {
  if (in.size() > kMaxIndicators) {
    v->Add(field, absl::StrCat("at most ", kMaxIndicators, " indicators"));
  }
  std::set<std::string> seen;
  for (int i = 0; i < in.size(); ++i) {
    RequireText(in[i], absl::StrCat(field, "[", i, "]"), kMaxTitleChars, v);
    if (!seen.insert(in[i]).second) {
      v->Add(absl::StrCat(field, "[", i, "]"), "is named twice");
    }
  }
}

std::string DueText(const pb::Instalment& i) {
  switch (i.due()) {
    case pb::Instalment::ON_EXECUTION:
      return "on execution of this agreement";
    case pb::Instalment::ON_DATE:
      return absl::StrCat("from ", i.due_date());
    case pb::Instalment::ON_REPORT:
      return absl::StrCat("on acceptance of report '", i.report_id(), "'");
    default:
      return "-";
  }
}

std::string EscapeHtml(const std::string& s) {
  return absl::StrReplaceAll(s, {{"&", "&amp;"},
                                 {"<", "&lt;"},
                                 {">", "&gt;"},
                                 {"\"", "&quot;"},
                                 {"'", "&#39;"}});
}

// The document's sections, shared by both renderings: a heading and its
// paragraphs.
struct Section {
  std::string heading;
  std::vector<std::string> paragraphs;
};

std::vector<Section> Sections(const pb::Agreement& a, const pb::Version& ver,
                              const pb::AgreementTemplate& tmpl) {
  const pb::Terms& t = ver.terms();
  std::vector<Section> out;
  out.push_back({"Parties",
                 {absl::StrCat(tmpl.funder_name(), " (\"the Funder\")"),
                  absl::StrCat(a.organisation_name(), ", ", a.organisation(),
                               " (\"the Recipient\")")}});
  out.push_back(
      {"Project",
       {absl::StrCat(a.project_title(), " (", a.application(), ")")}});
  out.push_back({"Purpose", {t.purpose()}});
  out.push_back(
      {"Maximum sum",
       {absl::StrCat("The Funder will pay the Recipient no more than ",
                     FormatPounds(t.maximum_pence()),
                     " under this agreement, in the instalments below.")}});
  out.push_back({"Eligible expenditure", {t.eligible_expenditure()}});
  out.push_back(
      {"Period",
       {absl::StrCat("From ", t.start_date(), " to ", t.end_date(), ".")}});
  Section schedule{"Payment schedule", {}};
  for (const auto& i : t.instalments()) {
    schedule.paragraphs.push_back(absl::StrCat(i.id(), ": ",
                                               FormatPounds(i.resolved_pence()),
                                               ", payable ", DueText(i), "."));
  }
  out.push_back(std::move(schedule));
  Section reports{"Monitoring and reporting", {}};
  for (const auto& r : t.reports()) {
    reports.paragraphs.push_back(
        absl::StrCat(r.id(), r.final() ? " (final)" : "", ": ", r.title(),
                     ", due by ", r.due_date(), "; reporting ",
                     absl::StrJoin(r.indicators(), ", "), "."));
  }
  out.push_back(std::move(reports));
  Section conditions{"Conditions", {}};
  for (const auto& k : ver.conditions()) {
    conditions.paragraphs.push_back(
        absl::StrCat(k.id(), " (", k.source(), k.open() ? ", open" : ", met",
                     "): ", k.description(),
                     k.open() ? " No payment is made while it is open." : ""));
  }
  if (conditions.paragraphs.empty()) conditions.paragraphs.push_back("None.");
  out.push_back(std::move(conditions));
  out.push_back({"Recovery", {tmpl.recovery_clause()}});
  Section general{"General terms", {}};
  for (int i = 0; i < tmpl.clauses_size(); ++i) {
    general.paragraphs.push_back(absl::StrCat(i + 1, ". ", tmpl.clauses(i)));
  }
  if (!general.paragraphs.empty()) out.push_back(std::move(general));
  if (!ver.variation_reason().empty()) {
    out.push_back({"Variation",
                   {absl::StrCat("This version varies the agreement: ",
                                 ver.variation_reason())}});
  }
  out.push_back(
      {"Execution",
       {"This agreement is executed when signed for the Recipient by its "
        "authorised signatory and countersigned by the Funder's authorised "
        "signatory, both on this version of the document. No payment is made "
        "before it is executed."}});
  return out;
}

}  // namespace

absl::Time EndOfDay(const std::string& date) {
  absl::Time t;
  if (!ParseIsoDate(date, &t)) return absl::InfinitePast();
  return t + absl::Hours(24);
}

void FillDefaults(const applications::v1::Application& app,
                  const pb::AgreementTemplate& tmpl, int64_t award_pence,
                  pb::Terms* t) {
  if (t->maximum_pence() == 0) t->set_maximum_pence(award_pence);
  if (t->purpose().empty()) {
    t->set_purpose(absl::StrCat(app.title(), ": ", app.summary()));
  }
  if (t->eligible_expenditure().empty()) {
    t->set_eligible_expenditure(
        "Costs of delivering the project as described in the application "
        "and its budget, incurred within the period of this agreement.");
  }
  if (t->start_date().empty()) t->set_start_date(app.planned_start_date());
  if (t->end_date().empty()) t->set_end_date(app.planned_end_date());
  if (t->instalments().empty()) {
    auto* i = t->add_instalments();
    i->set_id("i1");
    i->set_share_bp(kWholeBp);
    i->set_due(pb::Instalment::ON_EXECUTION);
  }
  if (t->reports().empty()) {
    auto* r = t->add_reports();
    r->set_id("final");
    r->set_title("End of grant report");
    r->set_due_date(DateAfterMonths(t->end_date(), 1));
    r->set_final(true);
  }
  for (auto& r : *t->mutable_reports()) {
    for (const std::string& ind : tmpl.indicators()) {
      bool has = false;
      for (const std::string& own : r.indicators()) has = has || own == ind;
      if (!has) r.add_indicators(ind);
    }
  }
}

void ValidateTerms(int64_t award_pence, const std::string& field, pb::Terms* t,
                   errors::Violations* v) {
  const std::string f = field.empty() ? "" : field + ".";
  ValidateAmount(t->maximum_pence(), f + "maximum_pence", v);
  if (t->maximum_pence() > award_pence) {
    v->Add(f + "maximum_pence", absl::StrCat("must be at most the award of ",
                                             FormatPounds(award_pence)));
  }
  RequireText(t->purpose(), f + "purpose", kMaxTextChars, v);
  RequireText(t->eligible_expenditure(), f + "eligible_expenditure",
              kMaxTextChars, v);
  absl::Time start, end;
  const bool has_start = ParseIsoDate(t->start_date(), &start);
  const bool has_end = ParseIsoDate(t->end_date(), &end);
  if (!has_start) v->Add(f + "start_date", "must be a date, YYYY-MM-DD");
  if (!has_end) v->Add(f + "end_date", "must be a date, YYYY-MM-DD");
  if (has_start && has_end && end < start) {
    v->Add(f + "end_date", "must not be before the start date");
  }
  // Reports.
  std::set<std::string> report_ids;
  int finals = 0;
  if (t->reports_size() == 0 || t->reports_size() > kMaxReports) {
    v->Add(f + "reports", absl::StrCat("between 1 and ", kMaxReports,
                                       " reports, one of them final"));
  }
  for (int i = 0; i < t->reports_size(); ++i) {
    const pb::ReportObligation& r = t->reports(i);
    const std::string rf = absl::StrCat(f, "reports[", i, "]");
    if (!IsValidId(r.id()) || !report_ids.insert(r.id()).second) {
      v->Add(rf + ".id", "must be a unique short id (a-z, 0-9, -)");
    }
    RequireText(r.title(), rf + ".title", kMaxTitleChars, v);
    ValidateDueDate(r.due_date(), rf + ".due_date", v);
    CheckIndicators(r.indicators(), rf + ".indicators", v);
    finals += r.final() ? 1 : 0;
  }
  if (t->reports_size() > 0 && finals != 1) {
    v->Add(f + "reports", "exactly one report must be final");
  }
  // Instalments: amounts or shares, resolved so they add up exactly.
  if (t->instalments_size() == 0 || t->instalments_size() > kMaxInstalments) {
    v->Add(f + "instalments",
           absl::StrCat("between 1 and ", kMaxInstalments, " instalments"));
  }
  std::set<std::string> ids;
  bool amounts_ok = v->empty() || t->maximum_pence() > 0;
  int64_t shares_bp = 0;
  int last_share = -1;
  for (int i = 0; i < t->instalments_size(); ++i) {
    pb::Instalment& in = *t->mutable_instalments(i);
    const std::string inf = absl::StrCat(f, "instalments[", i, "]");
    if (!IsValidId(in.id()) || !ids.insert(in.id()).second) {
      v->Add(inf + ".id", "must be a unique short id (a-z, 0-9, -)");
    }
    if ((in.amount_pence() != 0) == (in.share_bp() != 0)) {
      v->Add(inf, "give amount_pence or share_bp, not both");
      amounts_ok = false;
    } else if (in.amount_pence() != 0) {
      errors::Violations own;
      ValidateAmount(in.amount_pence(), inf + ".amount_pence", &own);
      for (const auto& fv : own.list()) v->Add(fv.field, fv.description);
      amounts_ok = amounts_ok && own.empty();
    } else if (in.share_bp() < 1 || in.share_bp() > kWholeBp) {
      v->Add(inf + ".share_bp", "must be 1..10000 (basis points of the sum)");
      amounts_ok = false;
    } else {
      shares_bp += in.share_bp();
      last_share = i;
    }
    switch (in.due()) {
      case pb::Instalment::ON_EXECUTION:
        break;
      case pb::Instalment::ON_DATE:
        ValidateDueDate(in.due_date(), inf + ".due_date", v);
        break;
      case pb::Instalment::ON_REPORT:
        if (!report_ids.contains(in.report_id())) {
          v->Add(inf + ".report_id", "names no report of these terms");
        }
        break;
      default:
        v->Add(inf + ".due", "must be ON_EXECUTION, ON_DATE or ON_REPORT");
    }
  }
  if (!amounts_ok || shares_bp > kWholeBp) {
    if (shares_bp > kWholeBp) {
      v->Add(f + "instalments", "shares add up to more than the whole sum");
    }
    return;
  }
  // Fixed amounts first; shares divide what they leave, the last share
  // taking the rounding.
  std::optional<int64_t> fixed = 0;
  for (const auto& in : t->instalments()) {
    if (in.amount_pence() != 0 && fixed) {
      fixed = AddPence(*fixed, in.amount_pence());
    }
  }
  if (!fixed || *fixed > t->maximum_pence()) {
    v->Add(f + "instalments",
           absl::StrCat("the amounts add up to more than the maximum sum of ",
                        FormatPounds(t->maximum_pence())));
    return;
  }
  const int64_t rest = t->maximum_pence() - *fixed;
  int64_t given = 0;
  for (int i = 0; i < t->instalments_size(); ++i) {
    pb::Instalment& in = *t->mutable_instalments(i);
    if (in.amount_pence() != 0) {
      in.set_resolved_pence(in.amount_pence());
    } else if (i == last_share && shares_bp == kWholeBp) {
      in.set_resolved_pence(rest - given);
    } else {
      // rest * share / 10000 without overflow: rest < 1e11, share <= 1e4.
      const int64_t part = static_cast<int64_t>(
          (static_cast<__int128>(rest) * in.share_bp()) / kWholeBp);
      in.set_resolved_pence(part);
      given += part;
    }
  }
  int64_t total = 0;
  for (int i = 0; i < t->instalments_size(); ++i) {
    const pb::Instalment& in = t->instalments(i);
    if (in.resolved_pence() <= 0) {
      v->Add(absl::StrCat(f, "instalments[", i, "]"),
             "comes to nothing: give a larger share or an amount");
    }
    total += in.resolved_pence();
  }
  if (total != t->maximum_pence()) {
    v->Add(f + "instalments", absl::StrCat("add up to ", FormatPounds(total),
                                           ", not the maximum sum of ",
                                           FormatPounds(t->maximum_pence())));
  }
}

void CheckPaymentsKept(const workflow::v1::Case& c, const pb::Terms& terms,
                       const std::string& field, errors::Violations* v) {
  for (const auto& [instalment, taken] : TakenByInstalment(c)) {
    const pb::Instalment* kept = nullptr;
    for (const auto& i : terms.instalments()) {
      if (i.id() == instalment) kept = &i;
    }
    if (kept == nullptr || kept->resolved_pence() < taken) {
      v->Add(field, absl::StrCat("must keep instalment ", instalment,
                                 " at no less than the ", FormatPounds(taken),
                                 " already paid or authorised"));
    }
  }
}

std::string RenderText(const pb::Agreement& a, const pb::Version& ver,
                       const pb::AgreementTemplate& tmpl) {
  std::string out =
      absl::StrCat("FUNDING AGREEMENT\n", tmpl.programme_title(), "\n",
                   a.name(), ", version ", ver.number(), "\n");
  int n = 0;
  for (const Section& s : Sections(a, ver, tmpl)) {
    absl::StrAppend(&out, "\n", ++n, ". ", s.heading, "\n");
    for (const std::string& p : s.paragraphs) {
      absl::StrAppend(&out, "   ", p, "\n");
    }
  }
  return out;
}

std::string RenderHtml(const pb::Agreement& a, const pb::Version& ver,
                       const pb::AgreementTemplate& tmpl,
                       const std::string& text_sha256) {
  std::string out = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head><meta charset=\"utf-8\">"
      "<title>Funding agreement ",
      EscapeHtml(a.name()), " v", ver.number(), "</title></head>\n<body>\n",
      "<h1>Funding agreement</h1>\n<p>", EscapeHtml(tmpl.programme_title()),
      "<br>", EscapeHtml(a.name()), ", version ", ver.number(), "</p>\n");
  int n = 0;
  for (const Section& s : Sections(a, ver, tmpl)) {
    absl::StrAppend(&out, "<h2>", ++n, ". ", EscapeHtml(s.heading), "</h2>\n");
    for (const std::string& p : s.paragraphs) {
      absl::StrAppend(&out, "<p>", EscapeHtml(p), "</p>\n");
    }
  }
  absl::StrAppend(&out, "<footer><p>SHA-256 of the text of this version: ",
                  text_sha256, "</p></footer>\n</body>\n</html>\n");
  return out;
}

workflow::v1::FactPayload ExecutionPayload(const pb::Terms& terms) {
  workflow::v1::FactPayload p;
  for (const auto& r : terms.reports()) {
    auto* out = p.add_reports();
    out->set_report_id(r.id());
    *out->mutable_due_time() = ToProto(EndOfDay(r.due_date()));
  }
  for (const auto& i : terms.instalments()) {
    auto* out = p.add_schedule();
    out->set_payment_id(i.id());
    out->set_amount_pence(i.resolved_pence());
    if (i.due() == pb::Instalment::ON_REPORT) {
      out->set_requires_report(i.report_id());
    }
  }
  return p;
}

}  // namespace grantflow::agreements
