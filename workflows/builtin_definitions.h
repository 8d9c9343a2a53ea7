// The lifecycle definitions under workflows/definitions/, compiled into the
// binary so grantflowd does not depend on its working directory.
#ifndef GRANTFLOW_WORKFLOWS_BUILTIN_DEFINITIONS_H_
#define GRANTFLOW_WORKFLOWS_BUILTIN_DEFINITIONS_H_

#include <string>
#include <utility>
#include <vector>

namespace grantflow::workflows {

// (file name, text proto) for each shipped definition.
const std::vector<std::pair<std::string, std::string>>& BuiltInDefinitions();

}  // namespace grantflow::workflows

#endif  // GRANTFLOW_WORKFLOWS_BUILTIN_DEFINITIONS_H_
