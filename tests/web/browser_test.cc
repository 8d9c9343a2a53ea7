// The portal in a real browser: tests/web/journeys.cjs drives Debian's
// chromium (puppeteer-core) through the community group's, the assessor's
// and the grants team's journeys against a real grantflowd and portal, runs
// axe-core on every page it visits and saves screenshots of the main pages
// under BROWSER_OUT_DIR. This test starts them and passes only when every
// journey and every accessibility check did.
#include <cstdio>

#include "gtest/gtest.h"
#include "tests/testing/process.h"
#include "tests/web/portal_rig.h"

namespace grantflow {
namespace {

TEST(BrowserTest, JourneysOfEveryUserGroupPassWithNoAccessibilityViolations) {
  testing::PortalRig rig;
  ASSERT_TRUE(rig.ok());
  std::string out;
  const int rc = testing::RunCommand(
      {"/usr/bin/env", "node", JOURNEYS_SCRIPT, rig.url(), BROWSER_OUT_DIR},
      &out);
  std::printf("%s", out.c_str());
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("browser journeys: "), std::string::npos);
  EXPECT_EQ(out.find("before the failure"), std::string::npos);
}

}  // namespace
}  // namespace grantflow
