// The equality-monitoring vocabulary (R7): the categories an organisation
// may say it is led by or mainly serves. ApplicationService validates
// answers against it; the portal asks with it. Answers themselves are only
// ever read by the applicant and reported in aggregate.
#ifndef GRANTFLOW_PLATFORM_EQUALITY_H_
#define GRANTFLOW_PLATFORM_EQUALITY_H_

#include <string>
#include <vector>

namespace grantflow {

// In the order forms and reports show them. Thread-safe.
const std::vector<std::string>& EqualityCategories();

}  // namespace grantflow

#endif  // GRANTFLOW_PLATFORM_EQUALITY_H_
