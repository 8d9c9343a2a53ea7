// London's areas as grantflow names them: the 32 boroughs and the City of
// London, spelt as in "Barking and Dagenham", and "London-wide" for projects
// that serve the whole city. Used by applications (boroughs served, an
// organisation's address), programmes (a round's eligible boroughs) and
// assessment (screening).
#ifndef GRANTFLOW_PLATFORM_LONDON_H_
#define GRANTFLOW_PLATFORM_LONDON_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace grantflow {

inline constexpr char kLondonWide[] = "London-wide";

// The 32 London boroughs and the City of London.
const std::vector<std::string>& LondonBoroughs();
bool IsLondonBorough(absl::string_view name);

// The ONS GSS code of a London borough or the City of London (a local
// authority district, "E09000001" to "E09000033"), or of London as a region
// ("E12000007") for kLondonWide; empty for anything else. Open data
// (360Giving beneficiary locations) names places by these codes.
std::string LondonGssCode(absl::string_view name);
inline constexpr char kGssDistrict[] = "LAD";
inline constexpr char kGssRegion[] = "RGN";

}  // namespace grantflow

#endif  // GRANTFLOW_PLATFORM_LONDON_H_
