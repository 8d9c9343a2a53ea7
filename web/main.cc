// grantflow-portal: the web portal, a gRPC client of grantflowd.
//
//   grantflow-portal --listen=127.0.0.1:8080 --grpc=127.0.0.1:50051
//       [--grpc_service=applications=HOST:PORT,...]      (split deployment)
//       [--dev_key=DATA/keys/token-signing.pem --demo_people=demo.json]
//       [--trusted_key=PUB.pem,...]                       (production sign-in)
//       [--tls_cert=CERT --tls_key=KEY]                   (HTTPS; Secure
//       cookies)
//       [--grpc_tls_ca=CA.pem] [--clock_file=PATH] [--port_file=PATH]
//       [--assets_dir=web/node_modules/govuk-frontend/dist/govuk]
//       [--static_dir=web/static]
//
// Prints "grantflow-portal listening on http://HOST:PORT" once serving;
// SIGINT/SIGTERM stop it.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "platform/clock.h"
#include "web/backend.h"
#include "web/portal.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:8080",
          "HOST:PORT to serve on (port 0 picks one)");
ABSL_FLAG(std::string, grpc, "127.0.0.1:50051",
          "Where grantflowd serves every service");
ABSL_FLAG(std::vector<std::string>, grpc_service, {},
          "SERVICE=HOST:PORT for a service in its own process");
ABSL_FLAG(std::string, grpc_tls_ca, "",
          "The CA of grantflowd's TLS certificates");
ABSL_FLAG(std::string, dev_key, "",
          "Development sign-in: grantflowd's token-signing key (private PEM)");
ABSL_FLAG(std::string, demo_people, "",
          "Development sign-in: a JSON file whose \"people\" are listed");
ABSL_FLAG(std::vector<std::string>, trusted_key, {},
          "Public keys (PEM) whose tokens sign people in");
ABSL_FLAG(std::string, tls_cert, "", "Serve HTTPS with this certificate (PEM)");
ABSL_FLAG(std::string, tls_key, "", "The private key of --tls_cert");
ABSL_FLAG(std::string, clock_file, "", "Read the time from this file (tests)");
ABSL_FLAG(std::string, port_file, "", "Write the bound port here once serving");
ABSL_FLAG(std::string, assets_dir, "web/node_modules/govuk-frontend/dist/govuk",
          "GOV.UK Frontend's dist/govuk directory");
ABSL_FLAG(std::string, static_dir, "web/static", "The portal's own CSS and JS");

namespace {
httplib::Server* g_server = nullptr;
void Stop(int) {
  if (g_server != nullptr) g_server->stop();
}
}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using grantflow::web::Backend;
  using grantflow::web::BackendOptions;
  using grantflow::web::Portal;
  using grantflow::web::PortalOptions;

  BackendOptions bo;
  bo.address = absl::GetFlag(FLAGS_grpc);
  for (const std::string& s : absl::GetFlag(FLAGS_grpc_service)) {
    std::pair<std::string, std::string> kv =
        absl::StrSplit(s, absl::MaxSplits('=', 1));
    if (kv.second.empty()) {
      std::fprintf(stderr, "--grpc_service takes SERVICE=HOST:PORT, not %s\n",
                   s.c_str());
      return 2;
    }
    bo.service_addresses[kv.first] = kv.second;
  }
  bo.tls.ca = absl::GetFlag(FLAGS_grpc_tls_ca);
  auto backend = Backend::Connect(bo);
  if (!backend.ok()) {
    std::fprintf(stderr, "grantflow-portal: %s\n",
                 backend.status().ToString().c_str());
    return 1;
  }

  PortalOptions po;
  po.dev_key = absl::GetFlag(FLAGS_dev_key);
  po.trusted_keys = absl::GetFlag(FLAGS_trusted_key);
  if (!po.dev_key.empty()) {
    // The development key's public half (beside it) verifies its tokens.
    std::string pub = po.dev_key;
    if (absl::EndsWith(pub, ".pem"))
      pub = pub.substr(0, pub.size() - 4) + ".pub.pem";
    po.trusted_keys.push_back(pub);
  }
  if (const std::string f = absl::GetFlag(FLAGS_demo_people); !f.empty()) {
    std::ifstream in(f);
    nlohmann::json demo =
        nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (demo.is_discarded() || !demo.contains("people")) {
      std::fprintf(stderr, "grantflow-portal: %s has no \"people\"\n",
                   f.c_str());
      return 1;
    }
    po.dev_people = demo["people"];
  }
  po.assets_dir = absl::GetFlag(FLAGS_assets_dir);
  po.static_dir = absl::GetFlag(FLAGS_static_dir);
  const bool tls = !absl::GetFlag(FLAGS_tls_cert).empty();
  po.secure_cookies = tls;

  std::unique_ptr<grantflow::Clock> clock;
  if (!absl::GetFlag(FLAGS_clock_file).empty()) {
    clock =
        std::make_unique<grantflow::FileClock>(absl::GetFlag(FLAGS_clock_file));
  } else {
    clock = std::make_unique<grantflow::SystemClock>();
  }
  auto portal = Portal::Create(std::move(po), backend->get(), clock.get());
  if (!portal.ok()) {
    std::fprintf(stderr, "grantflow-portal: %s\n",
                 portal.status().ToString().c_str());
    return 1;
  }

  std::unique_ptr<httplib::Server> server;
  if (tls) {
    server = std::make_unique<httplib::SSLServer>(
        absl::GetFlag(FLAGS_tls_cert).c_str(),
        absl::GetFlag(FLAGS_tls_key).c_str());
    if (!server->is_valid()) {
      std::fprintf(stderr,
                   "grantflow-portal: cannot use --tls_cert/--tls_key\n");
      return 1;
    }
  } else {
    server = std::make_unique<httplib::Server>();
  }
  // Bounded requests: a form is small; nothing needs more than 1 MiB.
  server->set_payload_max_length(1 << 20);
  server->set_read_timeout(10, 0);
  server->set_write_timeout(10, 0);
  (*portal)->Install(*server);

  const std::string listen = absl::GetFlag(FLAGS_listen);
  const size_t colon = listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &port)) {
    std::fprintf(stderr, "--listen takes HOST:PORT\n");
    return 2;
  }
  const std::string host = listen.substr(0, colon);
  if (port == 0) {
    port = server->bind_to_any_port(host);
  } else if (!server->bind_to_port(host, port)) {
    port = -1;
  }
  if (port <= 0) {
    std::fprintf(stderr, "grantflow-portal: cannot listen on %s\n",
                 listen.c_str());
    return 1;
  }
  if (const std::string pf = absl::GetFlag(FLAGS_port_file); !pf.empty()) {
    {
      std::ofstream out(pf + ".tmp");
      out << port << "\n";
    }
    std::rename((pf + ".tmp").c_str(), pf.c_str());
  }
  g_server = server.get();
  signal(SIGINT, Stop);
  signal(SIGTERM, Stop);
  std::printf("grantflow-portal listening on %s://%s:%d\n",
              tls ? "https" : "http", host.c_str(), port);
  std::fflush(stdout);
  server->listen_after_bind();
  return 0;
}
