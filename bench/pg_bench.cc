// pg_bench: the workflow engine against PostgreSQL doing the same
// transitions, side by side in one run at each concurrency.
//
//   pg_bench --pg="host=/tmp/dir port=5432 dbname=postgres" [--seconds=3]
//            [--concurrency=1,8,64] [--dir=/tmp/...]
//
// Both sides run the same operations: each client drives its own cases,
// starting one and moving it through the five assessment facts (SUBMITTED to
// RECOMMENDED), a new case once one is recommended.
//
// The engine runs in this process on a synced RocksDB store (what grantflowd
// does inside each RPC). PostgreSQL (a server bench/run-all starts in a
// temporary directory, fsync and synchronous_commit on) is driven as an
// application would drive it, one connection per client, prepared
// statements, one transaction per transition:
//
//   interactive:  BEGIN; SELECT the case FOR UPDATE; check the transition is
//                 allowed from its state; UPDATE it; INSERT the history row,
//                 the request id (idempotency) and the audit row; COMMIT
//   one statement: the same as one statement (a conditional UPDATE whose
//                 RETURNING feeds the three INSERTs), one round trip
//
// The engine also keeps a hash-chained audit log and a by-state index;
// PostgreSQL's audit rows are not chained (chaining would serialise every
// transaction on the chain's head) and its by-state index is a btree on
// cases(state).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/harness.h"
#include "libpq-fe.h"
#include "workflows/definitions.h"

ABSL_FLAG(std::string, pg, "", "libpq connection string (required)");
ABSL_FLAG(double, seconds, 3, "Seconds per measurement");
ABSL_FLAG(std::string, concurrency, "1,8,64", "Concurrency levels");
ABSL_FLAG(std::string, dir, "", "Scratch directory (default: a new temp dir)");

namespace grantflow::bench {
namespace {

// The states each fact moves a case from and to.
const char* const kFrom[5] = {"SUBMITTED", "ELIGIBILITY_CHECK", "ELIGIBLE",
                              "SHORTLISTED", "INTERVIEW"};
const char* const kTo[5] = {"ELIGIBILITY_CHECK", "ELIGIBLE", "SHORTLISTED",
                            "INTERVIEW", "RECOMMENDED"};
// About the size of a case as the engine stores it.
const std::string kCaseData(320, 'c');
const std::string kDetails(160, 'd');

[[noreturn]] void Die(PGconn* c, const std::string& what) {
  std::cerr << "pg_bench: " << what << ": " << PQerrorMessage(c) << "\n";
  std::exit(1);
}

PGconn* Connect() {
  PGconn* c = PQconnectdb(absl::GetFlag(FLAGS_pg).c_str());
  if (PQstatus(c) != CONNECTION_OK) Die(c, "connect");
  return c;
}

void Exec(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  const ExecStatusType s = PQresultStatus(r);
  PQclear(r);
  if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) Die(c, sql);
}

void Schema() {
  PGconn* c = Connect();
  Exec(c,
       "SET client_min_messages TO warning;"
       "DROP TABLE IF EXISTS cases, history, request_ids, audit;"
       "CREATE TABLE cases (id text PRIMARY KEY, state text NOT NULL,"
       " version bigint NOT NULL, data bytea NOT NULL);"
       "CREATE INDEX cases_by_state ON cases (state);"
       "CREATE TABLE history (case_id text, seq bigint, kind text,"
       " from_state text, to_state text, actor text, request_id text,"
       " at timestamptz, PRIMARY KEY (case_id, seq));"
       "CREATE TABLE request_ids (request_id text PRIMARY KEY,"
       " case_id text, version bigint);"
       "CREATE TABLE audit (seq bigserial PRIMARY KEY, actor text,"
       " action text, resource text, request_id text, at timestamptz,"
       " details text);");
  PQfinish(c);
}

// One client's connection and its prepared statements.
class Client {
 public:
  explicit Client(bool one_statement) : c_(Connect()), one_(one_statement) {
    Prepare("start",
            "WITH c AS (INSERT INTO cases VALUES ($1, 'SUBMITTED', 1, $2)"
            " RETURNING id), h AS (INSERT INTO history SELECT id, 1,"
            " 'CASE_STARTED', '', 'SUBMITTED', 'svc', $3, now() FROM c),"
            " i AS (INSERT INTO request_ids SELECT $3, id, 1 FROM c)"
            " INSERT INTO audit (actor, action, resource, request_id, at,"
            " details) SELECT 'svc', 'StartCase', id, $3, now(), $4 FROM c");
    Prepare("read",
            "SELECT state, version FROM cases WHERE id = $1 FOR UPDATE");
    Prepare(
        "update",
        "UPDATE cases SET state = $2, version = $3, data = $4 WHERE id = $1");
    Prepare(
        "history",
        "INSERT INTO history VALUES ($1, $2, $3, $4, $5, 'grace', $6, now())");
    Prepare("request", "INSERT INTO request_ids VALUES ($1, $2, $3)");
    Prepare("audit",
            "INSERT INTO audit (actor, action, resource, request_id, at,"
            " details) VALUES ('grace', $2, $1, $3, now(), $4)");
    Prepare("transition",
            "WITH c AS (UPDATE cases SET state = $3, version = version + 1,"
            " data = $5 WHERE id = $1 AND state = $2 RETURNING id, version),"
            " h AS (INSERT INTO history SELECT id, version, $4, $2, $3,"
            " 'grace', $6, now() FROM c),"
            " i AS (INSERT INTO request_ids SELECT $6, id, version FROM c)"
            " INSERT INTO audit (actor, action, resource, request_id, at,"
            " details) SELECT 'grace', $4, id, $6, now(), $7 FROM c"
            " RETURNING seq");
  }
  ~Client() { PQfinish(c_); }

  void Start(const std::string& id, const std::string& rid) {
    Run("start", {id, kCaseData, rid, kDetails}, PGRES_COMMAND_OK);
  }

  // Fact `step` (0-4) on case `id`.
  void Transition(const std::string& id, int step, const std::string& rid) {
    if (one_) {
      PGresult* r = Run(
          "transition",
          {id, kFrom[step], kTo[step], kFacts[step], kCaseData, rid, kDetails},
          PGRES_TUPLES_OK);
      if (PQntuples(r) != 1) Die(c_, "the transition was not allowed");
      PQclear(r);
      return;
    }
    Exec(c_, "BEGIN");
    PGresult* r = Run("read", {id}, PGRES_TUPLES_OK);
    if (PQntuples(r) != 1 || std::string(PQgetvalue(r, 0, 0)) != kFrom[step]) {
      Die(c_, "the transition was not allowed");
    }
    const std::string version =
        absl::StrCat(std::stoll(PQgetvalue(r, 0, 1)) + 1);
    PQclear(r);
    PQclear(
        Run("update", {id, kTo[step], version, kCaseData}, PGRES_COMMAND_OK));
    PQclear(Run("history",
                {id, version, kFacts[step], kFrom[step], kTo[step], rid},
                PGRES_COMMAND_OK));
    PQclear(Run("request", {rid, id, version}, PGRES_COMMAND_OK));
    PQclear(Run("audit", {id, kFacts[step], rid, kDetails}, PGRES_COMMAND_OK));
    Exec(c_, "COMMIT");
  }

 private:
  void Prepare(const char* name, const char* sql) {
    PGresult* r = PQprepare(c_, name, sql, 0, nullptr);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) Die(c_, name);
    PQclear(r);
  }
  PGresult* Run(const char* name, const std::vector<std::string>& params,
                ExecStatusType want) {
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    for (const auto& p : params) {
      values.push_back(p.data());
      lengths.push_back(static_cast<int>(p.size()));
      formats.push_back(0);
    }
    PGresult* r =
        PQexecPrepared(c_, name, static_cast<int>(params.size()), values.data(),
                       lengths.data(), formats.data(), 0);
    if (PQresultStatus(r) != want) Die(c_, name);
    return r;
  }

  PGconn* c_;
  bool one_;
};

Result Postgres(int threads, double seconds, bool one_statement) {
  Schema();
  std::vector<std::unique_ptr<Client>> clients;
  for (int t = 0; t < threads; ++t) {
    clients.push_back(std::make_unique<Client>(one_statement));
  }
  // The same mix as EngineTransitions: a start, then five facts, per case.
  std::vector<long> case_no(threads, 0);
  std::vector<int> step(threads, 5);
  return Measure(threads, seconds, [&](int t, long i) {
    if (step[t] == 5) {
      ++case_no[t];
      step[t] = 0;
      clients[t]->Start(absl::StrCat("t", t, "-", case_no[t]),
                        absl::StrCat("s", t, "-", case_no[t]));
      return;
    }
    clients[t]->Transition(absl::StrCat("t", t, "-", case_no[t]), step[t],
                           absl::StrCat("f", t, "-", i));
    ++step[t];
  });
}

}  // namespace
}  // namespace grantflow::bench

int main(int argc, char** argv) {
  using namespace grantflow::bench;
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_pg).empty()) {
    std::cerr << "pg_bench: --pg is required (bench/run-all starts a server)\n";
    return 2;
  }
  const ScratchDir scratch(absl::GetFlag(FLAGS_dir), "pgbench");
  const std::string& dir = scratch.path();
  grantflow::workflows::DefinitionRegistry defs;
  if (!defs.AddBuiltIn().ok()) return 1;
  const double seconds = absl::GetFlag(FLAGS_seconds);
  std::printf(
      "pg_bench: transitions/s, engine (synced RocksDB, in process) vs "
      "PostgreSQL (synchronous_commit on)\n");
  std::printf("%5s  %10s %9s  %10s %9s  %10s %9s  %8s %8s\n", "conc",
              "engine/s", "eng p99", "pg/s", "pg p99", "pg-1st/s", "p99",
              "vs pg", "vs 1st");
  for (absl::string_view c :
       absl::StrSplit(absl::GetFlag(FLAGS_concurrency), ',')) {
    const int threads = std::stoi(std::string(c));
    Result eng = EngineTransitions(absl::StrCat(dir, "/engine-", threads), defs,
                                   threads, seconds);
    Result pg = Postgres(threads, seconds, /*one_statement=*/false);
    Result one = Postgres(threads, seconds, /*one_statement=*/true);
    std::printf(
        "%5d  %10.0f %7.0fus  %10.0f %7.0fus  %10.0f %7.0fus  %7.1fx %7.1fx\n",
        threads, eng.per_second, eng.p99_us, pg.per_second, pg.p99_us,
        one.per_second, one.p99_us, eng.per_second / pg.per_second,
        eng.per_second / one.per_second);
    std::fflush(stdout);
  }
  return 0;
}
