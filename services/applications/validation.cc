#include "services/applications/validation.h"

#include <algorithm>
#include <regex>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "platform/auth.h"
#include "platform/money.h"
#include "platform/resources.h"

namespace grantflow::applications {
namespace {

bool Contains(const std::vector<std::string>& list, absl::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

}  // namespace

bool IsCharityNumber(absl::string_view s) {
  static const std::regex re("^[0-9]{6,7}$");
  return std::regex_match(std::string(s), re);
}

bool IsCompanyNumber(absl::string_view s) {
  static const std::regex re("^([0-9]{8}|[A-Z]{2}[0-9]{6})$");
  return std::regex_match(std::string(s), re);
}

bool IsUkPostcode(absl::string_view s) {
  static const std::regex re(
      "^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$");
  return std::regex_match(std::string(s), re);
}

bool IsEmail(absl::string_view s) {
  static const std::regex re("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$");
  return s.size() <= 254 && std::regex_match(std::string(s), re);
}

void ValidateOrganisation(const pb::Organisation& org,
                          const std::string& prefix, errors::Violations* v) {
  RequireText(org.display_name(), prefix + ".display_name", 200, v);
  const pb::LegalForm form = org.legal_form();
  if (form == pb::LEGAL_FORM_UNSPECIFIED || !pb::LegalForm_IsValid(form)) {
    v->Add(prefix + ".legal_form", "is required");
  }
  const bool needs_charity = form == pb::REGISTERED_CHARITY ||
                             form == pb::CHARITABLE_INCORPORATED_ORGANISATION;
  const bool needs_company = form == pb::COMPANY_LIMITED_BY_GUARANTEE ||
                             form == pb::COMMUNITY_INTEREST_COMPANY;
  if (!org.charity_number().empty() && !IsCharityNumber(org.charity_number())) {
    v->Add(prefix + ".charity_number",
           "must be a charity number of 6 or 7 digits, e.g. 1123456");
  } else if (needs_charity && org.charity_number().empty()) {
    v->Add(prefix + ".charity_number",
           "is required for a registered charity or CIO");
  }
  if (!org.company_number().empty() && !IsCompanyNumber(org.company_number())) {
    v->Add(prefix + ".company_number",
           "must be a Companies House number: 8 digits, or 2 capital letters "
           "and 6 digits, e.g. 01234567 or SC123456");
  } else if (needs_company && org.company_number().empty()) {
    v->Add(prefix + ".company_number",
           "is required for a company limited by guarantee or a CIC");
  } else if (!org.company_number().empty() &&
             (form == pb::CHARITABLE_INCORPORATED_ORGANISATION ||
              form == pb::UNINCORPORATED_COMMUNITY_GROUP)) {
    v->Add(prefix + ".company_number",
           "must be empty: this legal form is not a company");
  }
  if (!org.has_address()) {
    v->Add(prefix + ".address", "is required");
  } else {
    const pb::Address& a = org.address();
    RequireText(a.line1(), prefix + ".address.line1", 200, v);
    LimitText(a.line2(), prefix + ".address.line2", 200, v);
    RequireText(a.town(), prefix + ".address.town", 100, v);
    if (!IsUkPostcode(a.postcode())) {
      v->Add(prefix + ".address.postcode",
             "must be a UK postcode such as E8 1DY");
    }
    if (!IsLondonBorough(a.borough())) {
      v->Add(prefix + ".address.borough",
             "must be one of the 32 London boroughs or City of London, "
             "spelt as in 'Barking and Dagenham'");
    }
  }
  if (org.annual_income_pence() != 0) {
    ValidateAmount(org.annual_income_pence(), prefix + ".annual_income_pence",
                   v);
  }
  if (org.contacts().empty()) {
    v->Add(prefix + ".contacts", "at least one contact is required");
  }
  for (int i = 0; i < org.contacts_size(); ++i) {
    const pb::Contact& c = org.contacts(i);
    std::string f = absl::StrCat(prefix, ".contacts[", i, "]");
    RequireText(c.full_name(), f + ".full_name", 200, v);
    if (!IsEmail(c.email())) v->Add(f + ".email", "must be an email address");
    static const std::regex kPhone("^\\+?[0-9 ]{7,20}$");
    if (!c.phone().empty() && !std::regex_match(c.phone(), kPhone)) {
      v->Add(f + ".phone", "must be a phone number of digits and spaces");
    }
    LimitText(c.role(), f + ".role", 100, v);
  }
  if (org.contacts_size() > 20) {
    v->Add(prefix + ".contacts", "must have at most 20 contacts");
  }
  const std::vector<std::string> members =
      CheckUserList(org.member_users(), prefix + ".member_users", 50, v);
  CheckUserList(org.signatory_users(), prefix + ".signatory_users", 20, v);
  for (int i = 0; i < org.signatory_users_size(); ++i) {
    std::optional<std::string> u = auth::CanonicalUser(org.signatory_users(i));
    if (u && !Contains(members, *u)) {
      v->Add(absl::StrCat(prefix, ".signatory_users[", i, "]"),
             "must also be one of member_users");
    }
  }
}

void CanonicaliseUsers(pb::Organisation* org) {
  for (auto* list :
       {org->mutable_member_users(), org->mutable_signatory_users()}) {
    for (std::string& u : *list) {
      if (std::optional<std::string> c = auth::CanonicalUser(u)) u = *c;
    }
  }
}

void ValidateDraft(const pb::Application& app,
                   const programmes::v1::Round* round,
                   const std::string& prefix, errors::Violations* v) {
  LimitText(app.title(), prefix + ".title", 140, v);
  LimitText(app.summary(), prefix + ".summary", 5000, v);
  const int64_t amount = app.amount_requested_pence();
  // 0 means "not filled in yet" in a draft; submission requires it.
  if (amount < 0 || amount > kMaxAmountPence) {
    ValidateAmount(amount, prefix + ".amount_requested_pence", v);
  } else if (round != nullptr && amount > 0 &&
             (amount < round->min_award_pence() ||
              amount > round->max_award_pence())) {
    v->Add(
        prefix + ".amount_requested_pence",
        absl::StrCat("must be between ", FormatPounds(round->min_award_pence()),
                     " and ", FormatPounds(round->max_award_pence()),
                     " for this round"));
  }
  absl::Time start, end;
  bool has_start = false, has_end = false;
  if (!app.planned_start_date().empty()) {
    has_start = ParseIsoDate(app.planned_start_date(), &start);
    if (!has_start) {
      v->Add(prefix + ".planned_start_date", "must be a date: YYYY-MM-DD");
    }
  }
  if (!app.planned_end_date().empty()) {
    has_end = ParseIsoDate(app.planned_end_date(), &end);
    if (!has_end) {
      v->Add(prefix + ".planned_end_date", "must be a date: YYYY-MM-DD");
    }
  }
  if (has_start && has_end && end <= start) {
    v->Add(prefix + ".planned_end_date", "must be after planned_start_date");
  }
  std::set<std::string> seen;
  for (int i = 0; i < app.boroughs_served_size(); ++i) {
    const std::string& b = app.boroughs_served(i);
    std::string f = absl::StrCat(prefix, ".boroughs_served[", i, "]");
    if (!IsLondonBorough(b) && b != kLondonWide) {
      v->Add(f, "must be a London borough, City of London or London-wide");
    } else if (!seen.insert(b).second) {
      v->Add(f, "is listed twice");
    }
  }
  if (app.expected_beneficiaries() < 0 ||
      app.expected_beneficiaries() > 10'000'000) {
    v->Add(prefix + ".expected_beneficiaries",
           "must be between 0 and 10,000,000");
  }
  if (app.budget_size() > 100) {
    v->Add(prefix + ".budget", "must have at most 100 items");
  }
  for (int i = 0; i < app.budget_size(); ++i) {
    std::string f = absl::StrCat(prefix, ".budget[", i, "]");
    RequireText(app.budget(i).description(), f + ".description", 200, v);
    ValidateAmount(app.budget(i).amount_pence(), f + ".amount_pence", v);
  }
}

void CheckComplete(const pb::Application& app,
                   const programmes::v1::Round& round, absl::Time now,
                   const std::string& prefix, errors::Violations* v) {
  ValidateDraft(app, &round, prefix, v);
  if (app.title().empty()) v->Add(prefix + ".title", "is required to submit");
  if (app.summary().empty()) {
    v->Add(prefix + ".summary", "is required to submit");
  }
  if (app.amount_requested_pence() == 0) {
    v->Add(prefix + ".amount_requested_pence", "is required to submit");
  }
  if (app.planned_start_date().empty()) {
    v->Add(prefix + ".planned_start_date", "is required to submit");
  } else {
    absl::Time start;
    absl::Time today = absl::FromCivil(
        absl::ToCivilDay(now, absl::UTCTimeZone()), absl::UTCTimeZone());
    if (ParseIsoDate(app.planned_start_date(), &start) && start < today) {
      v->Add(prefix + ".planned_start_date", "must not be in the past");
    }
  }
  if (app.planned_end_date().empty()) {
    v->Add(prefix + ".planned_end_date", "is required to submit");
  }
  if (app.boroughs_served().empty()) {
    v->Add(prefix + ".boroughs_served", "name at least one borough to submit");
  }
  if (app.expected_beneficiaries() <= 0) {
    v->Add(prefix + ".expected_beneficiaries", "must be at least 1 to submit");
  }
  if (app.budget().empty()) {
    v->Add(prefix + ".budget",
           "at least one budget line is required to submit");
  } else {
    // Items are capped (ValidateDraft), so at most 100 of them cannot
    // overflow; AddPence keeps the sum honest regardless.
    std::optional<int64_t> total = 0;
    for (const pb::BudgetItem& item : app.budget()) {
      if (total && item.amount_pence() > 0) {
        total = AddPence(*total, item.amount_pence());
      }
    }
    if (!total || *total != app.amount_requested_pence()) {
      v->Add(prefix + ".budget",
             absl::StrCat("adds up to ",
                          total ? FormatPounds(*total) : "more than int64",
                          " but the amount requested is ",
                          FormatPounds(app.amount_requested_pence())));
    }
  }
}

void ValidateEqualityMonitoring(const pb::EqualityMonitoring& em,
                                const std::string& prefix,
                                errors::Violations* v) {
  auto check = [&](const auto& list, const std::string& field) {
    std::set<std::string> seen;
    for (int i = 0; i < list.size(); ++i) {
      std::string f = absl::StrCat(prefix, ".", field, "[", i, "]");
      if (!Contains(EqualityCategories(), list[i])) {
        v->Add(f, "is not one of the equality-monitoring categories");
      } else if (!seen.insert(list[i]).second) {
        v->Add(f, "is listed twice");
      }
    }
  };
  check(em.led_by(), "led_by");
  check(em.mainly_serves(), "mainly_serves");
  if (em.prefer_not_to_say() &&
      (!em.led_by().empty() || !em.mainly_serves().empty())) {
    v->Add(prefix + ".prefer_not_to_say",
           "cannot be set together with answers");
  }
}

}  // namespace grantflow::applications
