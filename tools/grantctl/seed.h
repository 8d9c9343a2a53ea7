// grantctl seed's pieces: development tokens, and the demo grants played
// step by step through grantctl's own commands.
#ifndef GRANTFLOW_TOOLS_GRANTCTL_SEED_H_
#define GRANTFLOW_TOOLS_GRANTCTL_SEED_H_

#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "platform/auth.h"
#include "tools/grantctl/cli.h"

namespace grantflow::grantctl {

// A token for `who`, signed with the private key at `key_path` (a data
// directory's keys/token-signing.pem), valid for `ttl` from now.
absl::StatusOr<std::string> MintToken(const std::string& key_path,
                                      const auth::Principal& who,
                                      absl::Duration ttl);

// The SHA-256 of `text` as a request id ("seed-" and 24 hex digits).
std::string StableRequestId(const std::string& text);

// Plays the seed's "grants": each a list of steps, each step a grantctl
// command line run in this process as one of the seed's "people" (tokens
// minted with `key_path`), its --json output's fields saved for later
// steps. In a step's arguments ${NAME} is a saved value, ${date+30d} the
// date (YYYY-MM-DD) and ${time+1d} the time (RFC 3339) that long after the
// grant's "anchor" round opened (else `now`). Each step's request id comes
// from the grant, the step and its arguments, so an interrupted seed run
// again replays what was done (getting the same answers) and goes on. A
// step marked "wait" is retried for up to 30 seconds while it fails (what
// it needs is still on its way through an outbox). A grant whose "skip_if"
// command lists what its last step made ("found", "where") is complete and
// left alone. Adds to *played and *present; returns false (having reported
// why on cli.err()) when a step fails.
bool PlayGrants(Cli& cli, const nlohmann::json& doc,
                const std::string& key_path, absl::Time now, int* played,
                int* present);

}  // namespace grantflow::grantctl

#endif  // GRANTFLOW_TOOLS_GRANTCTL_SEED_H_
