// Personal data through the host's PrivacyService: a subject access export
// of everything held about an organisation or a person, and erasure that
// removes or anonymises what the funder need not keep, keeping a funded
// grant's records and, for its retention period, an unsuccessful
// application's.
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grantflow/applications/v1/applications.pb.h"
#include "grantflow/privacy/v1/privacy.pb.h"
#include "gtest/gtest.h"
#include "tests/adversarial/over_grpc.h"

namespace grantflow {
namespace {

namespace prv = ::grantflow::privacy::v1;
namespace apb = ::grantflow::applications::v1;
using testing::IdOf;
using testing::Ok;

class PrivacyTest : public testing::OverGrpcTest {
 protected:
  PrivacyTest() : OverGrpcTest("personal data") {}

  prv::ExportPersonalDataResponse Export(const std::string& subject) {
    prv::ExportPersonalDataResponse out;
    EXPECT_TRUE(
        Ok(Call("privacy.v1.PrivacyService/ExportPersonalData",
                absl::StrCat("subject { ", subject, " }"), admin_, &out)));
    return out;
  }
  prv::ErasePersonalDataResponse Erase(const std::string& subject) {
    prv::ErasePersonalDataResponse out;
    EXPECT_TRUE(Ok(Call("privacy.v1.PrivacyService/ErasePersonalData",
                        absl::StrCat("subject { ", subject,
                                     " } reason: 'the group asked us to erase "
                                     "its data' request_id: '",
                                     rig_.NextId(), "'"),
                        admin_, &out)));
    return out;
  }
  // resource -> kind of each record, and the set kept with why.
  static std::map<std::string, std::string> Kinds(
      const google::protobuf::RepeatedPtrField<prv::PersonalRecord>& rs) {
    std::map<std::string, std::string> out;
    for (const auto& r : rs) out[r.resource()] = r.kind();
    return out;
  }
  apb::Application App(const std::string& name) {
    apb::Application a;
    EXPECT_TRUE(Ok(Call("applications.v1.ApplicationService/GetApplication",
                        absl::StrCat("name: '", name, "'"), officer_, &a)));
    return a;
  }
  void Answer(const std::string& app) {
    ASSERT_TRUE(Ok(Call(
        "applications.v1.ApplicationService/UpdateEqualityMonitoring",
        absl::StrCat("equality_monitoring { name: '", app,
                     "/equalityMonitoring' led_by: 'Women' } request_id: '",
                     rig_.NextId(), "'"),
        rig_.amira)));
  }
  // Tokens that outlive the clock's jump of a year.
  void AYearAndADayLater() {
    rig_.clock().Advance(absl::Hours(24 * 366));
    admin_ = rig_.minter().Token("root", {"admin"}, "", absl::Hours(24 * 800));
    officer_ = rig_.minter().Token("grace", {"grants_officer"}, "",
                                   absl::Hours(24 * 800));
  }
  std::string admin_ = rig_.admin, officer_ = rig_.officer;
};

TEST_F(PrivacyTest, ExportThenEraseKeepsOnlyWhatTheFunderMustKeep) {
  // Hackney Family Network: a draft, a withdrawn bid, and a funded grant.
  apb::Application draft;
  const apb::Application body = testing::CompleteApplication(
      testing::kOpenRound, testing::kHackney, 2'000'000);
  ASSERT_TRUE(Ok(Call("applications.v1.ApplicationService/CreateApplication",
                      "request_id: 'draft'", rig_.amira, &draft, &body)));
  const std::string withdrawn =
      "applications/" + IdOf(rig_.NewCase(2'000'000, "w"));
  ASSERT_TRUE(
      Ok(Call("applications.v1.ApplicationService/WithdrawApplication",
              absl::StrCat("name: '", withdrawn,
                           "' reason: 'Lost our venue' request_id: 'w'"),
              rig_.amira)));
  const std::string funded_case = rig_.NewCase(2'000'000, "f");
  rig_.ToChecksPassed(funded_case, 2'000'000);
  rig_.ToExecuted(funded_case);
  const std::string funded = "applications/" + IdOf(funded_case);
  Answer(withdrawn);
  Answer(funded);

  // Subject access: everything held about the organisation.
  const auto all =
      Kinds(Export(absl::StrCat("organisation: '", testing::kHackney, "'"))
                .records());
  EXPECT_EQ(all.at(testing::kHackney), "organisation");
  EXPECT_EQ(all.at(draft.name()), "application");
  EXPECT_EQ(all.at(withdrawn), "application");
  EXPECT_EQ(all.at(funded), "application");
  EXPECT_EQ(all.at(withdrawn + "/equalityMonitoring"), "equality answers");
  EXPECT_EQ(all.at(funded + "/equalityMonitoring"), "equality answers");
  // ... and about a person: amira drafted all three, and is a member.
  const auto hers = Kinds(Export("user: 'Amira'").records());
  EXPECT_TRUE(hers.contains(draft.name()));
  EXPECT_TRUE(hers.contains(testing::kHackney));

  // Erasure: the draft and every equality answer go; the withdrawn bid is
  // kept for its year, the funded grant while it runs, and so the
  // organisation's contacts.
  const prv::ErasePersonalDataResponse first =
      Erase(absl::StrCat("organisation: '", testing::kHackney, "'"));
  const auto erased = Kinds(first.erased());
  EXPECT_TRUE(erased.contains(draft.name()));
  EXPECT_TRUE(erased.contains(withdrawn + "/equalityMonitoring"));
  EXPECT_TRUE(erased.contains(funded + "/equalityMonitoring"));
  std::map<std::string, std::string> kept;
  for (const auto& r : first.kept()) kept[r.resource()] = r.kept_because();
  EXPECT_TRUE(absl::StrContains(kept.at(withdrawn), "retention"));
  EXPECT_TRUE(absl::StrContains(kept.at(funded), "funded grant"));
  EXPECT_TRUE(kept.contains(testing::kHackney));
  EXPECT_EQ(App(draft.name()).title(), "[erased]");
  EXPECT_EQ(App(draft.name()).summary(), "");
  EXPECT_NE(App(withdrawn).title(), "[erased]");
  EXPECT_EQ(App(funded).title(), body.title());
  apb::EqualityMonitoring em;
  ASSERT_TRUE(
      Ok(Call("applications.v1.ApplicationService/GetEqualityMonitoring",
              absl::StrCat("name: '", funded, "/equalityMonitoring'"),
              rig_.amira, &em)));
  EXPECT_EQ(em.led_by_size(), 0) << "equality answers are never kept";

  // Only the data protection lead (admin) exports or erases.
  for (const auto& [role, token] : rig_.EveryRole()) {
    if (role == "admin") continue;
    attacks_.Refused(absl::StrCat("a subject access export as ",
                                  role.empty() ? "nobody" : role),
                     Call("privacy.v1.PrivacyService/ExportPersonalData",
                          absl::StrCat("subject { organisation: '",
                                       testing::kHackney, "' }"),
                          token),
                     role.empty() ? grpc::StatusCode::UNAUTHENTICATED
                                  : grpc::StatusCode::PERMISSION_DENIED);
  }
  attacks_.Refused(
      "a subject naming both a person and an organisation",
      Call("privacy.v1.PrivacyService/ErasePersonalData",
           absl::StrCat("subject { user: 'amira' organisation: '",
                        testing::kHackney, "' } reason: 'x' request_id: 'b'"),
           rig_.admin),
      grpc::StatusCode::INVALID_ARGUMENT);

  // A year and a day later the withdrawn bid goes too; the running grant
  // and the contacts it needs stay.
  AYearAndADayLater();
  const prv::ErasePersonalDataResponse second =
      Erase(absl::StrCat("organisation: '", testing::kHackney, "'"));
  EXPECT_TRUE(Kinds(second.erased()).contains(withdrawn));
  EXPECT_TRUE(Kinds(second.kept()).contains(funded));
  EXPECT_EQ(App(withdrawn).title(), "[erased]");
  EXPECT_EQ(App(funded).title(), body.title());
}

TEST_F(PrivacyTest, AnOrganisationWithNothingKeptIsAnonymised) {
  // Peckham Arts only ever drafted.
  apb::Application draft;
  const apb::Application body = testing::CompleteApplication(
      testing::kOpenRound, testing::kPeckham, 2'000'000);
  ASSERT_TRUE(Ok(Call("applications.v1.ApplicationService/CreateApplication",
                      "request_id: 'draft'", rig_.tom, &draft, &body)));
  const prv::ErasePersonalDataResponse out =
      Erase(absl::StrCat("organisation: '", testing::kPeckham, "'"));
  EXPECT_EQ(out.kept_size(), 0);
  EXPECT_TRUE(Kinds(out.erased()).contains(testing::kPeckham));
  apb::Organisation org;
  ASSERT_TRUE(Ok(Call("applications.v1.ApplicationService/GetOrganisation",
                      absl::StrCat("name: '", testing::kPeckham, "'"),
                      rig_.admin, &org)));
  ASSERT_GE(org.contacts_size(), 1);
  for (const auto& c : org.contacts()) {
    EXPECT_EQ(c.full_name(), "[erased]");
    EXPECT_EQ(c.email(), "");
    EXPECT_EQ(c.phone(), "");
  }
  EXPECT_EQ(org.address().line1(), "");
  EXPECT_EQ(org.member_users_size(), 0);
  // The record of who erased what, and why, without what it said.
  const auto exported =
      Export(absl::StrCat("organisation: '", testing::kPeckham, "'"));
  for (const auto& r : exported.records()) {
    EXPECT_FALSE(absl::StrContains(
        r.content_json(), testing::ValidOrganisation({}).contacts(0).email()))
        << r.resource();
  }
}

}  // namespace
}  // namespace grantflow
