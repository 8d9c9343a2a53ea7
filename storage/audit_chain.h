// Hashing for the append-only audit log (rule R8).
#ifndef GRANTFLOW_STORAGE_AUDIT_CHAIN_H_
#define GRANTFLOW_STORAGE_AUDIT_CHAIN_H_

#include <string>

#include "grantflow/storage/v1/storage.pb.h"

namespace grantflow::storage {

inline constexpr int kAuditHashSize = 32;

// The hash of the entry before seq 1: 32 zero bytes.
std::string GenesisHash();

// SHA-256 over entry.prev_hash and every other field except `hash`, in a
// fixed length-prefixed layout independent of protobuf serialization.
std::string ComputeAuditHash(const v1::AuditEntry& entry);

}  // namespace grantflow::storage

#endif  // GRANTFLOW_STORAGE_AUDIT_CHAIN_H_
