#include "platform/personal_data.h"

#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "grantflow/agreements/v1/agreements.pb.h"
#include "grantflow/awards/v1/awards.pb.h"
#include "gtest/gtest.h"
#include "platform/resources.h"
#include "storage/key_coding.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/temp_dir.h"

namespace grantflow {
namespace {

namespace apb = ::grantflow::awards::v1;
namespace gpb = ::grantflow::agreements::v1;
namespace prv = ::grantflow::privacy::v1;
namespace wpb = ::grantflow::workflow::v1;

TEST(PersonalDataTest, PersonFieldsAreFoundAndErasedWhereverTheyNest) {
  gpb::Agreement a;
  a.set_ended_by("Kofi");          // stored as typed; compared canonically
  a.set_end_reason("kofi asked");  // not a person field
  gpb::Version* v = a.add_versions();
  v->mutable_recipient()->set_signer("kofi");
  v->mutable_funder()->set_signer("ade");
  v->set_issued_by("grace");
  a.add_reports()->set_submitted_by("kofi");
  EXPECT_TRUE(NamesPerson(a, "kofi"));
  EXPECT_TRUE(NamesPerson(a, "grace"));
  EXPECT_FALSE(NamesPerson(a, "amira"));
  EXPECT_FALSE(NamesPerson(a, ""));

  EXPECT_EQ(ErasePerson(&a, "kofi"), 3);
  EXPECT_EQ(a.ended_by(), kErased);
  EXPECT_EQ(a.versions(0).recipient().signer(), kErased);
  EXPECT_EQ(a.reports(0).submitted_by(), kErased);
  EXPECT_EQ(a.end_reason(), "kofi asked");
  EXPECT_EQ(a.versions(0).funder().signer(), "ade");
  EXPECT_EQ(a.versions(0).issued_by(), "grace");
  EXPECT_FALSE(NamesPerson(a, "kofi"));
  EXPECT_EQ(ErasePerson(&a, "kofi"), 0);
}

class EraseHoldingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::OpenStore(dir_.path());
    awards_ = std::make_unique<ProtoTable<apb::Award>>(store_.get(), "awards",
                                                       "award");
    call_.principal.user = "dpo";
    call_.method = "grantflow.privacy.v1.PrivacyService/ErasePersonalData";
    call_.now = now_;
    // A running bid; a funded grant closed seven years ago; a bid declined
    // a month ago.
    cases_["cases/running"].set_state("SHORTLISTED");
    wpb::Case& old = cases_["cases/old"];
    old.set_state("CLOSED");
    old.set_awarded_pence(500000);
    old.mutable_agreement()->set_executed(true);
    *old.mutable_update_time() = ToProto(now_ - absl::Hours(24 * 365 * 7));
    wpb::Case& recent = cases_["cases/recent"];
    recent.set_state("DECLINED");
    *recent.mutable_update_time() = ToProto(now_ - absl::Hours(24 * 30));
    lookup_ = [this](const std::string& name) -> absl::StatusOr<wpb::Case> {
      ++lookups_;
      auto it = cases_.find(name);
      if (it == cases_.end()) return absl::NotFoundError(name);
      return it->second;
    };
    Put("a1", "organisations/a", "cases/running");
    Put("a2", "organisations/a", "cases/old");
    Put("a3", "organisations/a", "cases/recent");
    Put("b1", "organisations/b", "cases/old");
  }

  void Put(const std::string& id, const std::string& org,
           const std::string& kase) {
    apb::Award a;
    a.set_name("awards/" + id);
    a.set_organisation(org);
    a.set_case_(kase);
    a.set_rationale("about the people of " + org);
    a.set_recommended_by("grace");
    storage::WriteSet w;
    awards_->Insert(w, Key(id), a);
    ASSERT_TRUE(store_->Commit(w).ok());
  }
  static std::string Key(const std::string& id) {
    std::string k;
    storage::AppendString(&k, id);
    return k;
  }
  apb::Award Get(const std::string& id) {
    return awards_->Get(Key(id), id).value().msg;
  }

  PersonalTable<apb::Award> Table() {
    PersonalTable<apb::Award> t;
    t.rows = awards_.get();
    t.kind = "award";
    t.about = OrganisationIs<apb::Award>;
    t.cases = CaseOf<apb::Award>;
    t.anonymise = [](apb::Award* a, const std::string&) {
      a->set_rationale(kErased);
    };
    return t;
  }

  prv::ErasePersonalDataRequest Request(const std::string& org) {
    prv::ErasePersonalDataRequest req;
    req.mutable_subject()->set_organisation(org);
    req.set_reason("asked");
    req.set_request_id("erase-1");
    return req;
  }

  std::map<std::string, std::string> Kept(
      const prv::ErasePersonalDataResponse& r) {
    std::map<std::string, std::string> out;
    for (const auto& k : r.kept()) out[k.resource()] = k.kept_because();
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<ProtoTable<apb::Award>> awards_;
  absl::Time now_ = testing::TestEpoch();
  Call call_;
  std::map<std::string, wpb::Case> cases_;
  int lookups_ = 0;
  CaseLookup lookup_;
};

TEST_F(EraseHoldingsTest, KeepsWhatTheCasesRequireAndErasesTheRestOnce) {
  std::vector<Holding> held;
  ASSERT_TRUE(
      AddHoldings(Table(), Request("organisations/a").subject(), &held).ok());
  ASSERT_EQ(held.size(), 3u);  // not b1
  // Something of the organisation's needed while anything else is kept,
  // and a record with nothing personal to erase.
  Holding contacts;
  contacts.record.set_resource("organisations/a");
  contacts.needed_while_kept = "its contacts are needed";
  contacts.erase = [](storage::WriteSet&) { FAIL() << "erased"; };
  held.push_back(contacts);
  Holding plain;
  plain.record.set_resource("plain/1");
  held.push_back(plain);
  Holding withdrawn;
  withdrawn.record.set_resource("withdrawn/1");
  withdrawn.unsuccessful_since = now_ - absl::Hours(24 * 400);
  withdrawn.erase = [](storage::WriteSet& w) { w.Put("t", "withdrawn", ""); };
  held.push_back(withdrawn);
  const uint64_t audits = testing::AuditCount(*store_);

  absl::StatusOr<prv::ErasePersonalDataResponse> r = EraseHoldings(
      *store_, call_, Request("organisations/a"), held, lookup_, Retention{});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Kept(*r),
            (std::map<std::string, std::string>{
                {"awards/a1", "a bid still being decided"},
                {"awards/a3",
                 "an unsuccessful bid's record, kept for its retention "
                 "period"},
                {"organisations/a", "its contacts are needed"},
                {"plain/1",
                 "nothing in it is personal beyond the organisation's name"}}));
  ASSERT_EQ(r->erased_size(), 2);
  EXPECT_EQ(r->erased(0).resource(), "awards/a2");
  EXPECT_EQ(r->erased(1).resource(), "withdrawn/1");
  for (const auto& k : r->kept()) {
    if (k.resource() == "awards/a3") {
      EXPECT_EQ(FromProto(k.keep_until()),
                now_ - absl::Hours(24 * 30) + Retention{}.unsuccessful);
    }
  }
  EXPECT_EQ(lookups_, 3);  // once per case
  EXPECT_EQ(Get("a2").rationale(), kErased);
  EXPECT_EQ(Get("a1").rationale(), "about the people of organisations/a");
  EXPECT_EQ(Get("a3").rationale(), "about the people of organisations/a");
  EXPECT_EQ(Get("b1").rationale(), "about the people of organisations/b");
  EXPECT_EQ(testing::AuditCount(*store_), audits + 1);

  // The same request again answers the same and writes nothing.
  absl::StatusOr<prv::ErasePersonalDataResponse> again = EraseHoldings(
      *store_, call_, Request("organisations/a"), held, lookup_, Retention{});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->SerializeAsString(), r->SerializeAsString());
  EXPECT_EQ(testing::AuditCount(*store_), audits + 1);
}

TEST_F(EraseHoldingsTest, ARecordKeptByAnyOfItsCasesIsKeptUntilTheLastLets) {
  int erased = 0;
  Holding h;
  h.record.set_resource("batch/1");
  h.cases = {"cases/old", "cases/recent"};
  h.erase = [&erased](storage::WriteSet&) { ++erased; };
  auto r = EraseHoldings(*store_, call_, Request("organisations/a"), {h},
                         lookup_, Retention{});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->kept_size(), 1);
  EXPECT_EQ(FromProto(r->kept(0).keep_until()),
            now_ - absl::Hours(24 * 30) + Retention{}.unsuccessful);
  EXPECT_EQ(erased, 0);
  // With a retention shorter than a month, neither case keeps it.
  prv::ErasePersonalDataRequest req = Request("organisations/a");
  req.set_request_id("erase-2");
  auto later = EraseHoldings(
      *store_, call_, req, {h}, lookup_,
      Retention{.unsuccessful = absl::Hours(24), .funded = absl::Hours(24)});
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_EQ(later->erased_size(), 1);
  EXPECT_EQ(erased, 1);
}

TEST_F(EraseHoldingsTest, RefusedWithoutWritingWhenTheEngineCannotAnswer) {
  std::vector<Holding> held;
  ASSERT_TRUE(
      AddHoldings(Table(), Request("organisations/a").subject(), &held).ok());
  const uint64_t audits = testing::AuditCount(*store_);
  auto r = EraseHoldings(
      *store_, call_, Request("organisations/a"), held,
      [](const std::string&) -> absl::StatusOr<wpb::Case> {
        return absl::UnavailableError("engine down");
      },
      Retention{});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(testing::AuditCount(*store_), audits);
  EXPECT_EQ(Get("a2").rationale(), "about the people of organisations/a");
}

TEST_F(EraseHoldingsTest, ARecordChangedSinceItWasReadIsNotOverwritten) {
  std::vector<Holding> held;
  ASSERT_TRUE(
      AddHoldings(Table(), Request("organisations/a").subject(), &held).ok());
  // a2 changes between the read and the erasure.
  apb::Award a2 = Get("a2");
  a2.set_rationale("revised");
  storage::WriteSet w;
  awards_->Replace(w, Key("a2"), a2, 1);
  ASSERT_TRUE(store_->Commit(w).ok());
  const uint64_t audits = testing::AuditCount(*store_);
  auto r = EraseHoldings(*store_, call_, Request("organisations/a"), held,
                         lookup_, Retention{});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(Get("a2").rationale(), "revised");
  EXPECT_EQ(testing::AuditCount(*store_), audits);
}

TEST_F(EraseHoldingsTest, APersonIsTakenOffTheRowsNamingThem) {
  std::vector<Holding> held;
  prv::Subject grace;
  grace.set_user("Grace");
  ASSERT_TRUE(AddHoldings(Table(), grace, &held).ok());
  ASSERT_EQ(held.size(), 4u);  // every award she recommended
  prv::ErasePersonalDataRequest req = Request("");
  *req.mutable_subject() = grace;
  auto r = EraseHoldings(*store_, call_, req, held, lookup_, Retention{});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->erased_size(), 2);  // a2 and b1: the old grant's
  EXPECT_EQ(Get("a2").recommended_by(), kErased);
  EXPECT_EQ(Get("b1").recommended_by(), kErased);
  EXPECT_EQ(Get("a2").rationale(), "about the people of organisations/a");
  EXPECT_EQ(Get("a1").recommended_by(), "grace");
}

}  // namespace
}  // namespace grantflow
