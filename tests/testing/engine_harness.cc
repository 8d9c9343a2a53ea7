#include "tests/testing/engine_harness.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "services/common/case_client.h"

namespace grantflow::testing {

namespace {
storage::StoreOptions Options(const std::string& path, bool sync) {
  storage::StoreOptions o;
  o.path = path;
  o.sync = sync;
  return o;
}
}  // namespace

EngineHarness::EngineHarness(const std::string& path, bool sync)
    : EngineHarness(Options(path, sync)) {}

EngineHarness::EngineHarness(const storage::StoreOptions& options) {
  auto s = storage::OpenRocksDbStore(options);
  if (!s.ok()) std::abort();
  store_ = *std::move(s);
  if (!definitions_.AddBuiltIn().ok()) std::abort();
  round_.min_award_pence = 1;
  round_.max_award_pence = 100'000'000;
  directory_.SetRound(kRound, round_);
  directory_.SetSignatories(kOrg, {"amira"});
  // Ledger lines registered by earlier runs on this store stay in the round.
  wpb::ListLedgerRequest list;
  list.set_page_size(500);
  auto lines = workflows::Engine(store_.get(), &definitions_, &directory_)
                   .ListLedger(As("admin", {"admin"}), list);
  if (lines.ok()) {
    for (const auto& l : lines->lines()) {
      round_.budget_lines.push_back(l.name());
      generation_ = std::max(generation_, l.source_generation());
    }
    directory_.SetRound(kRound, round_);
  }
  engine_ = std::make_unique<workflows::Engine>(store_.get(), &definitions_,
                                                &directory_);
}

Call EngineHarness::As(const std::string& user, std::vector<std::string> roles,
                       int64_t approve_limit) const {
  Call c;
  c.principal.user = user;
  c.principal.roles = std::move(roles);
  if (approve_limit > 0) c.principal.limits_pence["approve"] = approve_limit;
  c.now = now;
  c.method = "/grantflow.workflow.v1.WorkflowService/Test";
  return c;
}

std::string EngineHarness::NextRequestId() {
  static std::atomic<uint64_t> counter{0};
  return absl::StrCat("req-", ++counter, "-", ++request_counter_);
}

absl::StatusOr<wpb::LedgerLine> EngineHarness::Line(const std::string& name,
                                                    int64_t ceiling) {
  wpb::RegisterBudgetLineRequest r;
  r.set_budget_line(name);
  r.set_ceiling_pence(ceiling);
  r.set_generation(++generation_);
  r.set_request_id(NextRequestId());
  if (std::find(round_.budget_lines.begin(), round_.budget_lines.end(), name) ==
      round_.budget_lines.end()) {
    round_.budget_lines.push_back(name);
    directory_.SetRound(kRound, round_);
  }
  return engine_->RegisterBudgetLine(As("svc", {"service"}), r);
}

void EngineHarness::AddToRound(const std::string& line) {
  round_.budget_lines.push_back(line);
  directory_.SetRound(kRound, round_);
}

absl::StatusOr<wpb::Case> EngineHarness::Start(const std::string& app_id,
                                               const std::string& definition,
                                               bool safeguarding,
                                               int64_t requested) {
  wpb::StartCaseRequest r;
  r.set_application("applications/" + app_id);
  r.set_round(kRound);
  r.set_organisation(kOrg);
  r.set_amount_requested_pence(requested);
  r.set_definition(definition);
  r.set_safeguarding_required(safeguarding);
  r.set_request_id("start-" + app_id);
  return engine_->StartCase(As("svc", {"service"}), r);
}

absl::StatusOr<wpb::Case> EngineHarness::Fact(const Call& who,
                                              const std::string& case_id,
                                              const std::string& fact,
                                              wpb::FactPayload payload,
                                              const std::string& request_id) {
  wpb::RecordFactRequest r;
  r.set_name("cases/" + case_id);
  r.set_fact(fact);
  *r.mutable_payload() = std::move(payload);
  r.set_request_id(request_id.empty() ? NextRequestId() : request_id);
  Call c = who;
  c.now = now;
  return engine_->RecordFact(c, r);
}

absl::StatusOr<wpb::Case> EngineHarness::ServiceFact(
    const std::string& person, const std::string& case_id,
    const std::string& fact, const std::string& request_id,
    wpb::FactPayload payload) {
  wpb::RecordFactRequest r;
  r.set_name("cases/" + case_id);
  r.set_fact(fact);
  *r.mutable_payload() = std::move(payload);
  r.set_on_behalf_of(person);
  r.set_request_id(request_id.empty() ? NextRequestId() : request_id);
  return engine_->RecordFact(As("grantflowd", {"service"}), r);
}

absl::StatusOr<wpb::Case> EngineHarness::Decide(const Call& person,
                                                const std::string& case_id,
                                                const std::string& fact,
                                                wpb::FactPayload payload,
                                                const std::string& request_id) {
  wpb::RecordFactRequest r;
  r.set_name("cases/" + case_id);
  r.set_fact(fact);
  *r.mutable_payload() = std::move(payload);
  r.set_on_behalf_of(person.principal.user);
  *r.mutable_acting() = ActingOf(person.principal);
  r.set_request_id(request_id.empty() ? NextRequestId() : request_id);
  return engine_->RecordFact(As("grantflowd", {"service"}), r);
}

absl::Status EngineHarness::ToRecommended(const std::string& id) {
  for (const char* f : {"ELIGIBILITY_CHECK_STARTED", "ELIGIBLE", "SHORTLISTED",
                        "INTERVIEW_SCHEDULED", "RECOMMENDED"}) {
    auto c = ServiceFact("grace", id, f);
    if (!c.ok()) return c.status();
  }
  return absl::OkStatus();
}

absl::Status EngineHarness::ToChecksPassed(const std::string& id, int64_t pence,
                                           const std::string& line) {
  absl::Status s = ToRecommended(id);
  if (!s.ok()) return s;
  wpb::FactPayload award;
  award.set_amount_pence(pence);
  auto* a = award.add_allocations();
  a->set_budget_line(line);
  a->set_amount_pence(pence);
  auto c = Decide(Approver(), id, "AWARD_APPROVED", award);
  if (!c.ok()) return c.status();
  c = ServiceFact("grace", id, "CHECKS_STARTED");
  if (!c.ok()) return c.status();
  c = ServiceFact("grace", id, "DUE_DILIGENCE_PASSED");
  if (!c.ok()) return c.status();
  if (c->safeguarding_required()) {
    c = ServiceFact("sam", id, "SAFEGUARDING_PASSED");
    if (!c.ok()) return c.status();
  }
  return absl::OkStatus();
}

absl::Status EngineHarness::ToExecuted(const std::string& id,
                                       wpb::FactPayload execute_payload) {
  wpb::FactPayload doc;
  doc.set_document_sha256(kDocV1);
  auto c = Decide(Officer(), id, "AGREEMENT_ISSUED", doc);
  if (!c.ok()) return c.status();
  c = Decide(Signatory(), id, "AGREEMENT_SIGNED_BY_RECIPIENT", doc);
  if (!c.ok()) return c.status();
  execute_payload.set_document_sha256(kDocV1);
  c = Decide(Approver(), id, "AGREEMENT_EXECUTED", execute_payload);
  return c.status();
}

absl::StatusOr<wpb::Payment> EngineHarness::Authorize(
    const std::string& id, const std::string& payment_id, int64_t pence) {
  wpb::AuthorizePaymentRequest r;
  r.set_name("cases/" + id);
  r.set_payment_id(payment_id);
  r.set_amount_pence(pence);
  r.set_request_id(NextRequestId());
  r.set_requested_by("requester");
  const Call finance = Finance();
  r.set_on_behalf_of(finance.principal.user);
  *r.mutable_acting() = ActingOf(finance.principal);
  return engine_->AuthorizePayment(As("grantflowd", {"service"}), r);
}

absl::StatusOr<wpb::Payment> EngineHarness::Confirm(
    const std::string& id, const std::string& payment_id) {
  wpb::ConfirmPaymentRequest r;
  r.set_name("cases/" + id);
  r.set_payment_id(payment_id);
  r.set_request_id(NextRequestId());
  r.set_on_behalf_of(Finance().principal.user);
  return engine_->ConfirmPayment(As("grantflowd", {"service"}), r);
}

}  // namespace grantflow::testing
