// grantctl privacy: subject access export and erasure, through the
// PrivacyService of the grantflowd hosting each service.
#include <set>
#include <string>

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
  int rc = 0;
  if (verb == "export") {
    prv::ExportPersonalDataResponse all;
    for (const std::string& service : Holders()) {
      auto stub = prv::PrivacyService::NewStub(cli.channel(service));
      prv::ExportPersonalDataRequest req;
      *req.mutable_subject() = subject;
      req.add_services(service);
      prv::ExportPersonalDataResponse resp;
      auto ctx = cli.Context();
      grpc::Status s = stub->ExportPersonalData(ctx.get(), req, &resp);
      if (!s.ok()) {
        rc = cli.Fail(s);
        continue;
      }
      all.MergeFrom(resp);
    }
    if (cli.args().Has("out")) {
      return rc != 0 ? rc : WriteContent(cli, ToJson(all));
    }
    if (cli.json()) {
      cli.Print(all);
      return rc;
    }
    Table t({"", "SERVICE", "KIND", "RESOURCE", "KEPT BECAUSE", "UNTIL"});
    Rows(t, "held", all.records());
    t.Print(cli.out());
    return rc;
  }
  prv::ErasePersonalDataResponse all;
  for (const std::string& service : Holders()) {
    auto stub = prv::PrivacyService::NewStub(cli.channel(service));
    prv::ErasePersonalDataRequest req;
    *req.mutable_subject() = subject;
    req.add_services(service);
    req.set_reason(cli.args().Get("reason"));
    req.set_request_id(absl::StrCat(cli.RequestId(), "-", service));
    prv::ErasePersonalDataResponse resp;
    auto ctx = cli.Context();
    grpc::Status s = stub->ErasePersonalData(ctx.get(), req, &resp);
    if (!s.ok()) {
      rc = cli.Fail(s);
      continue;
    }
    all.MergeFrom(resp);
  }
  if (cli.json()) {
    cli.Print(all);
    return rc;
  }
  Table t({"", "SERVICE", "KIND", "RESOURCE", "KEPT BECAUSE", "UNTIL"});
  Rows(t, "erased", all.erased());
  Rows(t, "kept", all.kept());
  t.Print(cli.out());
  return rc;
}

}  // namespace grantflow::grantctl
