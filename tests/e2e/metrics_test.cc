// grantflowd's operations surface on a real process: Prometheus /metrics
// over HTTP (the go-grpc-prometheus RPC series, engine transitions, timers
// due, outbox depth, RocksDB figures) and one JSON log line per RPC carrying
// its request_id, after the demo data has been seeded through grantctl.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/daemon.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/process.h"
#include "tests/testing/temp_dir.h"

namespace grantflow {
namespace {

using ::testing::HasSubstr;

// GET http://127.0.0.1:port/path; the response body ("" on failure).
std::string HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "";
  }
  const std::string req =
      absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    close(fd);
    return "";
  }
  std::string resp;
  char buf[8192];
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;) resp.append(buf, n);
  close(fd);
  const size_t body = resp.find("\r\n\r\n");
  return body == std::string::npos ? "" : resp.substr(body + 4);
}

// The value of the series written exactly as `series` (name{labels}); -1
// when absent.
double Value(const std::string& text, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, series + " ")) {
      double v = -1;
      if (absl::SimpleAtod(line.substr(series.size() + 1), &v)) return v;
    }
  }
  return -1;
}

TEST(MetricsTest, PrometheusSeriesAndJsonLogsAfterTheDemoSeed) {
  testing::TempDir dir;
  testing::SetClock(dir, testing::TestEpoch());
  const std::string data = dir.Sub("data");
  const std::string port_file = dir.Sub("metrics.port");
  testing::Daemon daemon(
      GRANTFLOWD_PATH, dir, data, "grantflowd",
      {"--metrics_listen=127.0.0.1:0", "--metrics_port_file=" + port_file});
  const int port = testing::WaitForPortFile(port_file, 10);
  ASSERT_GT(port, 0);
  std::string out;
  ASSERT_EQ(testing::SeedWithGrantctl(GRANTCTL_PATH, daemon, data,
                                      GRANTFLOW_DEMO_JSON, &out),
            0)
      << out;
  // One refusal, to see a code other than OK.
  ASSERT_NE(
      testing::RunCommand(
          {GRANTCTL_PATH, "--addr", daemon.addr(), "funds", "list"}, &out),
      0);

  const std::string m = HttpGet(port, "/metrics");
  ASSERT_FALSE(m.empty());
  const std::string funds =
      "grpc_method=\"CreateFund\",grpc_service=\"grantflow.programmes.v1."
      "ProgrammeService\",grpc_type=\"unary\"}";
  EXPECT_GE(Value(m, "grpc_server_started_total{" + funds), 3) << m;
  EXPECT_GE(Value(m, "grpc_server_handled_total{grpc_code=\"OK\"," + funds), 3);
  EXPECT_GE(Value(m, "grpc_server_msg_received_total{" + funds), 3);
  EXPECT_GE(Value(m, "grpc_server_msg_sent_total{" + funds), 3);
  EXPECT_GE(Value(m, "grpc_server_handling_seconds_count{" + funds), 3);
  EXPECT_GE(Value(m, "grpc_server_handling_seconds_bucket{" +
                         funds.substr(0, funds.size() - 1) + ",le=\"+Inf\"}"),
            3);
  EXPECT_EQ(Value(m,
                  "grpc_server_handled_total{grpc_code=\"Unauthenticated\","
                  "grpc_method=\"ListFunds\",grpc_service=\"grantflow."
                  "programmes.v1.ProgrammeService\",grpc_type=\"unary\"}"),
            1);
  // The demo grant went from submission to part-paid: the engine committed
  // its transitions, one AGREEMENT_EXECUTED among them.
  EXPECT_EQ(Value(m,
                  "grantflow_engine_transitions_total{fact=\"AGREEMENT_"
                  "EXECUTED\"}"),
            1)
      << m;
  EXPECT_GE(Value(m, "grantflow_engine_timers_due"), 0);
  for (const char* s : {"applications", "workflow"}) {
    const std::string l = absl::StrCat("{service=\"", s, "\"}");
    EXPECT_GE(Value(m, "grantflow_outbox_waiting" + l), 0) << s;
    EXPECT_EQ(Value(m, "grantflow_outbox_parked" + l), 0) << s;
  }
  for (const char* s : {"programmes", "workflow"}) {
    const std::string l = absl::StrCat("{service=\"", s, "\"}");
    EXPECT_EQ(Value(m, "grantflow_rocksdb_is_write_stopped" + l), 0) << s;
    EXPECT_GE(Value(m, "grantflow_rocksdb_compaction_pending" + l), 0) << s;
    EXPECT_GE(Value(m, "grantflow_rocksdb_num_running_compactions" + l), 0);
  }

  // The log: one JSON line per RPC; the fund's creation with its request id.
  std::stringstream log;
  log << std::ifstream(dir.Sub("grantflowd.log")).rdbuf();
  int rpcs = 0, with_id = 0;
  bool refused = false;
  for (absl::string_view line : absl::StrSplit(log.str(), '\n')) {
    if (!absl::StartsWith(line, "{")) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    if (j.value("msg", "") != "rpc") continue;
    ++rpcs;
    EXPECT_TRUE(j.contains("duration_ms") && j.contains("time")) << line;
    if (j["method"] == "CreateFund" && j["code"] == "OK") {
      EXPECT_FALSE(j["request_id"].get<std::string>().empty()) << line;
      ++with_id;
    }
    if (j["method"] == "ListFunds" && j["code"] == "Unauthenticated") {
      refused = true;
      EXPECT_EQ(j["level"], "warn");
    }
  }
  EXPECT_GE(rpcs, 50);
  EXPECT_GE(with_id, 3);
  EXPECT_TRUE(refused);
  std::cout << "metrics: " << std::count(m.begin(), m.end(), '\n')
            << " lines at /metrics; " << rpcs << " JSON RPC log lines\n";
}

}  // namespace
}  // namespace grantflow
