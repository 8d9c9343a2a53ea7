#include "workflows/definitions.h"

#include <deque>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/text_format.h"
#include "platform/status_macros.h"
#include "workflows/builtin_definitions.h"
#include "workflows/facts.h"

namespace grantflow::workflows {
namespace {

absl::Status Invalid(const wpb::LifecycleDefinition& d, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "lifecycle definition '", d.name(), "' v", d.version(), ": ", why));
}

}  // namespace

Definition::Definition(wpb::LifecycleDefinition proto)
    : proto_(std::move(proto)) {}

absl::StatusOr<std::unique_ptr<Definition>> Definition::Create(
    wpb::LifecycleDefinition proto) {
  if (proto.name().empty()) return Invalid(proto, "has no name");
  if (proto.version() <= 0) return Invalid(proto, "version must be >= 1");
  std::unique_ptr<Definition> d(new Definition(std::move(proto)));
  const wpb::LifecycleDefinition& p = d->proto_;
  for (const wpb::StateDef& s : p.states()) {
    if (s.name().empty()) return Invalid(p, "a state has no name");
    if (!d->states_.emplace(s.name(), &s).second) {
      return Invalid(p, absl::StrCat("state ", s.name(), " is defined twice"));
    }
    for (const wpb::TimerDef& t : s.timers()) {
      const FactInfo* f = FindFact(t.fact());
      if (f == nullptr) {
        return Invalid(p, absl::StrCat("state ", s.name(), " has a timer for ",
                                       "unknown fact ", t.fact()));
      }
      if (t.after_seconds() <= 0) {
        return Invalid(p, absl::StrCat("timer ", t.fact(), " in ", s.name(),
                                       " needs after_seconds > 0"));
      }
    }
  }
  if (!d->states_.contains(p.initial_state())) {
    return Invalid(p, absl::StrCat("initial state '", p.initial_state(),
                                   "' is not a defined state"));
  }
  for (const wpb::TransitionDef& t : p.transitions()) {
    for (const std::string* s : {&t.from(), &t.to()}) {
      if (!d->states_.contains(*s)) {
        return Invalid(
            p, absl::StrCat("transition ", t.from(), " --", t.fact(), "--> ",
                            t.to(), " names unknown state ", *s));
      }
    }
    if (FindFact(t.fact()) == nullptr) {
      return Invalid(p, absl::StrCat("transition from ", t.from(),
                                     " uses unknown fact ", t.fact()));
    }
    if (d->states_.at(t.from())->terminal()) {
      return Invalid(p, absl::StrCat("terminal state ", t.from(),
                                     " has a transition (", t.fact(), ")"));
    }
    if (!d->next_.emplace(std::make_pair(t.from(), t.fact()), &t).second) {
      return Invalid(p, absl::StrCat("two transitions for ", t.fact(), " from ",
                                     t.from()));
    }
  }
  // Timers must fire facts their state accepts.
  for (const wpb::StateDef& s : p.states()) {
    for (const wpb::TimerDef& t : s.timers()) {
      if (!d->next_.contains({s.name(), t.fact()})) {
        return Invalid(p, absl::StrCat("state ", s.name(), " has a timer for ",
                                       t.fact(), " but no transition on it"));
      }
    }
  }
  // Every state is reachable; every non-terminal state has a way out.
  std::set<std::string> reached = {p.initial_state()};
  std::deque<std::string> queue = {p.initial_state()};
  while (!queue.empty()) {
    std::string s = queue.front();
    queue.pop_front();
    for (const wpb::TransitionDef& t : p.transitions()) {
      if (t.from() == s && reached.insert(t.to()).second)
        queue.push_back(t.to());
    }
  }
  bool any_terminal = false;
  for (const wpb::StateDef& s : p.states()) {
    if (!reached.contains(s.name())) {
      return Invalid(p, absl::StrCat("state ", s.name(), " is unreachable"));
    }
    any_terminal = any_terminal || s.terminal();
    if (!s.terminal() && d->Accepted(s.name()).empty()) {
      return Invalid(p, absl::StrCat("state ", s.name(),
                                     " is not terminal but has no transition"));
    }
  }
  if (!any_terminal) return Invalid(p, "has no terminal state");
  return d;
}

const std::string* Definition::Next(const std::string& state,
                                    const std::string& fact) const {
  const wpb::TransitionDef* t = Transition(state, fact);
  return t == nullptr ? nullptr : &t->to();
}

const wpb::TransitionDef* Definition::Transition(
    const std::string& state, const std::string& fact) const {
  auto it = next_.find({state, fact});
  return it == next_.end() ? nullptr : it->second;
}

std::vector<std::string> Definition::Accepted(const std::string& state) const {
  std::vector<std::string> out;
  for (const auto& [key, t] : next_) {
    if (key.first == state) out.push_back(key.second);
  }
  return out;
}

const wpb::StateDef* Definition::State(const std::string& name) const {
  auto it = states_.find(name);
  return it == states_.end() ? nullptr : it->second;
}

absl::Status DefinitionRegistry::AddText(const std::string& source,
                                         const std::string& text) {
  wpb::LifecycleDefinition proto;
  if (!google::protobuf::TextFormat::ParseFromString(text, &proto)) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": not a valid LifecycleDefinition text proto"));
  }
  absl::StatusOr<std::unique_ptr<Definition>> d =
      Definition::Create(std::move(proto));
  if (!d.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": ", d.status().message()));
  }
  auto key = std::make_pair((*d)->name(), (*d)->version());
  if (defs_.contains(key)) {
    return absl::AlreadyExistsError(absl::StrCat(
        source, ": definition ", key.first, " v", key.second, " loaded twice"));
  }
  defs_[key] = *std::move(d);
  return absl::OkStatus();
}

absl::Status DefinitionRegistry::AddDirectory(const std::string& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".textproto") files.push_back(e.path());
  }
  if (ec) {
    return absl::NotFoundError(
        absl::StrCat("cannot read definitions directory ", dir));
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    RETURN_IF_ERROR(AddText(f.string(), ss.str()));
  }
  return absl::OkStatus();
}

absl::Status DefinitionRegistry::AddBuiltIn() {
  for (const auto& [name, text] : BuiltInDefinitions()) {
    RETURN_IF_ERROR(AddText(name, text));
  }
  return absl::OkStatus();
}

absl::StatusOr<const Definition*> DefinitionRegistry::Latest(
    const std::string& name) const {
  const Definition* best = nullptr;
  for (const auto& [key, d] : defs_) {
    if (key.first == name) best = d.get();
  }
  if (best == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no lifecycle definition '", name,
                     "'; loaded: ", absl::StrJoin(Names(), ", ")));
  }
  return best;
}

absl::StatusOr<const Definition*> DefinitionRegistry::Get(
    const std::string& name, int version) const {
  auto it = defs_.find({name, version});
  if (it == defs_.end()) {
    return absl::NotFoundError(absl::StrCat("lifecycle definition ", name, " v",
                                            version, " is not loaded"));
  }
  return it->second.get();
}

std::vector<std::string> DefinitionRegistry::Names() const {
  std::vector<std::string> out;
  for (const auto& [key, d] : defs_) {
    out.push_back(absl::StrCat(key.first, " v", key.second));
  }
  return out;
}

std::vector<std::string> DefinitionRegistry::TaskKinds() const {
  std::set<std::string> kinds;
  for (const auto& [key, d] : defs_) {
    for (const wpb::TransitionDef& t : d->proto().transitions()) {
      kinds.insert(t.tasks().begin(), t.tasks().end());
    }
  }
  return {kinds.begin(), kinds.end()};
}

}  // namespace grantflow::workflows
