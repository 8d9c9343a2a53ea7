// The services grantflowd is built with. Adding a service to the product is
// one entry in BuiltInModules() (and its library in this folder's
// CMakeLists.txt); the host wires it from its module's declarations.
#ifndef GRANTFLOW_SERVICES_GRANTFLOWD_BUILTIN_MODULES_H_
#define GRANTFLOW_SERVICES_GRANTFLOWD_BUILTIN_MODULES_H_

#include <vector>

#include "services/common/service_module.h"

namespace grantflow {

// In the order the host builds them.
std::vector<ServiceModule> BuiltInModules();

}  // namespace grantflow

#endif  // GRANTFLOW_SERVICES_GRANTFLOWD_BUILTIN_MODULES_H_
