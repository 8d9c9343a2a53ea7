#include "services/reports/register.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "platform/csv.h"
#include "platform/london.h"
#include "platform/money.h"
#include "platform/resources.h"

namespace grantflow::reports {
namespace {

namespace apb = ::grantflow::applications::v1;
namespace wpb = ::grantflow::workflow::v1;

// The id after "collection/".
std::string IdOf(const std::string& name) {
  return name.substr(name.rfind('/') + 1);
}

// States after which nothing more is paid.
bool Ended(const std::string& state) {
  return state == "CLOSED" || state == "TERMINATED" || state == "WITHDRAWN" ||
         state == "LAPSED";
}

// Pence as a JSON number of pounds: the nearest double prints as the
// two-decimal amount (1234.56), which is what 360Giving asks for.
double Pounds(int64_t pence) { return static_cast<double>(pence) / 100.0; }

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

nlohmann::json Location(const std::string& place) {
  const std::string code = LondonGssCode(place);
  nlohmann::json l = {{"name", place == kLondonWide ? "London" : place},
                      {"countryCode", "GB"}};
  if (!code.empty()) {
    l["geoCode"] = code;
    l["geoCodeType"] = place == kLondonWide ? kGssRegion : kGssDistrict;
  }
  return l;
}

}  // namespace

std::string OrgId(const apb::Organisation& org, absl::string_view prefix) {
  if (!org.charity_number().empty()) {
    return absl::StrCat("GB-CHC-", org.charity_number());
  }
  if (!org.company_number().empty()) {
    std::string n = org.company_number();
    std::transform(n.begin(), n.end(), n.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    return absl::StrCat("GB-COH-", n);
  }
  return absl::StrCat(prefix, "-", IdOf(org.name()));
}

pb::GrantRecord MakeGrantRecord(const GrantParts& p, absl::string_view prefix) {
  const wpb::Case& c = *p.kase;
  pb::GrantRecord g;
  g.set_grant("awards/" + IdOf(c.name()));
  g.set_round(c.round());
  g.set_round_title(p.round_title);
  g.set_recipient(c.organisation());
  if (p.organisation != nullptr) {
    g.set_recipient_name(p.organisation->display_name());
    g.set_recipient_org_id(OrgId(*p.organisation, prefix));
    g.set_recipient_borough(p.organisation->address().borough());
  }
  if (p.application != nullptr) {
    const apb::Application& a = *p.application;
    g.set_title(a.title());
    g.set_summary(a.summary());
    *g.mutable_boroughs_served() = a.boroughs_served();
    g.set_expected_beneficiaries(a.expected_beneficiaries());
    g.set_planned_start_date(a.planned_start_date());
    g.set_planned_end_date(a.planned_end_date());
  }
  g.set_amount_requested_pence(c.amount_requested_pence());
  g.set_amount_awarded_pence(c.awarded_pence());
  g.set_paid_pence(c.paid_pence());
  // The engine keeps paid within awarded (R2); never a negative remainder.
  g.set_outstanding_pence(
      Ended(c.state())
          ? 0
          : std::max<int64_t>(0, c.awarded_pence() - c.paid_pence()));
  for (const wpb::Allocation& al : c.allocations()) {
    pb::BudgetShare* share = g.add_budget_lines();
    share->set_budget_line(al.budget_line());
    share->set_amount_pence(al.amount_pence());
  }
  if (p.award != nullptr) {
    g.set_award_date(IsoDate(FromProto(p.award->decide_time())));
    g.set_publication_date(p.award->publication_date());
  }
  if (c.agreement().executed()) {
    g.set_agreement_date(IsoDate(FromProto(c.agreement().funder().time())));
  }
  g.set_status(c.state());
  g.set_last_modified(Rfc3339(FromProto(c.update_time())));
  return g;
}

std::string GrantRegisterCsv(const std::vector<pb::GrantRecord>& grants) {
  std::string csv;
  AppendCsvRow(&csv, {"grant", "round", "recipient", "recipient_org_id",
                      "recipient_borough", "title", "boroughs_served",
                      "amount_requested_gbp", "amount_awarded_gbp", "paid_gbp",
                      "outstanding_gbp", "award_date", "agreement_date",
                      "planned_start_date", "planned_end_date", "status",
                      "publication_date", "budget_lines"});
  int64_t requested = 0, awarded = 0, paid = 0, outstanding = 0;
  for (const pb::GrantRecord& g : grants) {
    std::vector<std::string> lines;
    for (const pb::BudgetShare& s : g.budget_lines()) {
      lines.push_back(absl::StrCat(IdOf(s.budget_line()), " ",
                                   DecimalPounds(s.amount_pence())));
    }
    AppendCsvRow(
        &csv,
        {CsvField(g.grant()),
         CsvField(g.round_title().empty() ? g.round() : g.round_title()),
         CsvField(g.recipient_name()), CsvField(g.recipient_org_id()),
         CsvField(g.recipient_borough()), CsvField(g.title()),
         CsvField(absl::StrJoin(g.boroughs_served(), "; ")),
         DecimalPounds(g.amount_requested_pence()),
         DecimalPounds(g.amount_awarded_pence()), DecimalPounds(g.paid_pence()),
         DecimalPounds(g.outstanding_pence()), CsvField(g.award_date()),
         CsvField(g.agreement_date()), CsvField(g.planned_start_date()),
         CsvField(g.planned_end_date()), CsvField(g.status()),
         CsvField(g.publication_date()), CsvField(absl::StrJoin(lines, "; "))});
    // Each amount is capped at kMaxAmountPence and a fund's grants are far
    // fewer than int64 / kMaxAmountPence (about 900 million): no overflow.
    requested += g.amount_requested_pence();
    awarded += g.amount_awarded_pence();
    paid += g.paid_pence();
    outstanding += g.outstanding_pence();
  }
  AppendCsvRow(&csv,
               {CsvField(absl::StrCat("total: ", grants.size(), " grants")), "",
                "", "", "", "", "", DecimalPounds(requested),
                DecimalPounds(awarded), DecimalPounds(paid),
                DecimalPounds(outstanding), "", "", "", "", "", "", ""});
  return csv;
}

bool PublicationDue(const pb::GrantRecord& g, absl::Time now) {
  return !g.publication_date().empty() && g.publication_date() <= IsoDate(now);
}

nlohmann::json Grant360(const pb::GrantRecord& g,
                        const programmes::v1::Fund& fund,
                        absl::string_view prefix) {
  nlohmann::json recipient = {{"id", g.recipient_org_id()},
                              {"name", g.recipient_name()},
                              {"addressCountry", "United Kingdom"}};
  // The borough only: a small group's address may be someone's home.
  if (!g.recipient_borough().empty()) {
    recipient["addressLocality"] = g.recipient_borough();
  }
  const std::string& org_id = g.recipient_org_id();
  if (org_id.rfind("GB-CHC-", 0) == 0) {
    recipient["charityNumber"] = org_id.substr(7);
  } else if (org_id.rfind("GB-COH-", 0) == 0) {
    recipient["companyNumber"] = org_id.substr(7);
  }
  nlohmann::json locations = nlohmann::json::array();
  for (const std::string& b : g.boroughs_served()) {
    locations.push_back(Location(b));
  }
  nlohmann::json out = {
      {"id", absl::StrCat(prefix, "-", IdOf(g.grant()))},
      {"title", g.title()},
      {"description", g.summary().empty() ? g.title() : g.summary()},
      {"currency", "GBP"},
      {"amountAppliedFor", Pounds(g.amount_requested_pence())},
      {"amountAwarded", Pounds(g.amount_awarded_pence())},
      {"amountDisbursed", Pounds(g.paid_pence())},
      {"awardDate", g.award_date()},
      {"recipientOrganization", nlohmann::json::array({recipient})},
      {"beneficiaryLocation", locations},
      {"fundingOrganization",
       nlohmann::json::array(
           {{{"id", fund.funder_org_id()}, {"name", fund.funder_name()}}})},
      {"grantProgramme",
       nlohmann::json::array(
           {{{"code", absl::StrCat(IdOf(fund.name()), "/", IdOf(g.round()))},
             {"title", g.round_title().empty()
                           ? fund.display_name()
                           : absl::StrCat(fund.display_name(), ": ",
                                          g.round_title())}}})},
      {"fromOpenCall", "Yes"},
      {"dateModified", g.last_modified()},
  };
  if (!g.planned_start_date().empty() && !g.planned_end_date().empty()) {
    out["plannedDates"] =
        nlohmann::json::array({{{"startDate", g.planned_start_date()},
                                {"endDate", g.planned_end_date()}}});
  }
  return out;
}

nlohmann::json Package360(const programmes::v1::Fund& fund,
                          nlohmann::json grants, absl::Time now) {
  return {
      {"version", "1.4"},
      {"title", absl::StrCat(fund.display_name(), " grants")},
      {"description",
       absl::StrCat("Grants awarded by ", fund.funder_name(), " from ",
                    fund.display_name(), ", as published on ", IsoDate(now))},
      {"issued", IsoDate(now)},
      {"modified", Rfc3339(now)},
      {"publisher",
       {{"name", fund.funder_name()}, {"identifier", fund.funder_org_id()}}},
      {"license", "https://creativecommons.org/licenses/by/4.0/"},
      {"grants", std::move(grants)},
  };
}

}  // namespace grantflow::reports
