#include "web/refusals.h"

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "platform/errors.h"
#include "platform/money.h"
#include "platform/reasons.h"
#include "web/forms.h"

namespace grantflow::web {
namespace {

// Sentences for reasons that need nothing from the metadata.
const std::map<std::string, std::string>& Sentences() {
  static const auto* m = new std::map<std::string, std::string>{
      {reasons::kApplicationIncomplete,
       "Your application is not finished. Answer the questions listed below, "
       "then submit it."},
      {reasons::kApplicationNotDraft,
       "This application has been submitted, so it can no longer be "
       "changed."},
      {reasons::kApplicationWithdrawn, "This application has been withdrawn."},
      {reasons::kWithdrawalNotAllowed,
       "This application can no longer be withdrawn: its funding agreement "
       "has been signed."},
      {reasons::kEtagMismatch,
       "Someone else changed this record while you were working on it. Look "
       "at the latest version, then make your change again."},
      {reasons::kRoleNotPermitted, "Your role does not allow you to do this."},
      {reasons::kRoleNotInFund, "Your role does not cover this fund."},
      {reasons::kInvalidTransition,
       "This step cannot be taken at the grant's current stage."},
      {reasons::kBudgetExceeded,
       "This would take a budget line over its approved ceiling. Choose "
       "another line or a smaller amount."},
      {reasons::kSeparationOfDuties,
       "Another person must take this step: nobody may approve what they "
       "recommended or requested themselves, or sign for both sides."},
      {reasons::kDelegatedLimitExceeded,
       "This is above your delegated limit. Ask someone with a higher limit "
       "to approve it."},
      {reasons::kChecksIncomplete,
       "The due diligence and safeguarding checks must pass before the "
       "agreement is issued."},
      {reasons::kConditionsOpen,
       "Conditions from the checks are still open, so nothing can be paid "
       "yet."},
      {reasons::kDocumentMismatch,
       "The agreement has changed since you opened it. Read the current "
       "version, then sign again."},
      {reasons::kNotRecipientSignatory,
       "Only a signatory named on your organisation's record can sign the "
       "funding agreement."},
      {reasons::kNotFunderStaff,
       "Only the funder's staff can countersign the agreement."},
      {reasons::kAgreementNotExecuted,
       "No payment can be made until the funding agreement has been signed "
       "by the organisation and countersigned by the funder."},
      {reasons::kExceedsAward,
       "This payment would take the total paid above the amount awarded."},
      {reasons::kReportOutstanding,
       "A monitoring report is overdue, so later payments are held until it "
       "is accepted."},
      {reasons::kNotAssigned, "This application is not assigned to you."},
      {reasons::kConflictDeclared,
       "You declared a conflict of interest with this application, so you "
       "cannot see or score it."},
      {reasons::kNotDeclared,
       "Say whether you have a conflict of interest before you open the "
       "application."},
      {reasons::kAlreadyDeclared,
       "You have already made your declaration for this application."},
      {reasons::kScoresSubmitted,
       "You have already submitted your scores. A moderator can reopen "
       "them."},
      {reasons::kScoresIncomplete,
       "Score every criterion, with a comment where the round asks for one, "
       "before you submit."},
      {reasons::kAlreadyScreened,
       "This application has already been screened."},
      {reasons::kNotInAssessment,
       "This application is not at the assessment stage."},
  };
  return *m;
}

std::string CodeSentence(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnauthenticated:
      return "You have been signed out. Sign in again to continue.";
    case absl::StatusCode::kPermissionDenied:
      return "You do not have permission to do this.";
    case absl::StatusCode::kNotFound:
      return "We could not find that record. It may have been removed, or "
             "the link may be wrong.";
    case absl::StatusCode::kAborted:
      return "Someone else changed this record at the same time. Try "
             "again.";
    case absl::StatusCode::kResourceExhausted:
      return "The service is busy. Try again in a minute.";
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return "Sorry, the service is unavailable. Try again in a few "
             "minutes; nothing you sent was lost.";
    case absl::StatusCode::kInvalidArgument:
      return "There is a problem with what you entered.";
    default:
      return "Sorry, there is a problem with the service.";
  }
}

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kAlreadyExists:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return 503;
    default:
      return 500;
  }
}

// "amount_requested_pence" -> "Amount requested": for a field no place
// names.
std::string Humanise(absl::string_view field) {
  if (size_t dot = field.rfind('.'); dot != absl::string_view::npos) {
    field = field.substr(dot + 1);
  }
  std::string s = absl::StrReplaceAll(field, {{"_pence", ""}, {"_", " "}});
  if (!s.empty()) s[0] = absl::ascii_toupper(s[0]);
  return s;
}

const FieldPlace* PlaceOf(const std::string& field,
                          const std::vector<FieldPlace>& places) {
  const FieldPlace* best = nullptr;
  for (const FieldPlace& p : places) {
    const bool exact = field == p.service_field;
    const bool prefix = absl::StartsWith(field, p.service_field) &&
                        field.size() > p.service_field.size() &&
                        (field[p.service_field.size()] == '.' ||
                         field[p.service_field.size()] == '[');
    if ((exact || prefix) &&
        (best == nullptr ||
         p.service_field.size() > best->service_field.size())) {
      best = &p;
    }
  }
  return best;
}

// The service's description, with pence and field names made readable:
// "must be after planned_start_date" -> "must be after the start date".
std::string Description(absl::string_view d) {
  return absl::StrReplaceAll(
      d, {{"planned_start_date", "the start date"},
          {"planned_end_date", "the end date"},
          {"amount_requested_pence", "the amount requested"},
          {"YYYY-MM-DD", "a real date"}});
}

}  // namespace

std::string ReasonSentence(const absl::Status& status) {
  const std::optional<std::string> reason = errors::ReasonOf(status);
  if (!reason) return "";
  if (*reason == reasons::kRoundClosed) {
    const std::string close = errors::MetadataOf(status, "close_time");
    return close.empty() ? "This round has closed."
                         : absl::StrCat("This round closed at ",
                                        LondonTimeOf(close), ".");
  }
  if (*reason == reasons::kRoundNotOpen) {
    const std::string open = errors::MetadataOf(status, "open_time");
    return open.empty()
               ? "This round is not open yet."
               : absl::StrCat("This round opens at ", LondonTimeOf(open), ".");
  }
  auto it = Sentences().find(*reason);
  return it == Sentences().end() ? "" : it->second;
}

Refusal Explain(const absl::Status& status,
                const std::vector<FieldPlace>& places) {
  Refusal r;
  r.http_status = HttpStatusOf(status.code());
  r.summary = ReasonSentence(status);
  if (r.summary.empty()) r.summary = CodeSentence(status.code());
  for (const errors::FieldViolation& v : errors::FieldViolationsOf(status)) {
    FieldError e;
    const FieldPlace* p = PlaceOf(v.field, places);
    const std::string label = p ? p->label : Humanise(v.field);
    e.text = absl::StrCat(label, " ", Description(v.description));
    if (p) {
      e.input_id = p->input_id;
      e.href = absl::StrCat(p->page, "#", p->input_id);
    }
    r.fields.push_back(std::move(e));
  }
  // An INVALID_ARGUMENT or FAILED_PRECONDITION the portal cannot place
  // still says what the service said, so nothing is left unexplained.
  if (r.fields.empty() && errors::ReasonOf(status) == std::nullopt &&
      (status.code() == absl::StatusCode::kInvalidArgument ||
       status.code() == absl::StatusCode::kFailedPrecondition) &&
      !status.message().empty()) {
    std::string m(status.message());
    m[0] = absl::ascii_toupper(m[0]);
    r.summary = m;
  }
  return r;
}

Refusal FormErrors(std::vector<FieldError> fields) {
  Refusal r;
  r.summary = "There is a problem with what you entered.";
  r.fields = std::move(fields);
  return r;
}

}  // namespace grantflow::web
