#include "workflows/definitions.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/matchers.h"

namespace grantflow::workflows {
namespace {

using ::grantflow::testing::HasReason;
using ::grantflow::testing::IsOk;
using ::grantflow::testing::StatusIs;

using ::testing::HasSubstr;

TEST(DefinitionsTest, ShippedDefinitionsLoadAndValidate) {
  DefinitionRegistry r;
  ASSERT_TRUE(r.AddBuiltIn().ok());
  auto standard = r.Latest("standard");
  ASSERT_TRUE(standard.ok());
  EXPECT_EQ((*standard)->version(), 1);
  EXPECT_NE((*standard)->Next("SHORTLISTED", "INTERVIEW_SCHEDULED"), nullptr);
  auto micro = r.Latest("micro-grant");
  ASSERT_TRUE(micro.ok());
  EXPECT_EQ((*micro)->State("INTERVIEW"), nullptr)
      << "micro-grants have no interview stage";
  EXPECT_EQ(*(*micro)->Next("IN_ASSESSMENT", "RECOMMENDED"), "RECOMMENDED");
  EXPECT_THAT(r.Latest("nonexistent").status(),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(r.AddBuiltIn(), StatusIs(absl::StatusCode::kAlreadyExists));
}

absl::Status Load(const std::string& text) {
  DefinitionRegistry r;
  return r.AddText("test.textproto", text);
}

constexpr char kHeader[] = R"(name: "t" version: 1 initial_state: "A" )";

TEST(DefinitionsTest, RefusesBrokenDefinitionsWithAClearMessage) {
  struct Case {
    std::string body;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {R"(states { name: "A" } states { name: "Z" terminal: true }
          transitions { from: "A" fact: "ELIGIBLE" to: "Q" })",
       "unknown state Q"},
      {R"(states { name: "A" } states { name: "Z" terminal: true }
          transitions { from: "A" fact: "TELEPORTED" to: "Z" })",
       "unknown fact TELEPORTED"},
      {R"(states { name: "A" } states { name: "B" } states { name: "Z" terminal: true }
          transitions { from: "A" fact: "ELIGIBLE" to: "Z" }
          transitions { from: "B" fact: "ELIGIBLE" to: "Z" })",
       "state B is unreachable"},
      {R"(states { name: "A" } states { name: "B" }
          transitions { from: "A" fact: "ELIGIBLE" to: "B" }
          transitions { from: "B" fact: "ELIGIBLE" to: "A" })",
       "no terminal state"},
      {R"(states { name: "A" } states { name: "B" } states { name: "Z" terminal: true }
          transitions { from: "A" fact: "ELIGIBLE" to: "B" }
          transitions { from: "A" fact: "INELIGIBLE" to: "Z" })",
       "state B is not terminal but has no transition"},
      {R"(states { name: "A" } states { name: "Z" terminal: true }
          transitions { from: "A" fact: "ELIGIBLE" to: "Z" }
          transitions { from: "Z" fact: "ELIGIBLE" to: "A" })",
       "terminal state Z has a transition"},
      {R"(states { name: "A" } states { name: "Z" terminal: true }
          transitions { from: "A" fact: "ELIGIBLE" to: "Z" }
          transitions { from: "A" fact: "ELIGIBLE" to: "A" })",
       "two transitions for ELIGIBLE from A"},
      {R"(states { name: "A" timers { fact: "SIGNATURE_DEADLINE_PASSED" after_seconds: 5 } }
          states { name: "Z" terminal: true }
          transitions { from: "A" fact: "ELIGIBLE" to: "Z" })",
       "no transition on it"},
      {R"(states { name: "Z" terminal: true })", "initial state 'A'"},
      {R"(this is not a text proto)", "not a valid LifecycleDefinition"},
  };
  for (const Case& c : cases) {
    absl::Status s = Load(std::string(kHeader) + c.body);
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument)) << c.expect;
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.expect));
  }
  EXPECT_TRUE(Load(std::string(kHeader) +
                   R"(states { name: "A" } states { name: "Z" terminal: true }
                      transitions { from: "A" fact: "ELIGIBLE" to: "Z" })")
                  .ok());
}

TEST(DefinitionsTest, VersionsAreKeptApart) {
  DefinitionRegistry r;
  const std::string body =
      R"(initial_state: "A" states { name: "A" } states { name: "Z" terminal: true }
         transitions { from: "A" fact: "ELIGIBLE" to: "Z" })";
  ASSERT_TRUE(r.AddText("v1", R"(name: "x" version: 1 )" + body).ok());
  ASSERT_TRUE(r.AddText("v2", R"(name: "x" version: 2 )" + body).ok());
  EXPECT_EQ((*r.Latest("x"))->version(), 2);
  EXPECT_EQ((*r.Get("x", 1))->version(), 1);
  EXPECT_THAT(r.Get("x", 3).status(), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace grantflow::workflows
