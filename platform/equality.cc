#include "platform/equality.h"

namespace grantflow {

const std::vector<std::string>& EqualityCategories() {
  static const auto* c =
      new std::vector<std::string>{"Black and minority ethnic communities",
                                   "Disabled people",
                                   "LGBTQ+ people",
                                   "Older people",
                                   "Refugees and migrants",
                                   "Women",
                                   "Young people",
                                   "Faith communities",
                                   "People on low incomes",
                                   "None of these"};
  return *c;
}

}  // namespace grantflow
