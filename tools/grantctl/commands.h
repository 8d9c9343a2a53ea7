// grantctl's commands. Each returns the process exit code: 0 success,
// 1 a failed call, 2 a usage error.
#ifndef GRANTFLOW_TOOLS_GRANTCTL_COMMANDS_H_
#define GRANTFLOW_TOOLS_GRANTCTL_COMMANDS_H_

#include "tools/grantctl/cli.h"

namespace grantflow::grantctl {

// Runs the command cli.args().positional[0] names (usage error for an
// unknown one).
int Dispatch(Cli& cli);

int TokenCommand(Cli& cli);
int FundsCommand(Cli& cli);
int BudgetLinesCommand(Cli& cli);
int RoundsCommand(Cli& cli);
int OrganisationsCommand(Cli& cli);
int ApplicationsCommand(Cli& cli);
int EqualityCommand(Cli& cli);
int SeedCommand(Cli& cli);
int CasesCommand(Cli& cli);
int AssessCommand(Cli& cli);
int DueDiligenceCommand(Cli& cli);
int SafeguardingCommand(Cli& cli);
int AwardCommand(Cli& cli);
int AgreementCommand(Cli& cli);
int ReportCommand(Cli& cli);
int BankCommand(Cli& cli);
int PaymentCommand(Cli& cli);
int RemittanceCommand(Cli& cli);
int LedgerCommand(Cli& cli);
int DashboardCommand(Cli& cli);
int OutcomesCommand(Cli& cli);
// ReportService: the grant register (a table, or CSV) and 360Giving data.
int GrantsCommand(Cli& cli);
int RegisterCommand(Cli& cli);
int OpenDataCommand(Cli& cli);
int OutboxCommand(Cli& cli);
// The audit logs: verify every chain, show entries by resource, actor, time.
int AuditCommand(Cli& cli);
// Backups: checkpoints of every grantflowd's stores; list them.
int BackupCommand(Cli& cli);
// Subject access export and erasure of personal data.
int PrivacyCommand(Cli& cli);
// Works from server reflection alone: list, describe, call.
int RpcCommand(Cli& cli);
int HealthCommand(Cli& cli);

}  // namespace grantflow::grantctl

#endif  // GRANTFLOW_TOOLS_GRANTCTL_COMMANDS_H_
