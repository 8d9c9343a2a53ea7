// Organisations' bank accounts: recorded by the organisation's signatory or
// a finance officer, verified by a finance approver who did not record them.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "platform/duties.h"
#include "platform/errors.h"
#include "platform/reasons.h"
#include "platform/resources.h"
#include "platform/status_macros.h"
#include "services/payments/internal.h"

namespace grantflow::payments {
namespace {

constexpr size_t kMaxAccountNameChars = 140;

// Digits of `raw` with the spaces and dashes people write dropped, when
// that leaves exactly `n` digits and nothing else.
std::optional<std::string> Digits(const std::string& raw, size_t n) {
  std::string out;
  for (char c : raw) {
    if (c == ' ' || c == '-') continue;
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
    out.push_back(c);
  }
  if (out.size() != n) return std::nullopt;
  return out;
}

// Validates `in` into its stored form, naming fields under `prefix`.
pb::BankDetails CheckDetails(const pb::BankDetails& in,
                             const std::string& prefix, errors::Violations* v) {
  pb::BankDetails out;
  const std::string name(absl::StripAsciiWhitespace(in.account_name()));
  RequireText(name, prefix + "account_name", kMaxAccountNameChars, v);
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      v->Add(prefix + "account_name", "must not hold control characters");
      break;
    }
  }
  out.set_account_name(name);
  std::optional<std::string> sort = Digits(in.sort_code(), 6);
  if (!sort) {
    v->Add(prefix + "sort_code", "must be six digits, e.g. 20-00-00");
  }
  out.set_sort_code(sort.value_or(""));
  std::optional<std::string> number = Digits(in.account_number(), 8);
  if (!number) v->Add(prefix + "account_number", "must be eight digits");
  out.set_account_number(number.value_or(""));
  return out;
}

}  // namespace

absl::StatusOr<pb::BankAccount> Payments::ChangeBankAccount(
    const Call& call, const pb::ChangeBankAccountRequest& req) {
  errors::Violations v;
  auto org = ParseName(req.organisation(), {"organisations"});
  if (!org) v.Add("organisation", "must be organisations/{id}");
  const pb::BankDetails details = CheckDetails(req.details(), "details.", &v);
  LimitText(req.reason(), "reason", kMaxNoteChars, &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  // An organisation's own people change only their own details.
  if (auth::IsOrganisationScoped(call.principal) &&
      call.principal.organisation != req.organisation()) {
    return absl::PermissionDeniedError(absl::StrCat(
        call.principal.user, " acts for ", call.principal.organisation,
        ", not ", req.organisation()));
  }
  RETURN_IF_ERROR(applicants_->GetOrganisation(req.organisation()).status());
  return accounts_.Upsert(
      call, req, accounts_.NameOf((*org)[0]), req.request_id(), req.etag(),
      req.reason(),
      [&](pb::BankAccount& a, bool exists,
          storage::WriteSet&) -> absl::StatusOr<std::string> {
        if (exists && a.has_verified() && !HasText(req.reason())) {
          return errors::InvalidArgument(
              {{"reason",
                "is required to change verified bank details (say who asked "
                "and how it was confirmed)"}});
        }
        a.set_organisation(req.organisation());
        *a.mutable_proposed() = details;
        a.set_proposed_by(call.principal.user);
        a.set_change_reason(req.reason());
        *a.mutable_propose_time() = ToProto(call.now);
        a.set_state(pb::BankAccount::PENDING_VERIFICATION);
        return absl::StrCat("bank details proposed: sort code ",
                            details.sort_code(), ", account ending ",
                            details.account_number().substr(4));
      });
}

absl::StatusOr<pb::BankAccount> Payments::VerifyBankAccount(
    const Call& call, const pb::VerifyBankAccountRequest& req) {
  errors::Violations v;
  accounts_.ParseName(req.name(), "name", &v);
  if (req.etag().empty()) {
    v.Add("etag", "is required: the version of the details you checked");
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return accounts_.Change(
      call, req, req.name(), req.request_id(), req.etag(), "",
      [&](pb::BankAccount& a,
          storage::WriteSet&) -> absl::StatusOr<std::string> {
        if (a.state() != pb::BankAccount::PENDING_VERIFICATION) {
          return errors::FailedPrecondition(
              reasons::kNothingToVerify,
              absl::StrCat(a.name(), " has no change awaiting verification"));
        }
        RETURN_IF_ERROR(duties::Check(duties::Duty::kVerifyBankDetails,
                                      a.proposed_by(), call.principal.user,
                                      a.name()));
        *a.mutable_verified() = a.proposed();
        a.clear_proposed();
        a.set_verified_by(call.principal.user);
        *a.mutable_verify_time() = ToProto(call.now);
        a.set_state(pb::BankAccount::VERIFIED);
        return absl::StrCat("bank details verified (proposed by ",
                            a.proposed_by(), ")");
      });
}

absl::StatusOr<pb::BankAccount> Payments::RejectBankAccountChange(
    const Call& call, const pb::RejectBankAccountChangeRequest& req) {
  errors::Violations v;
  accounts_.ParseName(req.name(), "name", &v);
  RequireText(req.reason(), "reason", kMaxNoteChars, &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return accounts_.Change(
      call, req, req.name(), req.request_id(), req.etag(), req.reason(),
      [&](pb::BankAccount& a,
          storage::WriteSet&) -> absl::StatusOr<std::string> {
        if (a.state() != pb::BankAccount::PENDING_VERIFICATION) {
          return errors::FailedPrecondition(
              reasons::kNothingToVerify,
              absl::StrCat(a.name(), " has no change awaiting verification"));
        }
        a.clear_proposed();
        a.set_state(a.has_verified() ? pb::BankAccount::VERIFIED
                                     : pb::BankAccount::UNVERIFIED);
        return std::string("bank details change rejected");
      });
}

absl::StatusOr<pb::BankAccount> Payments::GetBankAccount(
    const Call& call, const pb::GetBankAccountRequest& req) {
  absl::StatusOr<Versioned<pb::BankAccount>> got = accounts_.Get(req.name());
  if (got.ok() && auth::IsOrganisationScoped(call.principal) &&
      call.principal.organisation != got->msg.organisation()) {
    return absl::NotFoundError(absl::StrCat(req.name(), " not found"));
  }
  if (!got.ok()) return got.status();
  return got->msg;
}

absl::StatusOr<pb::BankAccount> Payments::PayableAccount(
    const std::string& organisation) const {
  const std::string name = accounts_.NameOf(
      organisation.substr(std::string("organisations/").size()));
  absl::StatusOr<Versioned<pb::BankAccount>> got = accounts_.Get(name);
  if (absl::IsNotFound(got.status())) {
    return errors::FailedPrecondition(
        reasons::kBankDetailsUnverified,
        absl::StrCat(organisation, " has no bank account recorded"),
        {{"organisation", organisation}});
  }
  if (!got.ok()) return got.status();
  if (got->msg.state() != pb::BankAccount::VERIFIED) {
    return errors::FailedPrecondition(
        reasons::kBankDetailsUnverified,
        absl::StrCat(organisation, "'s bank details ",
                     got->msg.state() == pb::BankAccount::PENDING_VERIFICATION
                         ? "have a change awaiting verification by a second "
                           "person; its payments are held until then"
                         : "are not verified"),
        {{"organisation", organisation}});
  }
  return got->msg;
}

}  // namespace grantflow::payments
