#include "platform/london.h"

#include "absl/strings/str_format.h"

namespace grantflow {

const std::vector<std::string>& LondonBoroughs() {
  static const auto* b = new std::vector<std::string>{"Barking and Dagenham",
                                                      "Barnet",
                                                      "Bexley",
                                                      "Brent",
                                                      "Bromley",
                                                      "Camden",
                                                      "City of London",
                                                      "Croydon",
                                                      "Ealing",
                                                      "Enfield",
                                                      "Greenwich",
                                                      "Hackney",
                                                      "Hammersmith and Fulham",
                                                      "Haringey",
                                                      "Harrow",
                                                      "Havering",
                                                      "Hillingdon",
                                                      "Hounslow",
                                                      "Islington",
                                                      "Kensington and Chelsea",
                                                      "Kingston upon Thames",
                                                      "Lambeth",
                                                      "Lewisham",
                                                      "Merton",
                                                      "Newham",
                                                      "Redbridge",
                                                      "Richmond upon Thames",
                                                      "Southwark",
                                                      "Sutton",
                                                      "Tower Hamlets",
                                                      "Waltham Forest",
                                                      "Wandsworth",
                                                      "Westminster"};
  return *b;
}

bool IsLondonBorough(absl::string_view name) {
  for (const std::string& b : LondonBoroughs()) {
    if (b == name) return true;
  }
  return false;
}

std::string LondonGssCode(absl::string_view name) {
  if (name == kLondonWide) return "E12000007";
  // E09000001 is the City; the boroughs follow in alphabetical order, as
  // LondonBoroughs() lists them with the City among them.
  if (name == "City of London") return "E09000001";
  int n = 2;
  for (const std::string& b : LondonBoroughs()) {
    if (b == "City of London") continue;
    if (b == name) return absl::StrFormat("E090000%02d", n);
    ++n;
  }
  return "";
}

}  // namespace grantflow
