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
// A sentence for every reason of platform/reasons.h but the two with
// times (ROUND_CLOSED, ROUND_NOT_OPEN, said in ReasonSentence); the test
// reads reasons.h and fails if one is missing.
const std::map<std::string, std::string>& Sentences() {
  static const auto* m = new std::map<std::string, std::string>{
      {"ROLE_NOT_PERMITTED", "Your role does not allow you to do this."},
      {"ROLE_NOT_IN_FUND", "Your role does not cover this fund."},
      {"APPLICATION_NOT_DRAFT",
       "This application has been submitted, so it can no longer be changed."},
      {"APPLICATION_INCOMPLETE",
       "Your application is not finished. Answer the questions listed below, "
       "then submit it."},
      {"APPLICATION_WITHDRAWN", "This application has been withdrawn."},
      {"WITHDRAWAL_NOT_ALLOWED",
       "This application can no longer be withdrawn: its funding agreement has "
       "been signed."},
      {"ETAG_MISMATCH",
       "Someone else changed this record while you were working on it. Look at "
       "the latest version, then make your change again."},
      {"INVALID_TRANSITION",
       "This step cannot be taken at the grant's current stage."},
      {"ROUND_UNKNOWN",
       "This funding round is not known to the grants system yet. Try again in "
       "a minute."},
      {"CASE_CLOSED",
       "This grant is closed, so nothing more can be recorded on it."},
      {"CASE_LIMIT_REACHED",
       "This grant's record is full. Ask the grants team for help."},
      {"CASE_TOO_LARGE",
       "This is more than a grant's record can hold. Shorten what you "
       "entered."},
      {"BUDGET_EXCEEDED",
       "This would take a budget line over its approved ceiling. Choose "
       "another line or a smaller amount."},
      {"BUDGET_LINE_UNKNOWN",
       "That budget line is not known to the ledger yet. Try again in a "
       "minute."},
      {"CEILING_BELOW_USE",
       "The ceiling cannot go below what is already reserved and committed on "
       "this budget line."},
      {"GENERATION_CONFLICT",
       "The budget line changed at the same time. Try again."},
      {"NO_AWARD", "There is no award on this grant yet."},
      {"SEPARATION_OF_DUTIES",
       "Another person must take this step: nobody may approve what they "
       "recommended or requested themselves, or sign for both sides."},
      {"DELEGATED_LIMIT_EXCEEDED",
       "This is above your delegated limit. Ask someone with a higher limit to "
       "approve it."},
      {"CHECKS_INCOMPLETE",
       "The due diligence and safeguarding checks must pass before the "
       "agreement is issued."},
      {"CONDITIONS_OPEN",
       "Conditions from the checks are still open, so nothing can be paid "
       "yet."},
      {"CONDITION_NOT_OPEN", "That condition has already been cleared."},
      {"DOCUMENT_MISMATCH",
       "The agreement has changed since you opened it. Read the current "
       "version, then sign again."},
      {"AGREEMENT_NOT_SIGNED",
       "The organisation has not signed the agreement yet, so the funder "
       "cannot countersign it."},
      {"NOTHING_TO_SIGN",
       "There is no version of this agreement waiting for a signature."},
      {"NOT_RECIPIENT_SIGNATORY",
       "Only a signatory named on your organisation's record can sign the "
       "funding agreement."},
      {"NOT_FUNDER_STAFF",
       "Only the funder's staff can countersign the agreement."},
      {"AGREEMENT_NOT_EXECUTED",
       "No payment can be made until the funding agreement has been signed by "
       "the organisation and countersigned by the funder."},
      {"EXCEEDS_AWARD",
       "This payment would take the total paid above the amount awarded."},
      {"REPORT_OUTSTANDING",
       "A monitoring report is overdue, so later payments are held until it is "
       "accepted."},
      {"PAYMENT_NOT_SCHEDULED",
       "That instalment is not in the agreement in force. A variation's "
       "instalments wait until it is signed by both sides."},
      {"EXCEEDS_INSTALMENT", "This is more than is left of the instalment."},
      {"PAYMENT_NOT_PENDING",
       "This payment is no longer waiting to be settled."},
      {"PAYMENTS_PENDING",
       "Payments on this grant are still being processed. Settle them first."},
      {"NOT_ASSIGNED", "This application is not assigned to you."},
      {"CONFLICT_DECLARED",
       "You declared a conflict of interest with this application, so you "
       "cannot see or score it."},
      {"NOT_DECLARED",
       "Say whether you have a conflict of interest before you open the "
       "application."},
      {"ALREADY_DECLARED",
       "You have already made your declaration for this application."},
      {"ALREADY_SCREENED", "This application has already been screened."},
      {"NOT_IN_ASSESSMENT", "This application is not at the assessment stage."},
      {"SCORES_SUBMITTED",
       "You have already submitted your scores. A moderator can reopen them."},
      {"SCORES_INCOMPLETE",
       "Score every criterion, with a comment where the round asks for one, "
       "before you submit."},
      {"CASE_NOT_STARTED",
       "This application has not reached the grants system yet. Try again in a "
       "minute."},
      {"SCORES_PENDING", "Not every assessor has submitted their scores yet."},
      {"RECORDED_BY_SERVICE",
       "This step is recorded on its own page, not here."},
      {"PERSON_LACKS_ROLE", "You do not hold the role this step needs."},
      {"CHECK_NOT_OPEN", "This check has already been concluded."},
      {"CHECK_NOT_REFERRED",
       "This check has not been referred for a decision."},
      {"ITEMS_INCOMPLETE",
       "Record every item of the check before you conclude it."},
      {"ITEMS_UNSATISFACTORY",
       "An item of the check is unsatisfactory, so it cannot pass without "
       "conditions."},
      {"DUPLICATES_CHANGED",
       "The search for duplicate funding found something new. Look at it "
       "before you conclude."},
      {"NOT_RECOMMENDED",
       "This application has not been recommended for an award."},
      {"NOT_APPROVED", "This award has not been approved."},
      {"ALREADY_DECIDED", "A decision has already been made on this award."},
      {"NO_FUNDER_ORG_ID",
       "The fund has no 360Giving organisation id for the funder yet. Add it "
       "to the fund first."},
      {"NOTHING_TO_PUBLISH", "There is nothing to publish for this fund yet."},
      {"TEMPLATE_MISSING",
       "This fund has no agreement template yet. Set one up first."},
      {"NOT_AWARDED", "This application has not been awarded a grant."},
      {"AGREEMENT_ENDED", "This agreement has ended."},
      {"NO_DRAFT", "There is no draft of this agreement to change or issue."},
      {"ALREADY_DRAFTED",
       "An agreement has already been drafted for this grant."},
      {"VERSION_NOT_ISSUED",
       "That version of the agreement has not been issued for signature."},
      {"VERSION_NOT_SIGNED",
       "That version has not been signed by the organisation yet."},
      {"REPORT_NOT_DUE", "This report is not waiting to be submitted."},
      {"REPORT_NOT_SUBMITTED", "This report has not been submitted yet."},
      {"BANK_DETAILS_UNVERIFIED",
       "The organisation's bank details have not been verified yet, so the "
       "payment is held."},
      {"NOTHING_TO_VERIFY",
       "There are no bank details waiting to be verified."},
      {"INSTALMENT_NOT_DUE", "This instalment is not due yet."},
      {"INSTALMENT_REQUESTED", "This instalment has already been requested."},
      {"PAYMENT_STATE",
       "This payment cannot take this step at its current stage."},
      {"NOTHING_TO_RELEASE", "There are no approved payments to release."},
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
  if (r.fields.empty() && ReasonSentence(status).empty() &&
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
