// grantctl audit: the audit logs (R8) of every service, through the
// AuditService of the grantflowd hosting each.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "grantflow/audit/v1/audit.grpc.pb.h"
#include "tools/grantctl/commands.h"
#include "tools/grantctl/helpers.h"

namespace grantflow::grantctl {

namespace adpb = ::grantflow::audit::v1;

namespace {

// The services whose logs `audit` reads: --service, else every one.
std::vector<std::string> Services(Cli& cli) {
  std::vector<std::string> out = cli.args().GetAll("service");
  if (out.empty()) out = EveryService();
  return out;
}

// RFC 3339 or a date; false when `text` is neither.
bool ParseWhen(const std::string& text, google::protobuf::Timestamp* out) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err) &&
      !absl::ParseTime("%Y-%m-%d", text, absl::UTCTimeZone(), &t, &err)) {
    return false;
  }
  out->set_seconds(absl::ToUnixSeconds(t));
  return true;
}

int Verify(Cli& cli) {
  Table table({"SERVICE", "ENTRIES", "CHAIN", "HEAD"});
  adpb::VerifyChainResponse all;
  int rc = 0;
  for (const std::string& service : Services(cli)) {
    auto stub = adpb::AuditService::NewStub(cli.channel(service));
    adpb::VerifyChainRequest req;
    req.add_services(service);
    adpb::VerifyChainResponse resp;
    auto ctx = cli.Context();
    grpc::Status s = stub->VerifyChain(ctx.get(), req, &resp);
    if (!s.ok()) {
      cli.err() << service << " (" << cli.Address(service) << "): ";
      rc = cli.Fail(s);
      continue;
    }
    for (const adpb::ChainReport& r : resp.reports()) {
      if (!r.intact()) rc = 1;
      table.Add({r.service(), absl::StrCat(r.entries()),
                 r.intact()
                     ? "intact"
                     : absl::StrCat("BROKEN at entry ", r.first_broken_seq(),
                                    ": ", r.problem()),
                 r.intact() && r.head_seq() > 0
                     ? absl::StrCat(r.head_seq(), " ", r.head_hash())
                     : "-"});
    }
    all.MergeFrom(resp);
  }
  if (cli.json()) {
    cli.Print(all);
  } else {
    table.Print(cli.out());
    if (rc == 0) {
      cli.out() << "every chain intact; note the heads to compare next time\n";
    }
  }
  return rc;
}

int ShowEntries(Cli& cli) {
  const std::vector<std::string> services = Services(cli);
  adpb::ListEntriesRequest base;
  base.set_resource(cli.args().Get("resource"));
  base.set_actor(cli.args().Get("actor"));
  if (cli.args().Has("since") &&
      !ParseWhen(cli.args().Get("since"), base.mutable_start_time())) {
    return cli.Usage("--since takes YYYY-MM-DD or an RFC 3339 time");
  }
  if (cli.args().Has("until") &&
      !ParseWhen(cli.args().Get("until"), base.mutable_end_time())) {
    return cli.Usage("--until takes YYYY-MM-DD or an RFC 3339 time");
  }
  int64_t limit = 200;
  if (!IntFlag(cli, "limit", &limit) || limit <= 0) {
    return cli.Usage("--limit takes a positive whole number");
  }
  Table table(
      {"SERVICE", "SEQ", "TIME", "ACTOR", "ACTION", "RESOURCE", "DETAILS"});
  adpb::ListEntriesResponse all;
  int rc = 0;
  for (const std::string& service : services) {
    auto stub = adpb::AuditService::NewStub(cli.channel(service));
    adpb::ListEntriesRequest req = base;
    req.set_service(service);
    req.set_page_size(500);
    int64_t shown = 0;
    do {
      adpb::ListEntriesResponse resp;
      auto ctx = cli.Context();
      grpc::Status s = stub->ListEntries(ctx.get(), req, &resp);
      if (!s.ok()) {
        cli.err() << service << " (" << cli.Address(service) << "): ";
        rc = cli.Fail(s);
        break;
      }
      for (const auto& e : resp.entries()) {
        if (shown++ >= limit) break;
        *all.add_entries() = e;
        const std::string action = e.action().substr(e.action().rfind('/') + 1);
        table.Add({service, absl::StrCat(e.seq()),
                   absl::FormatTime("%Y-%m-%d %H:%M:%S",
                                    absl::FromUnixMicros(e.time_micros()),
                                    absl::UTCTimeZone()),
                   e.actor(), action, e.resource(), e.details()});
      }
      req.set_page_token(resp.next_page_token());
    } while (!req.page_token().empty() && shown < limit);
  }
  if (cli.json()) {
    cli.Print(all);
  } else {
    table.Print(cli.out());
  }
  return rc;
}

}  // namespace

int AuditCommand(Cli& cli) {
  const std::string verb = Arg(cli, 1);
  if (verb == "verify") return Verify(cli);
  if (verb == "show") return ShowEntries(cli);
  return cli.Usage(
      "audit verify [--service S...] | show [--service S...] [--resource R] "
      "[--actor USER] [--since T] [--until T] [--limit N]");
}

}  // namespace grantflow::grantctl
