// A service's refusal, said in plain English on the page it came from: the
// reason (ErrorInfo) as a sentence a community group or an officer
// understands ("This round closed at 17:00 on 30 April 2018"), and each
// field violation (BadRequest) placed against the input that holds that
// field, for GOV.UK's error summary. Never a bare code. Thread-safe.
#ifndef GRANTFLOW_WEB_REFUSALS_H_
#define GRANTFLOW_WEB_REFUSALS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace grantflow::web {

// Where a service field is asked for: the input's id on its page, the
// question's label, and the page (empty: the page being shown).
struct FieldPlace {
  std::string service_field;  // "application.title", "amount_requested_pence"
  std::string input_id;       // "title"
  std::string label;          // "Project title"
  std::string page;           // "/applicant/applications/x/project" or ""
};

struct FieldError {
  std::string input_id;  // "" when the field is on no input of the form
  std::string href;      // "#title", "/page#title", or "" (unlinked)
  std::string text;      // "Project title is required to submit"
};

struct Refusal {
  std::string summary;  // a sentence; never empty
  std::vector<FieldError> fields;
  int http_status = 400;
};

// Explains a failed call. A violation's field matches the place whose
// service_field is the same, or a prefix of it ending before '.' or '['
// ("application.budget" places "application.budget[0].amount_pence").
// The most specific place wins.
Refusal Explain(const absl::Status& status,
                const std::vector<FieldPlace>& places = {});

// A refusal from the portal's own checks of a form, shown the same way.
Refusal FormErrors(std::vector<FieldError> fields);

// The sentence for a reason alone (with its metadata's times and amounts),
// or "" when the portal has none and the service's message must do.
std::string ReasonSentence(const absl::Status& status);

}  // namespace grantflow::web

#endif  // GRANTFLOW_WEB_REFUSALS_H_
