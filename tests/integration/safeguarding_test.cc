// SafeguardingService through gRPC on a real port, with every service
// hosted: an approved award for a project with children opens a required
// check; the agreement waits for it; only safeguarding officers read it and
// every read is in the access log and the audit log; conditions hold up
// payment until a safeguarding officer clears them; a failed check lapses
// the award; an officer may require a check the application did not; DBS
// records are gone once the purge timer fires, across a restart, and the
// purge is audited without the purged data.
#include "services/safeguarding/safeguarding.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grantflow/safeguarding/v1/safeguarding.grpc.pb.h"
#include "gtest/gtest.h"
#include "platform/resources.h"
#include "tests/adversarial/rig.h"

namespace grantflow::testing {
namespace {

namespace gpb = ::grantflow::safeguarding::v1;
using ::grpc::StatusCode;
using ::testing::Contains;
using ::testing::HasSubstr;

constexpr char kDocument[] =
    "4444444444444444444444444444444444444444444444444444444444444444";
constexpr char kCertificate[] = "001234567890";

class SafeguardingTest : public ::testing::Test {
 protected:
  gpb::SafeguardingService::Stub& Sg() {
    // A fresh stub each time: the rig's channel changes when it restarts.
    sg_ = gpb::SafeguardingService::NewStub(rig_.channel());
    return *sg_;
  }

  // An award of `pence` approved by ade; the engine's outbox opens its
  // checks. `children`: what the application says.
  std::string Approved(int64_t pence, const std::string& suffix,
                       bool children = true) {
    apb::Application draft = CompleteApplication(kOpenRound, kHackney, pence);
    draft.set_works_with_children(children);
    draft.set_works_with_adults_at_risk(false);
    const std::string c = rig_.SubmitCase(draft, suffix);
    rig_.ToRecommended(c);
    grpc::Status s = rig_.Decide(rig_.approver, c, rig_.Award(pence));
    EXPECT_TRUE(s.ok()) << s.error_message();
    rig_.Background();
    return c;
  }

  static std::string CheckOf(const std::string& c) {
    return "safeguardingChecks/" + c.substr(std::string("cases/").size());
  }

  grpc::Status Get(const std::string& token, const std::string& check,
                   gpb::SafeguardingCheck* out) {
    gpb::GetCheckRequest req;
    req.set_name(check);
    return Sg().GetCheck(rig_.Ctx(token).get(), req, out);
  }
  gpb::SafeguardingCheck Get(const std::string& check) {
    gpb::SafeguardingCheck out;
    grpc::Status s = Get(rig_.safeguarding, check, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  static gpb::Item Good(gpb::ItemKind kind) {
    gpb::Item it;
    it.set_kind(kind);
    it.set_result(gpb::SATISFACTORY);
    it.add_evidence(absl::StrCat("doc-", gpb::ItemKind_Name(kind)));
    switch (kind) {
      case gpb::POLICY:
        it.set_policy_reviewed_date("2025-11-01");
        break;
      case gpb::DESIGNATED_LEAD:
        it.set_lead_name("Halima Yusuf");
        it.set_lead_role("Family support coordinator");
        break;
      case gpb::TRAINING:
        it.set_training_date("2025-12-12");
        break;
      case gpb::INCIDENT_REPORTING:
        it.set_notes("to the lead the same day; to the borough's MASH");
        break;
      default:
        break;
    }
    return it;
  }

  grpc::Status Record(const std::string& token, const std::string& check,
                      const gpb::Item& item) {
    gpb::RecordItemRequest req;
    req.set_check(check);
    *req.mutable_item() = item;
    req.set_request_id(rig_.NextId());
    gpb::SafeguardingCheck ignored;
    return Sg().RecordItem(rig_.Ctx(token).get(), req, &ignored);
  }

  static gpb::DbsRecord Dbs(const std::string& certificate = kCertificate) {
    gpb::DbsRecord r;
    r.set_certificate_number(certificate);
    r.set_issue_date("2025-10-02");
    r.set_level(gpb::ENHANCED_WITH_BARRED_LISTS);
    r.set_role("Session volunteer");
    r.set_decision(gpb::DbsRecord::SUITABLE);
    return r;
  }

  grpc::Status AddDbs(const std::string& token, const std::string& check,
                      const std::string& id, const gpb::DbsRecord& r) {
    gpb::AddDbsRecordRequest req;
    req.set_check(check);
    req.set_record_id(id);
    *req.mutable_record() = r;
    req.set_request_id(rig_.NextId());
    gpb::AddDbsRecordResponse ignored;
    return Sg().AddDbsRecord(rig_.Ctx(token).get(), req, &ignored);
  }

  grpc::Status ListDbs(const std::string& token, const std::string& check,
                       gpb::ListDbsRecordsResponse* out) {
    gpb::ListDbsRecordsRequest req;
    req.set_check(check);
    return Sg().ListDbsRecords(rig_.Ctx(token).get(), req, out);
  }

  // Every item satisfactory, with one DBS record.
  void Complete(const std::string& check) {
    ASSERT_TRUE(AddDbs(rig_.safeguarding, check, "volunteer-1", Dbs()).ok());
    for (gpb::ItemKind k : {gpb::POLICY, gpb::DESIGNATED_LEAD, gpb::DBS_CHECKS,
                            gpb::TRAINING, gpb::INCIDENT_REPORTING}) {
      grpc::Status s = Record(rig_.safeguarding, check, Good(k));
      ASSERT_TRUE(s.ok()) << gpb::ItemKind_Name(k) << ": " << s.error_message();
    }
  }

  grpc::Status Conclude(const std::string& check,
                        gpb::ConcludeCheckRequest::Outcome outcome,
                        const std::string& reason,
                        std::vector<std::string> conditions = {},
                        gpb::SafeguardingCheck* out = nullptr) {
    gpb::ConcludeCheckRequest req;
    req.set_check(check);
    req.set_outcome(outcome);
    req.set_reason(reason);
    for (const std::string& id : conditions) {
      auto* k = req.add_conditions();
      k->set_id(id);
      k->set_description("DBS checks for the two new volunteers");
    }
    req.set_request_id(rig_.NextId());
    gpb::SafeguardingCheck ignored;
    return Sg().ConcludeCheck(rig_.Ctx(rig_.safeguarding).get(), req,
                              out ? out : &ignored);
  }

  std::vector<gpb::AccessEntry> AccessLog(const std::string& check) {
    gpb::ListAccessLogRequest req;
    req.set_check(check);
    req.set_page_size(100);
    gpb::ListAccessLogResponse out;
    grpc::Status s = Sg().ListAccessLog(
        rig_.Ctx(rig_.minter().Token("aud", {"auditor"})).get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {out.entries().begin(), out.entries().end()};
  }

  grpc::Status Issue(const std::string& c) {
    wpb::FactPayload doc;
    doc.set_document_sha256(kDocument);
    return rig_.ActingFact(rig_.officer, c, "AGREEMENT_ISSUED", doc);
  }

  Rig rig_;
  std::unique_ptr<gpb::SafeguardingService::Stub> sg_;
};

TEST(PurgeTimeTest, SixCalendarMonthsAfterTheOutcome) {
  auto at = [](const char* s) {
    absl::Time t;
    std::string err;
    EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, s, &t, &err)) << err;
    return t;
  };
  using safeguarding::PurgeTimeFor;
  EXPECT_EQ(PurgeTimeFor(at("2026-11-24T10:30:00Z")),
            at("2027-05-24T10:30:00Z"));
  EXPECT_EQ(PurgeTimeFor(at("2026-08-31T09:00:00Z")),
            at("2027-02-28T09:00:00Z"));  // February is shorter
  EXPECT_EQ(PurgeTimeFor(at("2027-08-31T00:00:00Z")),
            at("2028-02-29T00:00:00Z"));  // a leap year
  EXPECT_EQ(PurgeTimeFor(at("2026-07-15T00:00:00Z")),
            at("2027-01-15T00:00:00Z"));  // across the year
}

TEST_F(SafeguardingTest, AChildrensProjectsCheckGatesTheAgreement) {
  const std::string c = Approved(2'500'000, "kids");
  const std::string check = CheckOf(c);
  const gpb::SafeguardingCheck got = Get(check);
  EXPECT_EQ(got.state(), gpb::SafeguardingCheck::OPEN);
  EXPECT_THAT(got.required_because(), HasSubstr("children"));
  EXPECT_EQ(got.items_size(), 5);
  EXPECT_EQ(rig_.Case(c).state(), "PRE_AGREEMENT_CHECKS");
  ASSERT_TRUE(rig_.ServiceFact("grace", c, "DUE_DILIGENCE_PASSED").ok());
  grpc::Status s = Issue(c);
  EXPECT_EQ(ReasonOf(s), "CHECKS_INCOMPLETE");
  EXPECT_THAT(s.error_message(), HasSubstr("safeguarding"));
  // DBS checks are satisfactory only with the records to show for it.
  s = Record(rig_.safeguarding, check, Good(gpb::DBS_CHECKS));
  EXPECT_EQ(ReasonOf(s), "ITEMS_INCOMPLETE");
  s = Conclude(check, gpb::ConcludeCheckRequest::PASSED, "");
  EXPECT_EQ(ReasonOf(s), "ITEMS_INCOMPLETE");
  Complete(check);
  gpb::SafeguardingCheck passed;
  ASSERT_TRUE(
      Conclude(check, gpb::ConcludeCheckRequest::PASSED, "", {}, &passed).ok());
  EXPECT_EQ(passed.state(), gpb::SafeguardingCheck::PASSED);
  EXPECT_EQ(passed.dbs_records(), 1);
  EXPECT_EQ(FromProto(passed.dbs_purge_time()),
            safeguarding::PurgeTimeFor(TestEpoch()));
  EXPECT_TRUE(rig_.Case(c).safeguarding_passed());
  EXPECT_TRUE(Issue(c).ok());
  // A concluded check takes no more records.
  s = AddDbs(rig_.safeguarding, check, "late", Dbs());
  EXPECT_EQ(ReasonOf(s), "CHECK_NOT_OPEN");
}

TEST_F(SafeguardingTest, OnlySafeguardingOfficersReadAndEveryReadIsLogged) {
  Attacks attacks("R7 (safeguarding details)");
  const std::string c = Approved(2'000'000, "reads");
  const std::string check = CheckOf(c);
  ASSERT_TRUE(AddDbs(rig_.safeguarding, check, "lead", Dbs()).ok());
  const size_t before = AccessLog(check).size();
  gpb::SafeguardingCheck ignored;
  gpb::ListDbsRecordsResponse records;
  gpb::ListChecksRequest list;
  list.set_state(gpb::SafeguardingCheck::OPEN);
  gpb::ListChecksResponse listed;
  for (const std::string& token :
       {rig_.officer, rig_.approver, rig_.admin, rig_.finance, rig_.moderator,
        rig_.minter().Token("ola", {"assessor"}),
        rig_.minter().Token("aud", {"auditor"}), rig_.amira, rig_.kofi,
        std::string()}) {
    const StatusCode code = token.empty() ? StatusCode::UNAUTHENTICATED
                                          : StatusCode::PERMISSION_DENIED;
    attacks.Refused("reading a check", Get(token, check, &ignored), code);
    attacks.Refused("reading DBS records", ListDbs(token, check, &records),
                    code);
    attacks.Refused("listing checks",
                    Sg().ListChecks(rig_.Ctx(token).get(), list, &listed),
                    code);
    attacks.Refused("adding a DBS record",
                    AddDbs(token, check, "sneaky", Dbs()), code);
  }
  // A grants officer holding a second role still is no safeguarding officer.
  attacks.Refused(
      "reading as grants officer and approver",
      Get(rig_.minter().Token("gail", {"grants_officer", "approver"}), check,
          &ignored),
      StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(AccessLog(check).size(), before) << "a refused read was logged";
  // ... and a refused write wrote nothing.
  const gpb::SafeguardingCheck unchanged = Get(check);
  EXPECT_EQ(unchanged.dbs_records(), 1);
  EXPECT_EQ(unchanged.etag(), "2");  // opened, one record added
  // Each of sam's reads is logged with who, how and when.
  ASSERT_TRUE(Get(rig_.safeguarding, check, &ignored).ok());
  rig_.clock().Advance(absl::Minutes(5));
  ASSERT_TRUE(ListDbs(rig_.safeguarding, check, &records).ok());
  ASSERT_EQ(records.records_size(), 1);
  EXPECT_EQ(records.records(0).certificate_number(), kCertificate);
  ASSERT_TRUE(
      Sg().ListChecks(rig_.Ctx(rig_.safeguarding).get(), list, &listed).ok());
  const std::vector<gpb::AccessEntry> log = AccessLog(check);
  ASSERT_EQ(log.size(), before + 4);
  std::vector<std::string> methods;
  for (size_t i = before; i < log.size(); ++i) {
    EXPECT_EQ(log[i].user(), "sam");
    methods.push_back(log[i].method().substr(log[i].method().rfind('/') + 1));
  }
  EXPECT_THAT(methods, Contains("GetCheck"));
  EXPECT_THAT(methods, Contains("ListDbsRecords"));
  EXPECT_THAT(methods, Contains("ListChecks"));
  EXPECT_EQ(FromProto(log.back().time()), TestEpoch() + absl::Minutes(5));
}

TEST_F(SafeguardingTest, BadInputGetsTheFieldAndWritesNothing) {
  Attacks attacks("safeguarding input");
  const std::string c = Approved(2'000'000, "bad");
  const std::string check = CheckOf(c);
  const gpb::SafeguardingCheck before = Get(check);
  auto dbs_refused = [&](const std::string& what, const gpb::DbsRecord& r,
                         const std::string& field,
                         const std::string& id = "v1") {
    grpc::Status s = AddDbs(rig_.safeguarding, check, id, r);
    attacks.Refused(what, s, StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(FieldsOf(s), Contains(field)) << what;
  };
  gpb::DbsRecord r = Dbs("12345678901");
  dbs_refused("an 11-digit certificate", r, "record.certificate_number");
  r = Dbs("00123456789X");
  dbs_refused("a certificate with a letter", r, "record.certificate_number");
  r = Dbs();
  r.set_issue_date("2027-01-01");
  dbs_refused("a certificate issued in the future", r, "record.issue_date");
  r = Dbs();
  r.set_level(gpb::DBS_LEVEL_UNSPECIFIED);
  dbs_refused("no level", r, "record.level");
  r = Dbs();
  r.set_role(std::string(101, 'r'));
  dbs_refused("a role of 101 characters", r, "record.role");
  r = Dbs();
  r.set_role(std::string(1'000'000, 'r'));
  dbs_refused("a megabyte of role", r, "record.role");
  r = Dbs();
  r.set_decision(static_cast<gpb::DbsRecord::Decision>(9));
  dbs_refused("an unknown decision", r, "record.decision");
  r = Dbs();
  r.set_name(check + "/dbsRecords/other");
  dbs_refused("an output-only name", r, "record.name");
  dbs_refused("a bad record id", Dbs(), "record_id", "Not An Id");
  auto item_refused = [&](const std::string& what, const gpb::Item& it,
                          const std::string& field) {
    grpc::Status s = Record(rig_.safeguarding, check, it);
    attacks.Refused(what, s, StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(FieldsOf(s), Contains(field)) << what;
  };
  gpb::Item it = Good(gpb::POLICY);
  it.set_policy_reviewed_date("2030-01-01");
  item_refused("a policy reviewed in the future", it,
               "item.policy_reviewed_date");
  it = Good(gpb::DESIGNATED_LEAD);
  it.clear_lead_name();
  item_refused("a lead without a name", it, "item.lead_name");
  it = Good(gpb::TRAINING);
  it.set_lead_name("someone");
  item_refused("a field of another item", it, "item.lead_name");
  it = Good(gpb::INCIDENT_REPORTING);
  it.clear_notes();
  item_refused("incident reporting without saying how", it, "item.notes");
  it.set_kind(static_cast<gpb::ItemKind>(42));
  item_refused("an unknown item", it, "item.kind");
  grpc::Status s = Conclude(check, gpb::ConcludeCheckRequest::FAILED, "");
  attacks.Refused("a failure without a reason", s,
                  StatusCode::INVALID_ARGUMENT);
  gpb::ClearConditionRequest clear;
  clear.set_check(check);
  clear.set_condition_id("not-here");
  clear.set_note("done");
  clear.set_request_id("clear-1");
  gpb::SafeguardingCheck ignored;
  attacks.Refused(
      "clearing a condition the check does not have",
      Sg().ClearCondition(rig_.Ctx(rig_.safeguarding).get(), clear, &ignored),
      StatusCode::NOT_FOUND);
  attacks.Refused("a check that does not exist",
                  Get(rig_.safeguarding, "safeguardingChecks/nobody", &ignored),
                  StatusCode::NOT_FOUND);
  // The same record id twice.
  ASSERT_TRUE(AddDbs(rig_.safeguarding, check, "v1", Dbs()).ok());
  attacks.Refused("a record id used twice",
                  AddDbs(rig_.safeguarding, check, "v1", Dbs("009999999999")),
                  StatusCode::ALREADY_EXISTS);
  const gpb::SafeguardingCheck after = Get(check);
  EXPECT_EQ(after.dbs_records(), 1);
  EXPECT_EQ(after.items(0).result(), gpb::RESULT_UNSPECIFIED);
  EXPECT_EQ(std::stoi(after.etag()), std::stoi(before.etag()) + 1);
}

TEST_F(SafeguardingTest,
       AConditionBlocksPaymentUntilASafeguardingOfficerClears) {
  const std::string c = Approved(2'000'000, "cond");
  const std::string check = CheckOf(c);
  Complete(check);
  ASSERT_TRUE(Conclude(check, gpb::ConcludeCheckRequest::PASSED_WITH_CONDITIONS,
                       "two volunteers start next month", {"new-volunteers"})
                  .ok());
  wpb::Case kase = rig_.Case(c);
  ASSERT_EQ(kase.conditions_size(), 1);
  EXPECT_EQ(kase.conditions(0).id(), "sg-new-volunteers");
  EXPECT_EQ(kase.conditions(0).source(), "SAFEGUARDING");
  ASSERT_TRUE(rig_.ServiceFact("grace", c, "DUE_DILIGENCE_PASSED").ok());
  rig_.ToExecuted(c);
  EXPECT_EQ(ReasonOf(rig_.Authorize(rig_.finance, c, "p1", 500'000)),
            "CONDITIONS_OPEN");
  gpb::ClearConditionRequest clear;
  clear.set_check(check);
  clear.set_condition_id("new-volunteers");
  clear.set_note("both DBS certificates seen");
  clear.set_request_id("clear");
  gpb::SafeguardingCheck out;
  EXPECT_EQ(Sg().ClearCondition(rig_.Ctx(rig_.officer).get(), clear, &out)
                .error_code(),
            StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(rig_.Case(c).conditions(0).open());
  ASSERT_TRUE(
      Sg().ClearCondition(rig_.Ctx(rig_.safeguarding).get(), clear, &out).ok());
  EXPECT_FALSE(out.conditions(0).open());
  EXPECT_FALSE(rig_.Case(c).conditions(0).open());
  EXPECT_TRUE(rig_.Authorize(rig_.finance, c, "p1", 500'000).ok());
}

TEST_F(SafeguardingTest, AFailedCheckLapsesTheAwardAndVoidsTheReservation) {
  const int64_t reserved = rig_.Ledger(kLineA).reserved_pence();
  const std::string c = Approved(3'000'000, "fail");
  EXPECT_EQ(rig_.Ledger(kLineA).reserved_pence(), reserved + 3'000'000);
  gpb::SafeguardingCheck failed;
  ASSERT_TRUE(Conclude(CheckOf(c), gpb::ConcludeCheckRequest::FAILED,
                       "no designated lead and no DBS checks for volunteers",
                       {}, &failed)
                  .ok());
  EXPECT_EQ(failed.state(), gpb::SafeguardingCheck::FAILED);
  EXPECT_TRUE(failed.has_dbs_purge_time());
  EXPECT_EQ(rig_.Case(c).state(), "LAPSED");
  EXPECT_EQ(rig_.Ledger(kLineA).reserved_pence(), reserved);
}

TEST_F(SafeguardingTest, AnOfficerMayRequireACheckTheApplicationDidNot) {
  const std::string c = Approved(2'000'000, "adults", /*children=*/false);
  const std::string check = CheckOf(c);
  EXPECT_EQ(Get(check).state(), gpb::SafeguardingCheck::NOT_REQUIRED);
  EXPECT_FALSE(rig_.Case(c).safeguarding_required());
  EXPECT_EQ(ReasonOf(Record(rig_.safeguarding, check, Good(gpb::POLICY))),
            "CHECK_NOT_OPEN");
  gpb::MarkRequiredRequest mark;
  mark.set_check(check);
  mark.set_request_id("mark");
  gpb::MarkRequiredResponse marked;
  EXPECT_EQ(Sg().MarkRequired(rig_.Ctx(rig_.officer).get(), mark, &marked)
                .error_code(),
            StatusCode::INVALID_ARGUMENT);  // no reason
  mark.set_reason("the sessions include a crèche");
  EXPECT_EQ(
      Sg().MarkRequired(rig_.Ctx(rig_.amira).get(), mark, &marked).error_code(),
      StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(
      Sg().MarkRequired(rig_.Ctx(rig_.officer).get(), mark, &marked).ok());
  EXPECT_TRUE(marked.required());
  EXPECT_TRUE(rig_.Case(c).safeguarding_required());
  const gpb::SafeguardingCheck now = Get(check);
  EXPECT_EQ(now.state(), gpb::SafeguardingCheck::OPEN);
  EXPECT_THAT(now.required_because(), HasSubstr("grace"));
  ASSERT_TRUE(rig_.ServiceFact("grace", c, "DUE_DILIGENCE_PASSED").ok());
  EXPECT_EQ(ReasonOf(Issue(c)), "CHECKS_INCOMPLETE");
  // Nobody sets it at the engine directly.
  EXPECT_EQ(rig_.Fact(rig_.officer, c, "SAFEGUARDING_REQUIRED").error_code(),
            StatusCode::PERMISSION_DENIED);
}

TEST_F(SafeguardingTest, DbsRecordsArePurgedByADurableTimerAcrossARestart) {
  const std::string c = Approved(2'000'000, "purge");
  const std::string check = CheckOf(c);
  Complete(check);
  ASSERT_TRUE(
      AddDbs(rig_.safeguarding, check, "volunteer-2", Dbs("009876543210"))
          .ok());
  ASSERT_TRUE(Conclude(check, gpb::ConcludeCheckRequest::PASSED, "").ok());
  const absl::Time due = safeguarding::PurgeTimeFor(TestEpoch());
  // A day early: nothing goes.
  rig_.clock().Advance(due - TestEpoch() - absl::Hours(24));
  rig_.Background();
  gpb::ListDbsRecordsResponse records;
  ASSERT_TRUE(ListDbs(rig_.safeguarding, check, &records).ok());
  EXPECT_EQ(records.records_size(), 2);
  // The process stops; it comes back after the day has passed.
  rig_.Restart();
  rig_.clock().Advance(absl::Hours(24));
  rig_.Background();
  records.Clear();
  ASSERT_TRUE(ListDbs(rig_.safeguarding, check, &records).ok());
  EXPECT_EQ(records.records_size(), 0);
  const gpb::SafeguardingCheck purged = Get(check);
  EXPECT_TRUE(purged.dbs_purged());
  EXPECT_EQ(purged.dbs_records(), 0);
  EXPECT_EQ(purged.state(), gpb::SafeguardingCheck::PASSED);
  // Purged once: a later pass finds nothing to do.
  rig_.Background();
  EXPECT_EQ(Get(check).etag(), purged.etag());

  // The audit log records the purge and every read, and never the data.
  rig_.Stop();
  auto store = OpenStore(rig_.data_dir() + "/safeguarding");
  ASSERT_NE(store, nullptr);
  auto audit = store->ReadAudit(1, 100'000);
  ASSERT_TRUE(audit.ok()) << audit.status();
  bool purge_logged = false;
  int reads = 0;
  for (const auto& e : *audit) {
    const std::string all = e.DebugString();
    EXPECT_EQ(all.find(kCertificate), std::string::npos) << all;
    EXPECT_EQ(all.find("009876543210"), std::string::npos) << all;
    EXPECT_EQ(all.find("Session volunteer"), std::string::npos) << all;
    EXPECT_EQ(all.find("Halima"), std::string::npos) << all;
    if (e.resource() == check &&
        e.details().find("DBS records purged: 2") != std::string::npos) {
      purge_logged = true;
    }
    if (e.details() == "read safeguarding details") ++reads;
  }
  EXPECT_TRUE(purge_logged);
  EXPECT_GE(reads, 4);
  auto chain = store->VerifyAuditChain();
  ASSERT_TRUE(chain.ok());
  EXPECT_TRUE(chain->ok) << chain->problem;
}

}  // namespace
}  // namespace grantflow::testing
