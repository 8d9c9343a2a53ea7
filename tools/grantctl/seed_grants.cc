// grantctl seed's demo grants: steps of grantctl's own commands, each as
// one of the seed's people.
#include <chrono>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tools/grantctl/commands.h"
#include "tools/grantctl/seed.h"

namespace grantflow::grantctl {
namespace {

using nlohmann::json;

constexpr int kWaitTries = 300;  // 100 ms apart: 30 s
constexpr absl::Duration kTokenTtl = absl::Hours(1);

// The people a grant's steps run as, by name, with their tokens.
class People {
 public:
  People(const json& people, std::string key_path)
      : people_(people), key_path_(std::move(key_path)) {}

  absl::StatusOr<std::string> Token(const std::string& name) {
    auto it = tokens_.find(name);
    if (it != tokens_.end()) return it->second;
    if (!people_.contains(name)) {
      return absl::NotFoundError(
          absl::StrCat("no one called '", name, "' in the seed's people"));
    }
    const json& p = people_[name];
    auth::Principal who;
    who.user = name;
    const json roles = p.value("roles", json::array());
    for (const auto& r : roles) {
      who.roles.push_back(r.get<std::string>());
    }
    const std::string org = p.value("org", "");
    if (!org.empty()) who.organisation = "organisations/" + org;
    const json limits = p.value("limits", json::object());
    for (const auto& [limit, pence] : limits.items()) {
      who.limits_pence[limit] = pence.get<int64_t>();
    }
    auto token = MintToken(key_path_, who, kTokenTtl);
    if (token.ok()) tokens_[name] = *token;
    return token;
  }

 private:
  const json people_;
  std::string key_path_;
  std::map<std::string, std::string> tokens_;
};

// `arg` with ${NAME}, ${date+Nd} and ${time+Nd} replaced; false (with
// *error) for a name not saved yet.
bool Substitute(const std::string& arg,
                const std::map<std::string, std::string>& saved, absl::Time now,
                std::string* out, std::string* error) {
  static const std::regex kVar(R"(\$\{([a-z_]+)(([+-])([0-9]+)d)?\})");
  out->clear();
  auto begin = std::sregex_iterator(arg.begin(), arg.end(), kVar);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    out->append(arg, last, m.position(0) - last);
    last = m.position(0) + m.length(0);
    const std::string name = m[1].str();
    if (name == "date" || name == "time") {
      absl::Time t = now;
      if (m[2].matched) {
        const absl::Duration d = absl::Hours(24 * std::stoll(m[4].str()));
        t = m[3] == "+" ? t + d : t - d;
      }
      t = absl::FromUnixSeconds(absl::ToUnixSeconds(t) / 60 * 60);
      out->append(
          absl::FormatTime(name == "date" ? "%Y-%m-%d" : absl::RFC3339_sec, t,
                           absl::UTCTimeZone()));
      continue;
    }
    auto s = saved.find(name);
    if (s == saved.end() || m[2].matched) {
      *error = absl::StrCat("${", name, "} is not saved by an earlier step");
      return false;
    }
    out->append(s->second);
  }
  out->append(arg, last, std::string::npos);
  return true;
}

// The value at dotted `path` in `j`, as text.
std::string Field(const json& j, const std::string& path) {
  const json* at = &j;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    const std::string key(part);
    if (!at->is_object() || !at->contains(key)) return "";
    at = &(*at)[key];
  }
  return at->is_string() ? at->get<std::string>() : at->dump();
}

struct StepResult {
  int rc = 0;
  std::string out, err;
};

// Runs one grantctl command line in this process as `token`, against the
// addresses `outer` was given, with --json and `request_id`.
StepResult RunStep(const Cli& outer, const std::vector<std::string>& args,
                   const std::string& token, const std::string& request_id) {
  std::vector<std::string> argv = args;
  argv.push_back("--json");
  argv.push_back("--token=" + token);
  argv.push_back("--request-id=" + request_id);
  for (const auto& [flag, value] : outer.args().flags) {
    if (flag == "addr" || flag.rfind("addr-", 0) == 0) {
      argv.push_back(absl::StrCat("--", flag, "=", value));
    }
  }
  std::vector<char*> cargv;
  for (std::string& a : argv) cargv.push_back(a.data());
  std::string error;
  Args parsed =
      ParseArgs(static_cast<int>(cargv.size()), cargv.data(), 0, &error);
  std::ostringstream out, err;
  Cli cli(parsed, out, err);
  StepResult r;
  r.rc = error.empty() ? Dispatch(cli) : cli.Usage(error);
  r.out = out.str();
  r.err = err.str();
  return r;
}

// Whether `probe`'s output lists (under probe["found"]) an element with
// every field probe["where"] names.
bool Found(const json& out, const json& probe) {
  const std::string list = probe.value("found", "");
  if (!out.is_object() || !out.contains(list)) return false;
  const json where = probe.value("where", json::object());
  for (const json& item : out[list]) {
    bool all = true;
    for (const auto& [field, value] : where.items()) {
      all = all && Field(item, field) == value.get<std::string>();
    }
    if (all) return true;
  }
  return false;
}

std::vector<std::string> Strings(const json& j) {
  std::vector<std::string> out;
  for (const auto& s : j) out.push_back(s.get<std::string>());
  return out;
}

}  // namespace

bool PlayGrants(Cli& cli, const json& doc, const std::string& key_path,
                absl::Time now, int* played, int* present) {
  if (!doc.contains("grants")) return true;
  People people(doc.contains("people") ? doc["people"] : json::object(),
                key_path);
  int g = 0;
  for (const json& grant : doc["grants"]) {
    ++g;
    const std::string about = grant.value("about", absl::StrCat("grant ", g));
    std::map<std::string, std::string> saved;
    absl::Time when = now;
    auto fail = [&](const std::string& what, const std::string& detail) {
      cli.err() << "seed: demo grant '" << about << "': " << what << "\n"
                << detail;
      return false;
    };
    // Runs `step`; false when it fails.
    auto run = [&](const json& step, int index, StepResult* result) {
      std::vector<std::string> args;
      for (const std::string& raw : Strings(step.at("run"))) {
        std::string arg, error;
        if (!Substitute(raw, saved, when, &arg, &error)) {
          return fail(raw, error + "\n");
        }
        args.push_back(std::move(arg));
      }
      auto token = people.Token(step.value("as", ""));
      if (!token.ok())
        return fail(step.dump(), std::string(token.status().message()) + "\n");
      const std::string request_id =
          StableRequestId(absl::StrCat(g, ":", index, ":", step.value("as", ""),
                                       ":", absl::StrJoin(args, "\x1f")));
      const int tries = step.value("wait", false) ? kWaitTries : 1;
      for (int i = 0; i < tries; ++i) {
        if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        *result = RunStep(cli, args, *token, request_id);
        if (result->rc != 1) break;  // done, or a usage error: no retry
      }
      if (result->rc != 0) {
        return fail(absl::StrCat("grantctl ", absl::StrJoin(args, " "), " as ",
                                 step.value("as", "")),
                    result->err + result->out);
      }
      if (step.contains("save")) {
        const json out = json::parse(result->out, nullptr, false);
        for (const auto& [name, path] : step["save"].items()) {
          saved[name] = Field(out, path.get<std::string>());
          if (saved[name].empty()) {
            return fail(absl::StrCat("nothing at ", path.dump(), " to save"),
                        result->out);
          }
        }
      }
      return true;
    };
    if (grant.contains("skip_if")) {
      StepResult probe;
      if (!run(grant["skip_if"], 0, &probe)) return false;
      if (Found(json::parse(probe.out, nullptr, false), grant["skip_if"])) {
        ++*present;
        continue;
      }
    }
    if (grant.contains("anchor")) {
      // Times count from the round's opening, stored at the first load, so
      // a replay sends the same requests (and gets the same answers).
      StepResult round;
      const json& anchor = grant["anchor"];
      json get = {{"as", anchor.value("as", "")},
                  {"run", {"rounds", "get", anchor.value("round", "")}}};
      if (!run(get, 0, &round)) return false;
      const std::string open =
          Field(json::parse(round.out, nullptr, false), "open_time");
      std::string error;
      if (!absl::ParseTime(absl::RFC3339_full, open, &when, &error)) {
        return fail("anchor", "the round has no opening time\n");
      }
    }
    int index = 0;
    for (const json& step : grant.at("steps")) {
      StepResult result;
      if (!run(step, ++index, &result)) return false;
    }
    ++*played;
  }
  return true;
}

}  // namespace grantflow::grantctl
