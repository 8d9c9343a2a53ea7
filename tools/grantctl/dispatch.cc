// grantctl's command table.
#include <map>
#include <string>

#include "tools/grantctl/commands.h"

namespace grantflow::grantctl {

int Dispatch(Cli& cli) {
  static const std::map<std::string, int (*)(Cli&)> kCommands = {
      {"token", TokenCommand},
      {"funds", FundsCommand},
      {"budget-lines", BudgetLinesCommand},
      {"rounds", RoundsCommand},
      {"orgs", OrganisationsCommand},
      {"organisations", OrganisationsCommand},
      {"apps", ApplicationsCommand},
      {"applications", ApplicationsCommand},
      {"equality", EqualityCommand},
      {"seed", SeedCommand},
      {"cases", CasesCommand},
      {"assess", AssessCommand},
      {"assessments", AssessCommand},
      {"dd", DueDiligenceCommand},
      {"due-diligence", DueDiligenceCommand},
      {"safeguarding", SafeguardingCommand},
      {"award", AwardCommand},
      {"awards", AwardCommand},
      {"ledger", LedgerCommand},
      {"dashboard", DashboardCommand},
      {"outcomes", OutcomesCommand},
      {"grants", GrantsCommand},
      {"register", RegisterCommand},
      {"open-data", OpenDataCommand},
      {"agreement", AgreementCommand},
      {"agreements", AgreementCommand},
      {"report", ReportCommand},
      {"reports", ReportCommand},
      {"bank", BankCommand},
      {"payment", PaymentCommand},
      {"payments", PaymentCommand},
      {"remittance", RemittanceCommand},
      {"outbox", OutboxCommand},
      {"audit", AuditCommand},
      {"backup", BackupCommand},
      {"privacy", PrivacyCommand},
      {"rpc", RpcCommand},
      {"health", HealthCommand},
  };
  const std::string name =
      cli.args().positional.empty() ? "" : cli.args().positional[0];
  auto it = kCommands.find(name);
  if (it == kCommands.end()) {
    return cli.Usage("unknown command '" + name + "'");
  }
  return it->second(cli);
}

}  // namespace grantflow::grantctl
