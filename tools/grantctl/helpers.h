// Helpers shared by grantctl's command files.
#ifndef GRANTFLOW_TOOLS_GRANTCTL_HELPERS_H_
#define GRANTFLOW_TOOLS_GRANTCTL_HELPERS_H_

#include <fstream>
#include <functional>
#include <ostream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/repeated_field.h"
#include "google/protobuf/timestamp.pb.h"
#include "tools/grantctl/cli.h"

namespace grantflow::grantctl {

// "2026-05-01 09:00" (UTC), or "-" when unset.
inline std::string When(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixSeconds(t.seconds()),
                          absl::UTCTimeZone());
}

// Fills `msg` from --file PATH or --data JSON. Returns false (with a usage
// message printed) when neither is given or the JSON does not parse.
inline bool BodyFromArgs(Cli& cli, google::protobuf::Message* msg,
                         bool required, int* rc) {
  std::string json = cli.args().Get("data");
  std::string path = cli.args().Get("file");
  if (!path.empty() && !ReadFile(path, &json)) {
    *rc = cli.Usage(absl::StrCat("cannot read ", path));
    return false;
  }
  if (json.empty()) {
    if (required) {
      *rc = cli.Usage("give the resource as --file PATH or --data JSON");
      return false;
    }
    return true;
  }
  std::string error;
  if (!FromJson(json, msg, &error)) {
    *rc =
        cli.Usage(absl::StrCat("the JSON body does not match ",
                               msg->GetDescriptor()->full_name(), ": ", error));
    return false;
  }
  return true;
}

inline void SetMask(Cli& cli, google::protobuf::FieldMask* mask) {
  for (const std::string& m : cli.args().GetAll("mask")) {
    for (absl::string_view p : absl::StrSplit(m, ',', absl::SkipEmpty())) {
      mask->add_paths(std::string(p));
    }
  }
}

// Runs a unary call and prints its result with `table` unless --json.
template <typename Resp>
int Show(Cli& cli, const grpc::Status& status, const Resp& resp,
         const std::function<void(const Resp&, std::ostream&)>& table) {
  if (!status.ok()) return cli.Fail(status);
  if (cli.json()) return cli.Print(resp);
  table(resp, cli.out());
  return 0;
}

// The outcome a check's `conclude` names: 1 --passed, 2 --conditions,
// 3 --failed (the values both checks' Outcome enums use), or 0 when not
// exactly one is given.
inline int OutcomeFlag(Cli& cli) {
  const int chosen = cli.args().Has("passed") + cli.args().Has("failed") +
                     cli.args().Has("conditions");
  if (chosen != 1) return 0;
  return cli.args().Has("passed") ? 1 : cli.args().Has("conditions") ? 2 : 3;
}

// Tells people how to get the next page.
inline void NextPage(Cli& cli, const std::string& token) {
  if (!token.empty() && !cli.json()) {
    cli.out() << "(more: repeat with --page-token " << token
              << " or use --all)\n";
  }
}

// Prints one message as a one-row table.
template <typename Msg>
std::function<void(const Msg&, std::ostream&)> OneRow(Table (*make)(),
                                                      void (*row)(Table&,
                                                                  const Msg&)) {
  return [make, row](const Msg& m, std::ostream& out) {
    Table t = make();
    row(t, m);
    t.Print(out);
  };
}

// Lists every page when --all, else one page.
template <typename Req, typename Resp, typename Item>
int ListPages(
    Cli& cli, Req req,
    const std::function<grpc::Status(grpc::ClientContext*, const Req&, Resp*)>&
        call,
    const std::function<
        const google::protobuf::RepeatedPtrField<Item>&(const Resp&)>& items,
    Table table, void (*row)(Table&, const Item&)) {
  int32_t size = 0;
  if (cli.args().Has("page-size") &&
      !absl::SimpleAtoi(cli.args().Get("page-size"), &size)) {
    return cli.Usage("--page-size must be a number");
  }
  req.set_page_size(size);
  req.set_page_token(cli.args().Get("page-token"));
  Resp all;
  std::string next;
  do {
    Resp resp;
    auto ctx = cli.Context();
    grpc::Status s = call(ctx.get(), req, &resp);
    if (!s.ok()) return cli.Fail(s);
    for (const Item& i : items(resp)) row(table, i);
    all.MergeFrom(resp);
    next = resp.next_page_token();
    req.set_page_token(next);
  } while (cli.args().Has("all") && !next.empty());
  if (cli.json()) {
    all.set_next_page_token(next);
    return cli.Print(all);
  }
  table.Print(cli.out());
  NextPage(cli, next);
  return 0;
}

// `arg` as a name in `collection` ("agreements", "payments", ...): a bare
// id, or the name of the same case's resource in another collection
// (cases/ID, applications/ID, awards/ID, agreements/ID, ...), becomes
// collection/ID.
inline std::string NameIn(const std::string& collection,
                          const std::string& arg) {
  static constexpr const char* kSameId[] = {
      "cases/",         "applications/",      "awards/",
      "agreements/",    "assessments/",       "dueDiligenceChecks/",
      "payments/",      "remittanceBatches/", "bankAccounts/",
      "organisations/", "safeguardingChecks/"};
  for (const char* p : kSameId) {
    const std::string prefix = p;
    if (arg.rfind(prefix, 0) == 0) {
      return collection + "/" + arg.substr(prefix.size());
    }
  }
  return collection + "/" + arg;
}

// Writes a downloaded file's `content` to --out PATH (saying so), else to
// stdout as it is. Returns 0, or the usage exit code when PATH cannot be
// written.
inline int WriteContent(Cli& cli, const std::string& content) {
  const std::string path = cli.args().Get("out");
  if (path.empty()) {
    cli.out() << content;
    return 0;
  }
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
  if (!f.good()) return cli.Usage("cannot write " + path);
  cli.out() << "wrote " << path << " (" << content.size() << " bytes)\n";
  return 0;
}

// Parses --`flag` into *n when given (*n untouched when not); false when
// it is given but not a whole number.
template <typename Int>
bool IntFlag(const Cli& cli, const std::string& flag, Int* n) {
  return !cli.args().Has(flag) || absl::SimpleAtoi(cli.args().Get(flag), n);
}

// The i-th positional argument, or "".
inline std::string Arg(Cli& cli, size_t i) {
  return cli.args().positional.size() > i ? cli.args().positional[i] : "";
}

// The short names of every grantflow service (each reached at its own
// address in a split deployment).
inline const std::vector<std::string>& EveryService() {
  static const auto* s = new std::vector<std::string>{
      "programmes",   "applications", "workflow", "assessment",
      "duediligence", "safeguarding", "awards",   "agreements",
      "payments",     "reports"};
  return *s;
}

}  // namespace grantflow::grantctl

#endif  // GRANTFLOW_TOOLS_GRANTCTL_HELPERS_H_
