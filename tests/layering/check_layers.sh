#!/usr/bin/env bash
# The layering, checked on the source tree (CTest runs it as LayeringTest):
#   storage/  <-  platform/  <-  workflows/ (the engine)
#                      ^     <-  services/  (programmes, applications, common)
#   services/workflow (the engine's adapter) and services/grantflowd (the
#   host) are the only places that see both.
# No gRPC header under platform/ or workflows/; neither of services/ and
# workflows/ depends on the other, in includes or in CMake targets.
set -u
root=${1:-$(dirname "$0")/../..}
cd "$root" || exit 2
fail=0
complain() { echo "layering: $*"; fail=1; }

check_includes() {  # DIR PATTERN WHY
  local hits
  hits=$(grep -rnE "^#include [\"<]($2)" "$1" --include='*.h' --include='*.cc' || true)
  [ -z "$hits" ] || complain "$3:"$'\n'"$hits"
}
check_includes storage 'platform/|services/|workflows/|grpcpp' \
  "storage/ depends on nothing of grantflow's"
check_includes platform 'services/|workflows/|grpcpp|grpc/|[^"]*\.grpc\.pb\.h' \
  "platform/ is below the engine and the services, and free of gRPC"
check_includes workflows 'services/|grpcpp|grpc/|[^"]*\.grpc\.pb\.h' \
  "workflows/ (the engine) includes no service and no gRPC header"
for dir in services/*/; do
  case "$dir" in services/workflow/|services/grantflowd/) continue ;; esac
  check_includes "$dir" 'workflows/' \
    "$dir is a service: it reaches the engine over gRPC, never by its headers"
done

# Services reach each other over gRPC only: no service includes another's
# headers. The host wires them from their modules; only its list of built-in
# modules (builtin_modules.cc) names them.
for dir in services/*/; do
  name=$(basename "$dir")
  case "$name" in common|grantflowd) continue ;; esac
  hits=$(grep -rnE '^#include "services/' "$dir" --include='*.h' --include='*.cc' |
         grep -vE ":#include \"services/(common|$name)/" || true)
  [ -z "$hits" ] || complain "$dir includes another service:"$'\n'"$hits"
done
hits=$(grep -nE '^#include "services/' services/grantflowd/*.h services/grantflowd/*.cc |
       grep -v '^services/grantflowd/builtin_modules.cc:' |
       grep -vE ':#include "services/(common|grantflowd)/' || true)
[ -z "$hits" ] || complain "the host names a service outside builtin_modules.cc:"$'\n'"$hits"

# The same graph in CMake targets (comments aside).
cmake_code() { grep -v '^[[:space:]]*#' "$1"; }
cmake_code workflows/CMakeLists.txt |
  grep -qE 'grantflow_(common|server|[a-z]+_service)' &&
  complain "workflows/CMakeLists.txt links a services/ target"
cmake_code platform/CMakeLists.txt | grep -qE 'grantflow_(common|engine)|gRPC::' &&
  complain "platform/CMakeLists.txt links services/, the engine or gRPC"
for f in services/*/CMakeLists.txt; do
  case "$f" in services/workflow/*|services/grantflowd/*) continue ;; esac
  cmake_code "$f" | grep -q 'grantflow_engine' && complain "$f links the engine"
done

# The web portal is a client: it reaches every service over gRPC and stands
# on platform/ and services/common only, never on a service, the engine or
# the storage.
check_includes web 'storage/|workflows/|services/(agreements|applications|assessment|awards|duediligence|grantflowd|payments|programmes|reports|safeguarding|workflow)/' \
  "web/ (the portal) is a gRPC client of the services"
cmake_code web/CMakeLists.txt | grep -qE 'grantflow_(engine|server|storage|[a-z]+_service)\b|RocksDB' &&
  complain "web/CMakeLists.txt links a service, the engine or the storage"

[ "$fail" = 0 ] && echo "layering: storage <- platform <- {workflows, services}; services apart; web a client: ok"
exit "$fail"
