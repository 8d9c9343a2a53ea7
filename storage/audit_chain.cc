#include "storage/audit_chain.h"

#include <memory>

#include "storage/digest.h"
#include "storage/key_coding.h"

namespace grantflow::storage {
namespace {

void AppendField(std::string* out, const std::string& s) {
  AppendUint64(out, s.size());
  out->append(s);
}

}  // namespace

std::string GenesisHash() { return std::string(kAuditHashSize, '\0'); }

std::string ComputeAuditHash(const v1::AuditEntry& entry) {
  std::string canonical;
  canonical.append("grantflow-audit-v1");
  AppendField(&canonical, entry.prev_hash());
  AppendUint64(&canonical, entry.seq());
  AppendInt64(&canonical, entry.time_micros());
  AppendField(&canonical, entry.actor());
  AppendField(&canonical, entry.action());
  AppendField(&canonical, entry.resource());
  AppendField(&canonical, entry.request_id());
  AppendField(&canonical, entry.reason());
  AppendField(&canonical, entry.details());

  return Sha256(canonical);
}

}  // namespace grantflow::storage
