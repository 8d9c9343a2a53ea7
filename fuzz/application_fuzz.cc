// ApplicationService's request validation (services/applications): any
// organisation, draft or equality answers, as a caller could send them,
// validate without crashing; every violation names a field under the
// prefix given, and a draft that passes CheckComplete has what submission
// needs.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "fuzz/check.h"
#include "grantflow/applications/v1/applications.pb.h"
#include "grantflow/programmes/v1/programmes.pb.h"
#include "services/applications/validation.h"

using grantflow::fuzz::Check;

namespace {

void AllUnder(const grantflow::errors::Violations& v, const char* prefix) {
  for (const auto& f : v.list()) {
    Check(absl::StartsWith(f.field, prefix));
    Check(!f.description.empty());
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace apb = grantflow::applications::v1;
  if (size == 0) return 0;
  const uint8_t which = data[0] % 3;
  const std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  grantflow::errors::Violations v;
  if (which == 0) {
    apb::Organisation org;
    if (!org.ParseFromString(bytes)) return 0;
    grantflow::applications::ValidateOrganisation(org, "organisation", &v);
    AllUnder(v, "organisation");
  } else if (which == 1) {
    apb::Application app;
    if (!app.ParseFromString(bytes)) return 0;
    grantflow::programmes::v1::Round round;
    round.set_min_award_pence(1'000'000);
    round.set_max_award_pence(7'500'000);
    grantflow::applications::ValidateDraft(app, &round, "application", &v);
    AllUnder(v, "application");
    grantflow::errors::Violations complete;
    grantflow::applications::CheckComplete(app, round,
                                           absl::FromUnixSeconds(1'777'626'000),
                                           "application", &complete);
    AllUnder(complete, "application");
    if (v.empty() && complete.empty()) {
      Check(!app.title().empty() && app.amount_requested_pence() >= 1'000'000 &&
            app.amount_requested_pence() <= 7'500'000 &&
            app.boroughs_served_size() > 0);
    }
  } else {
    apb::EqualityMonitoring em;
    if (!em.ParseFromString(bytes)) return 0;
    grantflow::applications::ValidateEqualityMonitoring(
        em, "equality_monitoring", &v);
    AllUnder(v, "equality_monitoring");
  }
  return 0;
}
