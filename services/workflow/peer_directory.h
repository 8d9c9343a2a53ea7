// The engine's Directory over gRPC: rounds from ProgrammeService, an
// organisation's signatories from ApplicationService, asked as the host's
// own service identity.
#ifndef GRANTFLOW_SERVICES_WORKFLOW_PEER_DIRECTORY_H_
#define GRANTFLOW_SERVICES_WORKFLOW_PEER_DIRECTORY_H_

#include <memory>

#include "services/common/peer.h"
#include "workflows/directory.h"

namespace grantflow::workflows {

// Thread-safe. Status codes as gRPC returns them (NOT_FOUND, UNAVAILABLE,
// DEADLINE_EXCEEDED, ...).
std::unique_ptr<Directory> NewPeerDirectory(Peer programmes, Peer applications);

}  // namespace grantflow::workflows

#endif  // GRANTFLOW_SERVICES_WORKFLOW_PEER_DIRECTORY_H_
