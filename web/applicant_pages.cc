// The community group's pages: its organisation, the open rounds, an
// expression of interest as GOV.UK question pages (saved as a draft after
// every page, so a volunteer can stop and come back), "check your answers",
// submission, the optional equality-monitoring page, and each
// application's status and feedback.
#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "platform/equality.h"
#include "platform/london.h"
#include "platform/money.h"
#include "web/forms.h"
#include "web/portal.h"
#include "web/widgets.h"

namespace grantflow::web {
namespace {

namespace apps = applications::v1;
namespace prog = programmes::v1;
namespace assess = assessment::v1;

const std::vector<std::string> kApplicantRoles = {"applicant", "signatory"};
constexpr int kBudgetRows = 6;

// The question pages, in order.
struct Step {
  const char* slug;
  const char* title;
};
constexpr Step kSteps[] = {{"project", "About your project"},
                           {"money", "How much you are asking for"},
                           {"dates", "When your project will run"},
                           {"place", "Where and who your project is for"}};

std::string AppUrl(const std::string& id, const std::string& step = "") {
  return step.empty() ? absl::StrCat("/applicant/applications/", id)
                      : absl::StrCat("/applicant/applications/", id, "/", step);
}

// Where each of the application's fields is asked, for placing a
// service's field violations (on the check-your-answers page, as links to
// the question).
std::vector<FieldPlace> Places(const std::string& id, bool on_check_page) {
  auto page = [&](const char* step) {
    return on_check_page ? AppUrl(id, step) : std::string();
  };
  std::vector<FieldPlace> p = {
      {"application.title", "title", "Project title", page("project")},
      {"application.summary", "summary", "Project summary", page("project")},
      {"application.amount_requested_pence", "amount", "Amount requested",
       page("money")},
      {"application.budget", "budget-1-description", "Budget", page("money")},
      {"application.planned_start_date", "start", "Start date", page("dates")},
      {"application.planned_end_date", "end", "End date", page("dates")},
      {"application.boroughs_served", "boroughs", "Boroughs served",
       page("place")},
      {"application.expected_beneficiaries", "beneficiaries",
       "Number of people", page("place")},
  };
  for (int i = 0; i < kBudgetRows; ++i) {
    const std::string row = absl::StrCat("budget-", i + 1);
    p.push_back({absl::StrCat("application.budget[", i, "].description"),
                 row + "-description",
                 absl::StrCat("Budget item ", i + 1, " description"),
                 page("money")});
    p.push_back({absl::StrCat("application.budget[", i, "].amount_pence"),
                 row + "-amount", absl::StrCat("Budget item ", i + 1, " cost"),
                 page("money")});
  }
  return p;
}

absl::Status LoadApp(Page& page, const std::string& id,
                     apps::Application* app) {
  apps::GetApplicationRequest req;
  req.set_name("applications/" + id);
  return page.Call(page.backend().applications(),
                   &apps::ApplicationService::Stub::GetApplication, req, app);
}

// Loads the application or answers with why it cannot; false when the page
// has been answered.
bool LoadOrRefuse(Page& page, const std::string& id, apps::Application* app) {
  absl::Status s = LoadApp(page, id, app);
  if (!s.ok()) {
    page.Refuse(Explain(s));
    return false;
  }
  return true;
}

absl::StatusOr<prog::Round> LoadRound(Page& page, const std::string& name) {
  prog::GetRoundRequest req;
  req.set_name(name);
  prog::Round round;
  absl::Status s =
      page.Call(page.backend().programmes(),
                &prog::ProgrammeService::Stub::GetRound, req, &round);
  if (!s.ok()) return s;
  return round;
}

std::string StateText(const apps::Application& app) {
  switch (app.state()) {
    case apps::Application::DRAFT:
      return "Draft";
    case apps::Application::SUBMITTED:
      return "Submitted";
    case apps::Application::WITHDRAWN:
      return "Withdrawn";
    default:
      return "Unknown";
  }
}
std::string StateColour(const apps::Application& app) {
  switch (app.state()) {
    case apps::Application::DRAFT:
      return "grey";
    case apps::Application::SUBMITTED:
      return "blue";
    default:
      return "red";
  }
}

// ---- The question pages ----

Json StepFields(const std::string& step, const apps::Application& a,
                const Page* posted) {
  auto v = [&](const std::string& name, const std::string& stored) {
    return posted ? posted->Param(name) : stored;
  };
  Json f = Json::array();
  if (step == "project") {
    f.push_back(TextInput("title", "Project title", v("title", a.title()),
                          "A short name for your project, up to 140 "
                          "characters."));
    f.push_back(TextArea("summary", "Project summary",
                         v("summary", a.summary()),
                         "What you will do, who will take part and what "
                         "difference it will make. Up to 5,000 characters.",
                         8));
  } else if (step == "money") {
    f.push_back(
        MoneyInput("amount", "How much are you asking for?",
                   v("amount", a.amount_requested_pence() > 0
                                   ? PoundsForInput(a.amount_requested_pence())
                                   : ""),
                   "In pounds, for example 25000."));
    f.push_back(
        {{"is_heading", true}, {"label", "What the money will pay for"}});
    for (int i = 0; i < kBudgetRows; ++i) {
      const std::string row = absl::StrCat("budget-", i + 1);
      const bool has = i < a.budget_size();
      f.push_back(TextInput(
          row + "-description", absl::StrCat("Item ", i + 1),
          v(row + "-description", has ? a.budget(i).description() : ""),
          i == 0 ? "For example, sessional workers or venue hire. The items "
                   "must add up to the amount you are asking for."
                 : ""));
      f.push_back(
          MoneyInput(row + "-amount", absl::StrCat("Cost of item ", i + 1),
                     v(row + "-amount",
                       has ? PoundsForInput(a.budget(i).amount_pence()) : "")));
    }
  } else if (step == "dates") {
    auto date = [&](const std::string& id, const std::string& stored) {
      if (!posted) return stored;
      return IsoDate(posted->Param(id + "-day"), posted->Param(id + "-month"),
                     posted->Param(id + "-year"))
          .value_or("");
    };
    Json start = DateInput("start", "When will your project start?",
                           date("start", a.planned_start_date()),
                           "For example, 1 3 2027");
    Json end =
        DateInput("end", "When will it end?", date("end", a.planned_end_date()),
                  "For example, 28 2 2028");
    if (posted) {
      for (Json* d : {&start, &end}) {
        const std::string id = (*d)["id"];
        (*d)["day"] = posted->Param(id + "-day");
        (*d)["month"] = posted->Param(id + "-month");
        (*d)["year"] = posted->Param(id + "-year");
      }
    }
    f.push_back(start);
    f.push_back(end);
  } else if (step == "place") {
    std::vector<std::pair<std::string, std::string>> areas;
    areas.push_back({kLondonWide, "All of London (London-wide)"});
    for (const std::string& b : LondonBoroughs()) areas.push_back({b, b});
    std::vector<std::string> chosen(a.boroughs_served().begin(),
                                    a.boroughs_served().end());
    if (posted) chosen = posted->Params("boroughs");
    f.push_back(Choice("boroughs", "Which boroughs will your project serve?",
                       areas, chosen, true, "Select all that apply.", true));
    f.push_back(TextInput(
        "beneficiaries", "How many people will take part?",
        v("beneficiaries", a.expected_beneficiaries() > 0
                               ? absl::StrCat(a.expected_beneficiaries())
                               : ""),
        "An estimate is fine.", "5"));
    f.back()["inputmode"] = "numeric";
    const bool answered = posted || a.submit_time().seconds() > 0 ||
                          a.expected_beneficiaries() > 0;
    auto yes = [&](const std::string& id, bool stored) {
      return posted ? posted->Param(id) == "yes" : stored;
    };
    f.push_back(
        YesNo("children", "Will your project work with children?",
              yes("children", a.works_with_children()),
              answered && (!posted || !posted->Param("children").empty())));
    f.push_back(
        YesNo("adults-at-risk", "Will it work with adults at risk?",
              yes("adults-at-risk", a.works_with_adults_at_risk()),
              answered && (!posted || !posted->Param("adults-at-risk").empty()),
              "For example, people who need care and support."));
  }
  return f;
}

// Reads a question page into `patch` and its field mask; the portal's own
// checks (a GOV.UK question is answered before moving on) go in *errors.
void ReadStep(const std::string& step, const Page& page,
              apps::Application* patch, std::vector<std::string>* mask,
              std::vector<FieldError>* errors) {
  auto err = [&](const std::string& id, const std::string& text) {
    errors->push_back({id, "#" + id, text});
  };
  if (step == "project") {
    const std::string title(absl::StripAsciiWhitespace(page.Param("title")));
    if (title.empty()) err("title", "Enter your project's title");
    patch->set_title(title);
    patch->set_summary(
        std::string(absl::StripAsciiWhitespace(page.Param("summary"))));
    if (patch->summary().empty())
      err("summary", "Enter a summary of your project");
    *mask = {"title", "summary"};
  } else if (step == "money") {
    const std::optional<int64_t> amount = ParsePounds(page.Param("amount"));
    if (page.Param("amount").empty()) {
      err("amount", "Enter how much you are asking for");
    } else if (!amount || *amount <= 0) {
      err("amount",
          "Enter the amount in pounds, like 25000 or 25,000.50, up to "
          "£100,000,000");
    } else {
      patch->set_amount_requested_pence(*amount);
    }
    for (int i = 0; i < kBudgetRows; ++i) {
      const std::string row = absl::StrCat("budget-", i + 1);
      const std::string d(
          absl::StripAsciiWhitespace(page.Param(row + "-description")));
      const std::string m = page.Param(row + "-amount");
      if (d.empty() && m.empty()) continue;
      if (d.empty()) {
        err(row + "-description",
            absl::StrCat("Say what item ", i + 1, " is for"));
        continue;
      }
      const std::optional<int64_t> cost = ParsePounds(m);
      if (!cost || *cost <= 0) {
        err(row + "-amount",
            absl::StrCat("Enter the cost of item ", i + 1, " in pounds"));
        continue;
      }
      apps::BudgetItem* item = patch->add_budget();
      item->set_description(d);
      item->set_amount_pence(*cost);
    }
    *mask = {"amount_requested_pence", "budget"};
  } else if (step == "dates") {
    for (const auto& [id, words] :
         {std::pair<std::string, std::string>{"start", "start"},
          {"end", "end"}}) {
      const std::string d = page.Param(id + "-day"),
                        mo = page.Param(id + "-month"),
                        y = page.Param(id + "-year");
      std::optional<std::string> iso = IsoDate(d, mo, y);
      if (d.empty() && mo.empty() && y.empty()) {
        err(id, absl::StrCat("Enter the date your project will ", words));
      } else if (!iso) {
        err(id, absl::StrCat("The ", words,
                             " date must be a real date, like 1 3 2027"));
      } else if (id == "start") {
        patch->set_planned_start_date(*iso);
      } else {
        patch->set_planned_end_date(*iso);
      }
    }
    *mask = {"planned_start_date", "planned_end_date"};
  } else if (step == "place") {
    for (const std::string& b : page.Params("boroughs")) {
      patch->add_boroughs_served(b);
    }
    if (patch->boroughs_served().empty()) {
      err("boroughs", "Select at least one borough, or London-wide");
    }
    int n = 0;
    if (!absl::SimpleAtoi(page.Param("beneficiaries"), &n) || n < 1 ||
        n > 10'000'000) {
      err("beneficiaries",
          "Enter how many people will take part, as a whole number");
    } else {
      patch->set_expected_beneficiaries(n);
    }
    for (const char* id : {"children", "adults-at-risk"}) {
      if (page.Param(id).empty()) {
        err(id, std::string(id) == "children"
                    ? "Select yes if your project will work with children"
                    : "Select yes if your project will work with adults at "
                      "risk");
      }
    }
    patch->set_works_with_children(page.Param("children") == "yes");
    patch->set_works_with_adults_at_risk(page.Param("adults-at-risk") == "yes");
    *mask = {"boroughs_served", "expected_beneficiaries", "works_with_children",
             "works_with_adults_at_risk"};
  }
}

int StepIndex(const std::string& slug) {
  for (int i = 0; i < static_cast<int>(std::size(kSteps)); ++i) {
    if (slug == kSteps[i].slug) return i;
  }
  return -1;
}

void ShowStep(Page& page, const std::string& id, const std::string& step,
              const apps::Application& app, const Refusal* refusal,
              bool from_post) {
  const int i = StepIndex(step);
  Json model = {
      {"caption", app.title().empty() ? "Expression of interest" : app.title()},
      {"heading", kSteps[i].title},
      {"action", AppUrl(id, step)},
      {"fields", StepFields(step, app, from_post ? &page : nullptr)},
      {"button", "Save and continue"},
      {"save_button", "Save and come back later"},
      {"back", i == 0 ? "/applicant" : AppUrl(id, kSteps[i - 1].slug)}};
  page.Render(kSteps[i].title, "question", model, refusal);
}

void StepGet(Page& page) {
  const std::string id = page.Match(1), step = page.Match(2);
  apps::Application app;
  if (!LoadOrRefuse(page, id, &app)) return;
  if (app.state() != apps::Application::DRAFT) {
    page.Redirect(AppUrl(id));
    return;
  }
  ShowStep(page, id, step, app, nullptr, false);
}

void StepPost(Page& page) {
  const std::string id = page.Match(1), step = page.Match(2);
  apps::Application app;
  if (!LoadOrRefuse(page, id, &app)) return;
  apps::Application patch;
  std::vector<std::string> mask;
  std::vector<FieldError> errors;
  ReadStep(step, page, &patch, &mask, &errors);
  const bool saving = page.Param("action") == "save";
  if (!errors.empty() && !saving) {
    Refusal r = FormErrors(errors);
    ShowStep(page, id, step, app, &r, true);
    return;
  }
  // Saving for later keeps what was answered, even half a page.
  apps::UpdateApplicationRequest req;
  *req.mutable_application() = patch;
  req.mutable_application()->set_name(app.name());
  req.mutable_application()->set_etag(app.etag());
  for (const std::string& m : mask) {
    const bool answered =
        std::none_of(errors.begin(), errors.end(), [&](const FieldError& e) {
          return (m == "title" && e.input_id == "title") ||
                 (m == "summary" && e.input_id == "summary") ||
                 (m == "amount_requested_pence" && e.input_id == "amount") ||
                 (m == "planned_start_date" && e.input_id == "start") ||
                 (m == "planned_end_date" && e.input_id == "end") ||
                 (m == "expected_beneficiaries" &&
                  e.input_id == "beneficiaries");
        });
    if (answered) req.mutable_update_mask()->add_paths(m);
  }
  req.set_request_id(page.RequestId());
  apps::Application updated;
  absl::Status s = page.Call(page.backend().applications(),
                             &apps::ApplicationService::Stub::UpdateApplication,
                             req, &updated);
  if (!s.ok()) {
    Refusal r = Explain(s, Places(id, false));
    ShowStep(page, id, step, app, &r, true);
    return;
  }
  if (saving) {
    page.Redirect("/applicant",
                  "Your answers are saved. You can come back to your "
                  "application at any time before the round closes.");
    return;
  }
  const int i = StepIndex(step);
  page.Redirect(i + 1 < static_cast<int>(std::size(kSteps))
                    ? AppUrl(id, kSteps[i + 1].slug)
                    : AppUrl(id, "equality"));
}

// ---- Check your answers, and submission ----

void ShowCheck(Page& page, const apps::Application& app,
               const Refusal* refusal) {
  const std::string id = IdOf(app.name());
  std::vector<std::string> budget;
  for (const auto& b : app.budget()) {
    budget.push_back(
        absl::StrCat(b.description(), ": ", FormatPounds(b.amount_pence())));
  }
  Json rows = Json::array();
  rows.push_back(SummaryRow("Project title", app.title(),
                            AppUrl(id, "project") + "#title"));
  rows.push_back(SummaryRow("Project summary", app.summary(),
                            AppUrl(id, "project") + "#summary"));
  rows.push_back(SummaryRow("Amount requested",
                            app.amount_requested_pence() > 0
                                ? FormatPounds(app.amount_requested_pence())
                                : "",
                            AppUrl(id, "money") + "#amount"));
  rows.push_back(SummaryRow("Budget", absl::StrJoin(budget, "\n"),
                            AppUrl(id, "money") + "#budget-1-description"));
  rows.push_back(SummaryRow("Start date", LongDate(app.planned_start_date()),
                            AppUrl(id, "dates") + "#start"));
  rows.push_back(SummaryRow("End date", LongDate(app.planned_end_date()),
                            AppUrl(id, "dates") + "#end"));
  rows.push_back(SummaryRow("Boroughs served",
                            absl::StrJoin(app.boroughs_served(), ", "),
                            AppUrl(id, "place") + "#boroughs"));
  rows.push_back(SummaryRow("Number of people",
                            app.expected_beneficiaries() > 0
                                ? absl::StrCat(app.expected_beneficiaries())
                                : "",
                            AppUrl(id, "place") + "#beneficiaries"));
  rows.push_back(SummaryRow("Works with children",
                            app.works_with_children() ? "Yes" : "No",
                            AppUrl(id, "place") + "#children"));
  rows.push_back(SummaryRow("Works with adults at risk",
                            app.works_with_adults_at_risk() ? "Yes" : "No",
                            AppUrl(id, "place") + "#adults-at-risk"));
  Json blocks = Json::array();
  blocks.push_back({{"summary", {{"rows", rows}}}});
  blocks.push_back({{"h2", "Now send your expression of interest"}});
  blocks.push_back({{"para",
                     "By submitting it you confirm that, to the best of your "
                     "knowledge, the details you are providing are correct. "
                     "You cannot change it after you submit it."}});
  blocks.push_back({{"form",
                     {{"action", AppUrl(id, "check")},
                      {"hidden", {{{"name", "etag"}, {"value", app.etag()}}}},
                      {"fields", Json::array()},
                      {"button", "Submit expression of interest"}}}});
  page.Render("Check your answers before submitting", "page",
              {{"caption", app.title()},
               {"heading", "Check your answers before submitting"},
               {"back", AppUrl(id, "equality")},
               {"blocks", blocks}},
              refusal);
}

void CheckGet(Page& page) {
  apps::Application app;
  if (!LoadOrRefuse(page, page.Match(1), &app)) return;
  if (app.state() != apps::Application::DRAFT) {
    page.Redirect(AppUrl(page.Match(1)));
    return;
  }
  ShowCheck(page, app, nullptr);
}

void CheckPost(Page& page) {
  const std::string id = page.Match(1);
  apps::Application app;
  if (!LoadOrRefuse(page, id, &app)) return;
  apps::SubmitApplicationRequest req;
  req.set_name(app.name());
  req.set_etag(page.Param("etag"));
  req.set_request_id(page.RequestId());
  apps::Application submitted;
  absl::Status s = page.Call(page.backend().applications(),
                             &apps::ApplicationService::Stub::SubmitApplication,
                             req, &submitted);
  if (!s.ok()) {
    Refusal r = Explain(s, Places(id, true));
    ShowCheck(page, app, &r);
    return;
  }
  page.Redirect(AppUrl(id), "Your expression of interest has been submitted");
}

// ---- Equality monitoring (optional, its own page) ----

void ShowEquality(Page& page, const std::string& id,
                  const apps::EqualityMonitoring& em, const Refusal* refusal) {
  std::vector<std::pair<std::string, std::string>> options;
  for (const std::string& c : EqualityCategories()) options.push_back({c, c});
  std::vector<std::string> led(em.led_by().begin(), em.led_by().end());
  std::vector<std::string> serves(em.mainly_serves().begin(),
                                  em.mainly_serves().end());
  Json fields = Json::array();
  fields.push_back(Choice("led-by",
                          "Is your organisation led by any of these groups?",
                          options, led, true, "Select all that apply.", true));
  fields.push_back(
      Choice("serves", "Does your project mainly serve any of these groups?",
             options, serves, true, "Select all that apply.", true));
  fields.push_back(Choice("prefer-not", "If you would rather not answer",
                          {{"yes", "I prefer not to say"}},
                          em.prefer_not_to_say()
                              ? std::vector<std::string>{"yes"}
                              : std::vector<std::string>{},
                          true, "", true));
  page.Render(
      "Equality monitoring (optional)", "question",
      {{"caption", "Optional"},
       {"heading", "Equality monitoring"},
       {"intro",
        "These questions are optional. Your answers are kept apart from your "
        "application: assessors and the people who decide on awards never "
        "see them, and the funder reports them only as totals."},
       {"action", AppUrl(id, "equality")},
       {"fields", fields},
       {"button", "Save and continue"},
       {"cancel", AppUrl(id, "check")},
       {"back", AppUrl(id, "place")}},
      refusal);
}

absl::Status LoadEquality(Page& page, const std::string& id,
                          apps::EqualityMonitoring* em) {
  apps::GetEqualityMonitoringRequest req;
  req.set_name(absl::StrCat("applications/", id, "/equalityMonitoring"));
  absl::Status s = page.Call(
      page.backend().applications(),
      &apps::ApplicationService::Stub::GetEqualityMonitoring, req, em);
  // Not answered yet is an empty form, not an error.
  return s.code() == absl::StatusCode::kNotFound ? absl::OkStatus() : s;
}

void EqualityGet(Page& page) {
  apps::EqualityMonitoring em;
  if (absl::Status s = LoadEquality(page, page.Match(1), &em); !s.ok()) {
    page.Refuse(Explain(s));
    return;
  }
  ShowEquality(page, page.Match(1), em, nullptr);
}

void EqualityPost(Page& page) {
  const std::string id = page.Match(1);
  apps::EqualityMonitoring current;
  if (absl::Status s = LoadEquality(page, id, &current); !s.ok()) {
    page.Refuse(Explain(s));
    return;
  }
  apps::UpdateEqualityMonitoringRequest req;
  apps::EqualityMonitoring* em = req.mutable_equality_monitoring();
  em->set_name(absl::StrCat("applications/", id, "/equalityMonitoring"));
  em->set_etag(current.etag());
  for (const std::string& v : page.Params("led-by")) em->add_led_by(v);
  for (const std::string& v : page.Params("serves")) em->add_mainly_serves(v);
  em->set_prefer_not_to_say(page.Param("prefer-not") == "yes");
  req.set_request_id(page.RequestId());
  apps::EqualityMonitoring saved;
  absl::Status s = page.Call(
      page.backend().applications(),
      &apps::ApplicationService::Stub::UpdateEqualityMonitoring, req, &saved);
  if (!s.ok()) {
    Refusal r = Explain(
        s,
        {{"equality_monitoring.led_by", "led-by", "Led by", ""},
         {"equality_monitoring.mainly_serves", "serves", "Mainly serves", ""},
         {"equality_monitoring.prefer_not_to_say", "prefer-not",
          "Prefer not to say", ""}});
    ShowEquality(page, id, *em, &r);
    return;
  }
  apps::Application app;
  if (LoadApp(page, id, &app).ok() && app.state() != apps::Application::DRAFT) {
    page.Redirect(AppUrl(id), "Your equality monitoring answers are saved");
    return;
  }
  page.Redirect(AppUrl(id, "check"));
}

// ---- Home: the organisation's applications ----

void Home(Page& page) {
  const std::string org = page.who().organisation;
  Json blocks = Json::array();
  apps::Organisation o;
  apps::GetOrganisationRequest oreq;
  oreq.set_name(org);
  absl::Status os =
      page.Call(page.backend().applications(),
                &apps::ApplicationService::Stub::GetOrganisation, oreq, &o);
  if (os.code() == absl::StatusCode::kNotFound) {
    blocks.push_back({{"para",
                       "Before you apply, tell us about your organisation. "
                       "It takes about 10 minutes."}});
    blocks.push_back({{"start", "Register your organisation"},
                      {"href", "/applicant/organisation"}});
    page.Render("Your applications", "page",
                {{"heading", "Your applications"}, {"blocks", blocks}});
    return;
  }
  if (!os.ok()) {
    page.Refuse(Explain(os));
    return;
  }
  apps::ListApplicationsRequest req;
  req.set_organisation(org);
  req.set_page_size(100);
  apps::ListApplicationsResponse resp;
  if (!page.Fetch(page.backend().applications(),
                  &apps::ApplicationService::Stub::ListApplications, req,
                  &resp))
    return;
  Json rows = Json::array();
  for (const apps::Application& a : resp.applications()) {
    const std::string id = IdOf(a.name());
    rows.push_back(
        {Cell(a.title().empty() ? "Untitled draft" : a.title(),
              a.state() == apps::Application::DRAFT ? AppUrl(id, "check")
                                                    : AppUrl(id)),
         Cell(a.round()),
         NumberCell(a.amount_requested_pence() > 0
                        ? FormatPounds(a.amount_requested_pence())
                        : ""),
         TagCell(StateText(a), StateColour(a))});
  }
  blocks.push_back({{"para", absl::StrCat("For ", o.display_name(), ".")}});
  if (rows.empty()) {
    blocks.push_back({{"para", "You have not started an application yet."}});
  } else {
    blocks.push_back(Table("Applications",
                           {"Project", "Round", "Amount", "Status"},
                           {false, false, true, false}, rows));
  }
  blocks.push_back({{"link", "Find an open funding round and apply"},
                    {"href", "/applicant/rounds"}});
  page.Render(
      "Your applications", "page",
      {{"heading", "Your applications"}, {"blocks", blocks}, {"wide", true}});
}

// ---- Open rounds ----

void Rounds(Page& page) {
  prog::ListFundsRequest freq;
  freq.set_page_size(100);
  prog::ListFundsResponse funds;
  if (!page.Fetch(page.backend().programmes(),
                  &prog::ProgrammeService::Stub::ListFunds, freq, &funds))
    return;
  const absl::Time now = page.now();
  Json blocks = Json::array();
  int open = 0;
  for (const prog::Fund& f : funds.funds()) {
    prog::ListRoundsRequest rreq;
    rreq.set_parent(f.name());
    rreq.set_page_size(100);
    prog::ListRoundsResponse rounds;
    if (!page.Call(page.backend().programmes(),
                   &prog::ProgrammeService::Stub::ListRounds, rreq, &rounds)
             .ok()) {
      continue;
    }
    for (const prog::Round& r : rounds.rounds()) {
      const absl::Time o = absl::FromUnixSeconds(r.open_time().seconds());
      const absl::Time c = absl::FromUnixSeconds(r.close_time().seconds());
      if (now < o || now >= c) continue;
      ++open;
      blocks.push_back({{"h2", r.display_name()}});
      if (!r.description().empty())
        blocks.push_back({{"para", r.description()}});
      blocks.push_back(
          {{"summary",
            {{"rows",
              {SummaryRow("Fund", f.display_name()),
               SummaryRow(
                   "Grants of",
                   absl::StrCat(FormatPounds(r.min_award_pence()), " to ",
                                FormatPounds(r.max_award_pence()))),
               SummaryRow("Closes", WhenText(r.close_time()))}}}}});
      blocks.push_back({{"link", absl::StrCat("Apply to ", r.display_name())},
                        {"href", "/applicant/apply/" + r.name()}});
    }
  }
  if (open == 0) {
    blocks.push_back({{"para", "No funding rounds are open at the moment."}});
  }
  page.Render("Open funding rounds", "page",
              {{"heading", "Open funding rounds"}, {"blocks", blocks}});
}

// ---- Starting an application: the first question creates the draft ----

void ShowStart(Page& page, const prog::Round& round, const Refusal* refusal,
               bool posted) {
  apps::Application empty;
  page.Render(
      "About your project", "question",
      {{"caption", round.display_name()},
       {"heading", "About your project"},
       {"action", "/applicant/apply/" + round.name()},
       {"fields", StepFields("project", empty, posted ? &page : nullptr)},
       {"button", "Save and continue"},
       {"back", "/applicant/rounds"}},
      refusal);
}

void StartGet(Page& page) {
  absl::StatusOr<prog::Round> round = LoadRound(
      page, absl::StrCat("funds/", page.Match(1), "/rounds/", page.Match(2)));
  if (!round.ok()) {
    page.Refuse(Explain(round.status()));
    return;
  }
  ShowStart(page, *round, nullptr, false);
}

void StartPost(Page& page) {
  absl::StatusOr<prog::Round> round = LoadRound(
      page, absl::StrCat("funds/", page.Match(1), "/rounds/", page.Match(2)));
  if (!round.ok()) {
    page.Refuse(Explain(round.status()));
    return;
  }
  apps::Application patch;
  std::vector<std::string> mask;
  std::vector<FieldError> errors;
  ReadStep("project", page, &patch, &mask, &errors);
  if (!errors.empty()) {
    Refusal r = FormErrors(errors);
    ShowStart(page, *round, &r, true);
    return;
  }
  apps::CreateApplicationRequest req;
  *req.mutable_application() = patch;
  req.mutable_application()->set_round(round->name());
  req.mutable_application()->set_organisation(page.who().organisation);
  req.set_request_id(page.RequestId());
  apps::Application created;
  absl::Status s = page.Call(page.backend().applications(),
                             &apps::ApplicationService::Stub::CreateApplication,
                             req, &created);
  if (!s.ok()) {
    std::vector<FieldPlace> places = Places("", false);
    places.push_back(
        {"application.organisation", "title", "Your organisation", ""});
    Refusal r = Explain(s, places);
    ShowStart(page, *round, &r, true);
    return;
  }
  page.Redirect(AppUrl(IdOf(created.name()), "money"));
}

// ---- One application: where it is ----

void Status(Page& page) {
  const std::string id = page.Match(1);
  apps::Application app;
  if (!LoadOrRefuse(page, id, &app)) return;
  if (app.state() == apps::Application::DRAFT) {
    page.Redirect(AppUrl(id, "check"));
    return;
  }
  Json blocks = Json::array();
  Json rows = Json::array();
  rows.push_back(SummaryRow("Round", app.round()));
  rows.push_back(SummaryRow("Amount requested",
                            FormatPounds(app.amount_requested_pence())));
  rows.push_back(SummaryRow("Submitted", WhenText(app.submit_time())));
  rows.push_back(SummaryRow("Status", StateText(app)));
  if (app.state() == apps::Application::WITHDRAWN) {
    rows.push_back(SummaryRow("Reason for withdrawal", app.withdraw_reason()));
  }
  blocks.push_back({{"summary", {{"rows", rows}}}});
  assess::GetApplicantFeedbackRequest freq;
  freq.set_application(app.name());
  assess::ApplicantFeedback fb;
  if (page.Call(page.backend().assessment(),
                &assess::AssessmentService::Stub::GetApplicantFeedback, freq,
                &fb)
          .ok()) {
    blocks.push_back({{"h2", "Where your application is"}});
    blocks.push_back({{"inset", fb.status()}});
    for (const assess::StageOutcome& st : fb.stages()) {
      blocks.push_back({{"h2", absl::StrCat("Outcome of ", st.stage())}});
      blocks.push_back(
          {{"para", st.feedback().empty() ? st.outcome() : st.feedback()}});
    }
  } else {
    blocks.push_back({{"inset",
                       "We have received your expression of interest. It "
                       "will be checked for eligibility, then assessed."}});
  }
  // Once there is a funding agreement: reading and signing it, payments
  // and reports are on the grant's own page.
  agreements::v1::GetAgreementRequest areq;
  areq.set_name("agreements/" + id);
  agreements::v1::Agreement agreement;
  if (page.Call(page.backend().agreements(),
                &agreements::v1::AgreementService::Stub::GetAgreement, areq,
                &agreement)
          .ok()) {
    blocks.push_back({{"start", "Your funding agreement, payments and reports"},
                      {"href", "/applicant/grants/" + id}});
  }
  blocks.push_back({{"link", "Your equality monitoring answers (optional)"},
                    {"href", AppUrl(id, "equality")}});
  page.Render(app.title(), "page",
              {{"caption", "Expression of interest"},
               {"heading", app.title()},
               {"back", "/applicant"},
               {"blocks", blocks}});
}

// ---- The organisation ----

std::vector<std::pair<std::string, std::string>> LegalForms() {
  return {{"REGISTERED_CHARITY", "Registered charity"},
          {"CHARITABLE_INCORPORATED_ORGANISATION",
           "Charitable incorporated organisation (CIO)"},
          {"COMPANY_LIMITED_BY_GUARANTEE", "Company limited by guarantee"},
          {"COMMUNITY_INTEREST_COMPANY", "Community interest company"},
          {"UNINCORPORATED_COMMUNITY_GROUP", "Unincorporated community group"},
          {"SCHOOL", "School"},
          {"OTHER", "Other"}};
}

const std::vector<FieldPlace>& OrgPlaces() {
  static const auto* p = new std::vector<FieldPlace>{
      {"organisation.display_name", "org-name", "Organisation name", ""},
      {"organisation.legal_form", "legal-form", "Legal form", ""},
      {"organisation.charity_number", "charity-number", "Charity number", ""},
      {"organisation.company_number", "company-number", "Company number", ""},
      {"organisation.address.line1", "address-line1", "Address line 1", ""},
      {"organisation.address.town", "town", "Town or city", ""},
      {"organisation.address.postcode", "postcode", "Postcode", ""},
      {"organisation.address.borough", "borough", "Borough", ""},
      {"organisation.address", "address-line1", "Address", ""},
      {"organisation.contacts", "contact-name", "Contact", ""},
      {"organisation.contacts[0].full_name", "contact-name", "Contact name",
       ""},
      {"organisation.contacts[0].email", "contact-email", "Contact email", ""},
      {"organisation.contacts[0].phone", "contact-phone", "Contact phone", ""},
      {"organisation.annual_income_pence", "income", "Annual income", ""},
      {"organisation_id", "org-name", "Organisation", ""},
  };
  return *p;
}

void ShowOrganisation(Page& page, const apps::Organisation& o,
                      const Refusal* refusal, bool posted) {
  auto v = [&](const std::string& name, const std::string& stored) {
    return posted ? page.Param(name) : stored;
  };
  std::vector<std::pair<std::string, std::string>> boroughs = {
      {"", "Choose a borough"}};
  for (const std::string& b : LondonBoroughs()) boroughs.push_back({b, b});
  const apps::Contact c =
      o.contacts_size() > 0 ? o.contacts(0) : apps::Contact();
  Json f = Json::array();
  f.push_back(TextInput("org-name", "Organisation name",
                        v("org-name", o.display_name())));
  f.push_back(
      Choice("legal-form", "What kind of organisation is it?", LegalForms(),
             {v("legal-form", o.legal_form() == apps::LEGAL_FORM_UNSPECIFIED
                                  ? ""
                                  : apps::LegalForm_Name(o.legal_form()))},
             false));
  f.push_back(TextInput("charity-number", "Charity number (if you have one)",
                        v("charity-number", o.charity_number()),
                        "6 or 7 digits, from the Charity Commission register.",
                        "10"));
  f.push_back(TextInput("company-number", "Company number (if you have one)",
                        v("company-number", o.company_number()),
                        "8 characters, from Companies House.", "10"));
  f.push_back({{"is_heading", true}, {"label", "Address"}});
  f.push_back(TextInput("address-line1", "Address line 1",
                        v("address-line1", o.address().line1())));
  f.push_back(TextInput("address-line2", "Address line 2 (optional)",
                        v("address-line2", o.address().line2())));
  f.push_back(TextInput("town", "Town or city", v("town", o.address().town()),
                        "", "20"));
  f.push_back(TextInput("postcode", "Postcode",
                        v("postcode", o.address().postcode()), "", "10"));
  f.push_back(Select("borough", "Borough", boroughs,
                     v("borough", o.address().borough())));
  f.push_back({{"is_heading", true}, {"label", "Main contact"}});
  f.push_back(
      TextInput("contact-name", "Full name", v("contact-name", c.full_name())));
  f.push_back(TextInput("contact-email", "Email address",
                        v("contact-email", c.email()), "", "20"));
  f.back()["autocomplete"] = "email";
  f.push_back(TextInput("contact-phone", "Phone number (optional)",
                        v("contact-phone", c.phone()), "", "20"));
  f.push_back(TextInput("contact-role", "Their role (optional)",
                        v("contact-role", c.role()),
                        "For example, Chair or Project lead.", "20"));
  f.push_back(
      MoneyInput("income", "Annual income (optional)",
                 v("income", o.annual_income_pence() > 0
                                 ? PoundsForInput(o.annual_income_pence())
                                 : ""),
                 "From your latest accounts, in pounds."));
  const bool exists = !o.name().empty();
  page.Render(
      exists ? "Your organisation" : "Register your organisation", "question",
      {{"heading", exists ? "Your organisation" : "Register your organisation"},
       {"intro", absl::StrCat("Registering ", page.who().organisation,
                              " for grantflow. You are added as a "
                              "member who can apply for it.")},
       {"action", "/applicant/organisation"},
       {"hidden", {{{"name", "etag"}, {"value", o.etag()}}}},
       {"fields", f},
       {"button", exists ? "Save changes" : "Register organisation"},
       {"back", "/applicant"}},
      refusal);
}

void OrganisationGet(Page& page) {
  apps::GetOrganisationRequest req;
  req.set_name(page.who().organisation);
  apps::Organisation o;
  absl::Status s =
      page.Call(page.backend().applications(),
                &apps::ApplicationService::Stub::GetOrganisation, req, &o);
  if (!s.ok() && s.code() != absl::StatusCode::kNotFound) {
    page.Refuse(Explain(s));
    return;
  }
  ShowOrganisation(page, s.ok() ? o : apps::Organisation(), nullptr, false);
}

void OrganisationPost(Page& page) {
  apps::Organisation o;
  o.set_display_name(
      std::string(absl::StripAsciiWhitespace(page.Param("org-name"))));
  apps::LegalForm form = apps::LEGAL_FORM_UNSPECIFIED;
  apps::LegalForm_Parse(page.Param("legal-form"), &form);
  o.set_legal_form(form);
  o.set_charity_number(
      std::string(absl::StripAsciiWhitespace(page.Param("charity-number"))));
  o.set_company_number(
      std::string(absl::StripAsciiWhitespace(page.Param("company-number"))));
  o.mutable_address()->set_line1(page.Param("address-line1"));
  o.mutable_address()->set_line2(page.Param("address-line2"));
  o.mutable_address()->set_town(page.Param("town"));
  o.mutable_address()->set_postcode(page.Param("postcode"));
  o.mutable_address()->set_borough(page.Param("borough"));
  apps::Contact* c = o.add_contacts();
  c->set_full_name(page.Param("contact-name"));
  c->set_email(page.Param("contact-email"));
  c->set_phone(page.Param("contact-phone"));
  c->set_role(page.Param("contact-role"));
  std::vector<FieldError> errors;
  if (o.display_name().empty()) {
    errors.push_back(
        {"org-name", "#org-name", "Enter your organisation's name"});
  }
  if (!page.Param("income").empty()) {
    std::optional<int64_t> income = ParsePounds(page.Param("income"));
    if (!income) {
      errors.push_back({"income", "#income",
                        "Enter your annual income in pounds, like 18000"});
    } else {
      o.set_annual_income_pence(*income);
    }
  }
  if (!errors.empty()) {
    Refusal r = FormErrors(errors);
    ShowOrganisation(page, o, &r, true);
    return;
  }
  absl::Status s;
  apps::Organisation saved;
  if (page.Param("etag").empty()) {
    apps::CreateOrganisationRequest req;
    *req.mutable_organisation() = o;
    req.mutable_organisation()->add_member_users(page.who().user);
    if (page.who().HasRole("signatory")) {
      req.mutable_organisation()->add_signatory_users(page.who().user);
    }
    req.set_organisation_id(IdOf(page.who().organisation));
    req.set_request_id(page.RequestId());
    s = page.Call(page.backend().applications(),
                  &apps::ApplicationService::Stub::CreateOrganisation, req,
                  &saved);
  } else {
    apps::UpdateOrganisationRequest req;
    *req.mutable_organisation() = o;
    req.mutable_organisation()->set_name(page.who().organisation);
    req.mutable_organisation()->set_etag(page.Param("etag"));
    for (const char* m :
         {"display_name", "legal_form", "charity_number", "company_number",
          "address", "contacts", "annual_income_pence"}) {
      req.mutable_update_mask()->add_paths(m);
    }
    req.set_request_id(page.RequestId());
    s = page.Call(page.backend().applications(),
                  &apps::ApplicationService::Stub::UpdateOrganisation, req,
                  &saved);
  }
  if (!s.ok()) {
    Refusal r = Explain(s, OrgPlaces());
    ShowOrganisation(page, o, &r, true);
    return;
  }
  page.Redirect("/applicant", page.Param("etag").empty()
                                  ? "Your organisation is registered"
                                  : "Your organisation's details are saved");
}

}  // namespace

void InstallApplicantPages(Portal& portal, httplib::Server& s) {
  const auto& roles = kApplicantRoles;
  portal.Get(s, "/applicant", roles, Home);
  portal.Get(s, "/applicant/rounds", roles, Rounds);
  portal.Get(s, "/applicant/organisation", roles, OrganisationGet);
  portal.Post(s, "/applicant/organisation", {"applicant"}, OrganisationPost);
  portal.Get(s, R"(/applicant/apply/funds/([a-z0-9-]+)/rounds/([a-z0-9-]+))",
             {"applicant"}, StartGet);
  portal.Post(s, R"(/applicant/apply/funds/([a-z0-9-]+)/rounds/([a-z0-9-]+))",
              {"applicant"}, StartPost);
  const std::string app = R"(/applicant/applications/([a-z0-9-]+))";
  portal.Get(s, app, roles, Status);
  portal.Get(s, app + "/(project|money|dates|place)", {"applicant"}, StepGet);
  portal.Post(s, app + "/(project|money|dates|place)", {"applicant"}, StepPost);
  portal.Get(s, app + "/equality", {"applicant"}, EqualityGet);
  portal.Post(s, app + "/equality", {"applicant"}, EqualityPost);
  portal.Get(s, app + "/check", {"applicant"}, CheckGet);
  portal.Post(s, app + "/check", {"applicant"}, CheckPost);
}

}  // namespace grantflow::web
