#include "platform/london.h"

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

}  // namespace grantflow
