// Lifecycle definitions: loaded from text protos, validated, looked up by
// name and version. A case keeps the version it started with.
#ifndef GRANTFLOW_WORKFLOWS_DEFINITIONS_H_
#define GRANTFLOW_WORKFLOWS_DEFINITIONS_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "grantflow/workflow/v1/workflow.pb.h"

namespace grantflow::workflows {

namespace wpb = ::grantflow::workflow::v1;

// A validated definition with its transition table. Immutable; thread-safe.
class Definition {
 public:
  // INVALID_ARGUMENT, naming the problem, when the definition has no name
  // or version, an unknown or duplicate state, an unknown fact, a state no
  // transition reaches, a non-terminal state with no way out, a terminal
  // state with a way out, no terminal state, or two transitions for one
  // (state, fact).
  static absl::StatusOr<std::unique_ptr<Definition>> Create(
      wpb::LifecycleDefinition proto);

  const wpb::LifecycleDefinition& proto() const { return proto_; }
  const std::string& name() const { return proto_.name(); }
  int version() const { return proto_.version(); }

  // The state `fact` leads to from `state`, or nullptr when not accepted.
  const std::string* Next(const std::string& state,
                          const std::string& fact) const;
  // Facts `state` accepts, sorted.
  std::vector<std::string> Accepted(const std::string& state) const;
  const wpb::StateDef* State(const std::string& name) const;
  const wpb::TransitionDef* Transition(const std::string& state,
                                       const std::string& fact) const;

 private:
  explicit Definition(wpb::LifecycleDefinition proto);
  wpb::LifecycleDefinition proto_;
  std::map<std::pair<std::string, std::string>, const wpb::TransitionDef*>
      next_;
  std::map<std::string, const wpb::StateDef*> states_;
};

// Every loaded definition. Fill it at start-up, then share read-only.
class DefinitionRegistry {
 public:
  // Parses and validates one text proto; INVALID_ARGUMENT (with the source
  // name) when it does not parse or validate, ALREADY_EXISTS for a second
  // copy of the same name and version.
  absl::Status AddText(const std::string& source, const std::string& text);
  // Loads every *.textproto in `dir`.
  absl::Status AddDirectory(const std::string& dir);
  // Loads the definitions compiled into the binary from
  // workflows/definitions/.
  absl::Status AddBuiltIn();

  // The latest version of `name`, or NOT_FOUND.
  absl::StatusOr<const Definition*> Latest(const std::string& name) const;
  // An exact version, or NOT_FOUND.
  absl::StatusOr<const Definition*> Get(const std::string& name,
                                        int version) const;
  std::vector<std::string> Names() const;
  // Every outbox task kind a transition of a loaded definition emits,
  // sorted, each once.
  std::vector<std::string> TaskKinds() const;

 private:
  std::map<std::pair<std::string, int>, std::unique_ptr<Definition>> defs_;
};

}  // namespace grantflow::workflows

#endif  // GRANTFLOW_WORKFLOWS_DEFINITIONS_H_
