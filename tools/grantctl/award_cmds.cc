// grantctl commands for AwardService: an approver awards a recommended
// application (on one or more budget lines), declines it with feedback for
// the applicant, or puts it on the reserve list; staff read the decisions.
#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "grantflow/awards/v1/awards.grpc.pb.h"
#include "platform/money.h"
#include "tools/grantctl/commands.h"
#include "tools/grantctl/helpers.h"

namespace grantflow::grantctl {
namespace {

namespace awpb = ::grantflow::awards::v1;

void AwardDetail(const awpb::Award& a, std::ostream& out) {
  out << a.name() << "  " << awpb::Award::State_Name(a.state()) << "  (etag "
      << a.etag() << ")\n"
      << "  application:   " << a.application() << " — " << a.organisation()
      << "\n"
      << "  asked for:     " << FormatPounds(a.amount_requested_pence())
      << ", recommended by " << a.recommended_by() << "\n";
  if (a.state() == awpb::Award::APPROVED) {
    out << "  awarded:       " << FormatPounds(a.amount_pence()) << "\n";
    for (const auto& al : a.allocations()) {
      out << "    from " << al.budget_line() << ": "
          << FormatPounds(al.amount_pence()) << "\n";
    }
  }
  if (!a.publication_date().empty()) {
    out << "  published from " << a.publication_date() << "\n";
  }
  out << "  decided:       by " << a.decided_by() << " (limit "
      << FormatPounds(a.approver_limit_pence()) << ") on "
      << When(a.decide_time()) << "\n";
  if (!a.rationale().empty())
    out << "  rationale:     " << a.rationale() << "\n";
  if (!a.feedback().empty()) out << "  feedback:      " << a.feedback() << "\n";
}

constexpr char kUsage[] =
    "award list --state APPROVED|DECLINED|RESERVE_LIST [--all] | get CASE\n"
    "  | approve CASE --amount-pence N --line BUDGET_LINE[=PENCE] ...\n"
    "            [--rationale T] [--etag E] [--publish-from YYYY-MM-DD]\n"
    "  | publish AWARD --date YYYY-MM-DD --reason T [--etag E]\n"
    "  | decline CASE --feedback T [--rationale T] [--etag E]\n"
    "  | reserve CASE [--rationale T]";

}  // namespace

int AwardCommand(Cli& cli) {
  auto stub = awpb::AwardService::NewStub(cli.channel("awards"));
  const std::string verb = Arg(cli, 1);
  awpb::Award out;
  auto show = [&](const grpc::Status& s, const awpb::Award& a) {
    return Show<awpb::Award>(cli, s, a, AwardDetail);
  };
  if (verb == "list") {
    awpb::ListAwardsRequest req;
    awpb::Award::State st;
    if (!awpb::Award::State_Parse(
            absl::AsciiStrToUpper(cli.args().Get("state")), &st)) {
      return cli.Usage("--state must be APPROVED, DECLINED or RESERVE_LIST");
    }
    req.set_state(st);
    return ListPages<awpb::ListAwardsRequest, awpb::ListAwardsResponse,
                     awpb::Award>(
        cli, req,
        [&](auto* c, const auto& r, auto* o) {
          return stub->ListAwards(c, r, o);
        },
        [](const auto& r) -> const auto& { return r.awards(); },
        Table({"AWARD", "STATE", "ORGANISATION", "ASKED", "AWARDED", "BY"}),
        [](Table& t, const awpb::Award& a) {
          t.Add({a.name(), awpb::Award::State_Name(a.state()), a.organisation(),
                 FormatPounds(a.amount_requested_pence()),
                 FormatPounds(a.amount_pence()), a.decided_by()});
        });
  }
  const std::string name = Arg(cli, 2);
  if (verb == "publish") {
    awpb::SetPublicationDateRequest req;
    req.set_name(NameIn("awards", name));
    req.set_publication_date(cli.args().Get("date"));
    req.set_reason(cli.args().Get("reason"));
    req.set_etag(cli.args().Get("etag"));
    req.set_request_id(cli.RequestId());
    auto ctx = cli.Context();
    return show(stub->SetPublicationDate(ctx.get(), req, &out), out);
  }
  if (verb == "get") {
    awpb::GetAwardRequest req;
    req.set_name(NameIn("awards", name));
    auto ctx = cli.Context();
    return show(stub->GetAward(ctx.get(), req, &out), out);
  }
  awpb::DecideAwardRequest req;
  req.set_case_(NameIn("cases", name));
  if (verb == "approve") {
    req.set_decision(awpb::DecideAwardRequest::AWARD);
    req.set_publication_date(cli.args().Get("publish-from"));
    int64_t amount = 0;
    if (!absl::SimpleAtoi(cli.args().Get("amount-pence"), &amount)) {
      return cli.Usage("--amount-pence must be a whole number of pence");
    }
    req.set_amount_pence(amount);
    const std::vector<std::string> lines = cli.args().GetAll("line");
    if (lines.empty()) return cli.Usage("name the budget line(s): --line L");
    for (const std::string& l : lines) {
      std::vector<std::string> parts =
          absl::StrSplit(l, absl::MaxSplits('=', 1));
      auto* al = req.add_allocations();
      al->set_budget_line(parts[0]);
      int64_t pence = amount;
      if (parts.size() == 2 && !absl::SimpleAtoi(parts[1], &pence)) {
        return cli.Usage("--line must be BUDGET_LINE or BUDGET_LINE=PENCE");
      }
      if (parts.size() == 1 && lines.size() > 1) {
        return cli.Usage("with several lines, give each its PENCE");
      }
      al->set_amount_pence(pence);
    }
  } else if (verb == "decline") {
    req.set_decision(awpb::DecideAwardRequest::DECLINE);
    req.set_feedback(cli.args().Get("feedback"));
  } else if (verb == "reserve") {
    req.set_decision(awpb::DecideAwardRequest::RESERVE_LIST);
  } else {
    return cli.Usage(kUsage);
  }
  req.set_rationale(cli.args().Get("rationale"));
  req.set_etag(cli.args().Get("etag"));
  req.set_request_id(cli.RequestId());
  auto ctx = cli.Context();
  return show(stub->DecideAward(ctx.get(), req, &out), out);
}

}  // namespace grantflow::grantctl
