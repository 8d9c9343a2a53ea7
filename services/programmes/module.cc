#include "services/programmes/module.h"

#include <algorithm>
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/programmes/programme_service.h"

namespace grantflow::programmes {
namespace {

class HostedProgrammes final : public HostedService {
 public:
  explicit HostedProgrammes(const HostContext& host)
      : ledger_(NewPeerLedgerClient(host.peer("workflow"))),
        domain_(host.store, ledger_.get()),
        service_(&domain_, host.env),
        every_(host.settings->reconcile_interval) {}

  grpc::Service* service() override { return &service_; }

  // Settles budget lines with the ledger when it is due (see module.h). The
  // cadence runs on real time: it paces work, it decides nothing.
  absl::Status Background(absl::Time now, bool force) override {
    const bool settled = reconciled_ && !domain_.Unsettled();
    const absl::Duration wait =
        settled ? every_ : std::min(every_, absl::Seconds(2));
    if (!force && absl::Now() - last_ < wait) return absl::OkStatus();
    last_ = absl::Now();
    auto report = domain_.ReconcileLedger(now);
    if (!report.ok()) {
      reconciled_ = false;
      return report.status();
    }
    reconciled_ = report->problems.empty();
    if (report->adopted + report->pushed > 0) {
      std::cerr << "grantflowd: budget lines settled with the ledger: "
                << report->adopted << " adopted its ceiling, " << report->pushed
                << " registered\n";
    }
    if (!reconciled_) {
      return absl::UnavailableError(
          absl::StrCat("budget lines not yet settled with the ledger: ",
                       absl::StrJoin(report->problems, "; ")));
    }
    return absl::OkStatus();
  }

 private:
  std::unique_ptr<LedgerClient> ledger_;
  Programmes domain_;
  ProgrammeServiceImpl service_;
  const absl::Duration every_;
  // Touched by the host's background passes only, one at a time.
  absl::Time last_ = absl::InfinitePast();
  bool reconciled_ = false;
};

}  // namespace

ServiceModule ProgrammesModule() {
  ServiceModule m;
  m.name = "programmes";
  m.grpc_name = pb::ProgrammeService::service_full_name();
  m.needs = {"workflow"};
  m.make = [](const HostContext& host)
      -> absl::StatusOr<std::unique_ptr<HostedService>> {
    return std::make_unique<HostedProgrammes>(host);
  };
  return m;
}

}  // namespace grantflow::programmes
