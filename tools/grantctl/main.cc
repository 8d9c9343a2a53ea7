// grantctl: the command-line client for grantflow.
#include <iostream>
#include <string>

#include "tools/grantctl/cli.h"
#include "tools/grantctl/commands.h"

namespace {

constexpr char kHelp[] = R"(grantctl: the grantflow command-line client

Global flags: --addr HOST:PORT ($GRANTFLOW_ADDR, default 127.0.0.1:50051)
              --token TOKEN    ($GRANTFLOW_TOKEN)
              --tls_ca CA.pem  ($GRANTFLOW_TLS_CA) TLS, trusting this CA
              --json           machine-readable output
              --request-id ID  retry a change safely with the same id

  token --data_dir DIR --user NAME --role ROLE [--role ...] [--org ORG]
        [--limit approve=PENCE] [--fund ROLE=funds/F ...] [--ttl 12h]
  funds list | get funds/F | create --id F [--file F.json] | update funds/F --file F.json --mask a,b
  budget-lines list --fund funds/F | get NAME | create --fund funds/F --id ID --file F.json
  rounds list --fund funds/F | get NAME | create --fund funds/F --id ID --file F.json
         | update NAME --file F.json --mask close_time
  orgs list | get organisations/O | create [--id O] --file O.json
  apps list [--round R] [--state DRAFT|SUBMITTED|WITHDRAWN] [--org O] [--all]
       | get applications/A
       | draft --round R --org O [--title T] [--summary S] [--amount-pence N]
               [--start YYYY-MM-DD] [--end YYYY-MM-DD] [--borough B ...]
               [--beneficiaries N] [--children] [--adults-at-risk]
               [--budget "DESCRIPTION=PENCE" ...]
       | update applications/A [same fields] [--etag E]
       | submit applications/A [--etag E]
       | withdraw applications/A --reason TEXT
  equality get applications/A | set applications/A [--led-by C ...] [--serves C ...]
           | report --round R       (applicants and funded projects in aggregate,
                                     counts under 5 shown as "fewer than 5")
  assess list --round R [--state S] [--all] | get A | ranking --round R
         | screen A (--eligible | --ineligible) [--reason T]
         | assign A (--assessor U ... | --pool U ...) [--stage interview]
         | queue [--include-submitted]
         | declare A (--no-conflict | --conflict REASON) [--stage interview]
         | score A --score CRITERION=N[:comment] ... [--na CRITERION[:why]]
         | submit A | sheet A [--assessor U] | reopen A --assessor U --reason T
         | moderate A --score PERCENT --rationale T
         | shortlist A (--yes | --no --feedback T)
         | shortlist --round R (--top N | --above PERCENT) --feedback T
         | interview A --at RFC3339 --panel U --panel U [--location L]
         | recommend A (--recommend --amount-pence N | --reserve
                        | --not-recommended --feedback T) [--rationale T]
         | feedback applications/A
  dd list --state OPEN|REFERRED|... [--all] | get CHECK
     | record CHECK --item ITEM (--satisfactory | --unsatisfactory)
              [--evidence REF ...] [--notes T] [--registration NUMBER]
              [--board N] [--year-end YYYY-MM-DD --income-pence N]
              [--reserves-months N] [--risk green|amber|red]
     | duplicates CHECK | clear CHECK --condition ID --note T
     | conclude CHECK (--passed | --failed --reason T
                      | --conditions --condition ID:ROLE:TEXT ... --reason T)
     | referral CHECK (--uphold | --override) --reason T
     | policy [--standard-from-pence N --enhanced-from-pence N --validity-days N]
  safeguarding list --state OPEN|NOT_REQUIRED|... [--all] | get CHECK | access CHECK
     | require CHECK --reason T
     | record CHECK --item ITEM (--satisfactory | --unsatisfactory) [--evidence REF ...]
              [--notes T] [--reviewed DATE] [--lead-name N --lead-role R] [--trained DATE]
     | dbs add CHECK --id ID --certificate 12DIGITS --issued DATE --level L --role R
               --decision D | dbs list CHECK
     | conclude CHECK (--passed | --failed --reason T
                      | --conditions --condition ID:TEXT ... --reason T)
     | clear CHECK --condition ID --note T
  award list --state APPROVED|DECLINED|RESERVE_LIST [--all] | get CASE
        | approve CASE --amount-pence N --line BUDGET_LINE[=PENCE] ... [--rationale T]
                [--publish-from DATE]   (defer open-data publication)
        | decline CASE --feedback T [--rationale T] | reserve CASE [--rationale T]
        | publish AWARD --date DATE --reason T   (move its publication date)
  agreement template get funds/F | template set funds/F --file T.json [--etag E]
        | draft CASE [TERMS] | vary AGREEMENT --reason T [TERMS]   (an executed one: a new version)
        | update AGREEMENT [TERMS] [--etag E]
        | issue AGREEMENT [--signature-days N] | get AGREEMENT | list --state S [--all]
        | document AGREEMENT [--version N] [--html] [--out FILE]   (prints its sha256)
        | sign AGREEMENT --sha256 H --position P [--version N]      (recipient's signatory)
        | countersign AGREEMENT --sha256 H --position P [--version N]  (approver)
        | terminate AGREEMENT --reason T [--recover-pence N]
     TERMS: [--file TERMS.json] [--maximum-pence N] [--purpose T] [--eligible T]
        [--start DATE] [--end DATE] [--instalment ID=PENCE|SHARE%[@execution|@DATE|@report:ID] ...]
        [--report ID:DATE:TITLE ... [--final ID]]
  report submit AGREEMENT REPORT --progress INDICATOR=N[:note] ... --narrative T [--spent-pence N]
         | accept AGREEMENT REPORT [--note T] | return AGREEMENT REPORT --note T
  bank get ORG | change ORG --account-name N --sort-code S --account-number N [--reason T]
       | verify ORG --etag E (also: approve) | reject ORG --reason T
  payment request CASE --instalment ID [--amount-pence N] [--note T]
          | approve PAYMENT | reject PAYMENT --reason T | get PAYMENT | list --state S [--all]
          | release | confirm PAYMENT | fail PAYMENT --reason T
  remittance list [--all] | get BATCH | export BATCH [--out FILE.csv]
  audit verify [--service S ...]     (every service's hash chain, first broken entry)
        | show [--service S ...] [--resource R] [--actor U] [--since T] [--until T] [--limit N]
  backup create [--id ID] | list   (RocksDB checkpoints of every grantflowd's
        stores; admin. Restore: grantflowd --restore_from=DIR --data_dir=EMPTY)
  privacy export (USER | organisations/O) [--out FILE.json]   (subject access; admin)
        | erase (USER | organisations/O) --reason T        (what the funder need not keep)
  cases list [--state S] [--fund F] [--round R] [--all] | get CASE | history CASE
        | fact CASE FACT [--data PAYLOAD_JSON] [--reason TEXT] [--etag E]
  ledger show [--fund funds/F] | get funds/F/budgetLines/L
  dashboard funds/F    a fund's lines summed and each round's pipeline
  outcomes funds/F     indicator totals from the accepted monitoring reports
  grants funds/F [--round R]       the grant register: every award, paid to date
  register funds/F [--round R] [--out FILE.csv]   the register as CSV
  open-data funds/F [--out FILE.json]   published grants as a 360Giving package
  outbox parked | waiting | retry TASK_ID
  seed FILE.json [--now RFC3339]       load demo data (safe to repeat)
  health [SERVICE]                     grpc.health.v1 check
  rpc list | describe SERVICE | call SERVICE/METHOD [JSON]   (server reflection only)
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace grantflow::grantctl;
  std::string error;
  Args args = ParseArgs(argc, argv, 1, &error);
  Cli cli(args, std::cout, std::cerr);
  if (!error.empty()) return cli.Usage(error);
  if (args.positional.empty() || args.positional[0] == "help" ||
      args.Has("help")) {
    std::cout << kHelp;
    return args.positional.empty() && !args.Has("help") ? 2 : 0;
  }
  return Dispatch(cli);
}
