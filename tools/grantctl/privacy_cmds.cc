// grantctl privacy: subject access export and erasure, through the
// PrivacyService of the grantflowd hosting each service.
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grantflow/privacy/v1/privacy.grpc.pb.h"
#include "tools/grantctl/commands.h"
#include "tools/grantctl/helpers.h"

namespace grantflow::grantctl {

namespace prv = ::grantflow::privacy::v1;

namespace {

// The services that hold personal data, each asked at its address
// (programmes holds only the funder's staff names on funds and rounds).
const std::vector<std::string>& Holders() {
  static const auto* s = new std::vector<std::string>{
      "applications", "assessment", "duediligence", "safeguarding",
      "awards",       "agreements", "payments",     "workflow"};
  return *s;
}

void Rows(Table& t, const std::string& what,
          const google::protobuf::RepeatedPtrField<prv::PersonalRecord>& rs) {
  for (const auto& r : rs) {
    t.Add({what, r.service(), r.kind(), r.resource(),
           r.kept_because().empty() ? "-" : r.kept_because(),
           r.has_keep_until() ? When(r.keep_until()) : "-"});
  }
}

// Asks each holder's PrivacyService with `req` (`fill` names the holder in
// it) and merges the answers into `all`; the exit code of a failure (the
// other holders are still asked).
template <typename Req, typename Resp>
int AskEachHolder(Cli& cli, Req req,
                  grpc::Status (prv::PrivacyService::Stub::*rpc)(
                      grpc::ClientContext*, const Req&, Resp*),
                  const std::function<void(Req&, const std::string&)>& fill,
                  Resp* all) {
  int rc = 0;
  for (const std::string& service : Holders()) {
    auto stub = prv::PrivacyService::NewStub(cli.channel(service));
    req.clear_services();
    req.add_services(service);
    fill(req, service);
    Resp resp;
    auto ctx = cli.Context();
    grpc::Status s = (stub.get()->*rpc)(ctx.get(), req, &resp);
    if (!s.ok()) {
      rc = cli.Fail(s);
      continue;
    }
    all->MergeFrom(resp);
  }
  return rc;
}

void PrintTable(
    Cli& cli,
    const std::vector<
        std::pair<std::string, const google::protobuf::RepeatedPtrField<
                                   prv::PersonalRecord>*>>& parts) {
  Table t({"", "SERVICE", "KIND", "RESOURCE", "KEPT BECAUSE", "UNTIL"});
  for (const auto& [what, records] : parts) Rows(t, what, *records);
  t.Print(cli.out());
}

}  // namespace

int PrivacyCommand(Cli& cli) {
  const std::string verb = Arg(cli, 1);
  prv::Subject subject;
  const std::string who = Arg(cli, 2);
  if (who.rfind("organisations/", 0) == 0) {
    subject.set_organisation(who);
  } else {
    subject.set_user(who);
  }
  if ((verb != "export" && verb != "erase") || who.empty()) {
    return cli.Usage(
        "privacy export (USER | organisations/O) [--out FILE.json] | erase "
        "(USER | organisations/O) --reason T");
  }
  if (verb == "export") {
    prv::ExportPersonalDataRequest req;
    *req.mutable_subject() = subject;
    prv::ExportPersonalDataResponse all;
    const int rc = AskEachHolder<prv::ExportPersonalDataRequest>(
        cli, req, &prv::PrivacyService::Stub::ExportPersonalData,
        [](prv::ExportPersonalDataRequest&, const std::string&) {}, &all);
    if (cli.args().Has("out")) {
      return rc != 0 ? rc : WriteContent(cli, ToJson(all));
    }
    if (cli.json()) {
      cli.Print(all);
    } else {
      PrintTable(cli, {{"held", &all.records()}});
    }
    return rc;
  }
  prv::ErasePersonalDataRequest req;
  *req.mutable_subject() = subject;
  req.set_reason(cli.args().Get("reason"));
  const std::string request_id = cli.RequestId();
  prv::ErasePersonalDataResponse all;
  const int rc = AskEachHolder<prv::ErasePersonalDataRequest>(
      cli, req, &prv::PrivacyService::Stub::ErasePersonalData,
      [&](prv::ErasePersonalDataRequest& r, const std::string& service) {
        r.set_request_id(absl::StrCat(request_id, "-", service));
      },
      &all);
  if (cli.json()) {
    cli.Print(all);
  } else {
    PrintTable(cli, {{"erased", &all.erased()}, {"kept", &all.kept()}});
  }
  return rc;
}

}  // namespace grantflow::grantctl
