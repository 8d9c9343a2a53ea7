// Money is an integer number of pence (int64), currency GBP; never floating
// point. This formats it for people.
#ifndef GRANTFLOW_SERVICES_COMMON_MONEY_H_
#define GRANTFLOW_SERVICES_COMMON_MONEY_H_

#include <cstdint>
#include <string>

namespace grantflow {

// "£1,234.56" for 123456; "-£0.05" for -5.
std::string FormatPounds(int64_t pence);

}  // namespace grantflow

#endif  // GRANTFLOW_SERVICES_COMMON_MONEY_H_
