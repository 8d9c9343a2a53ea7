#include "tools/grantctl/cli.h"

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "services/common/tls.h"

namespace grantflow::grantctl {

std::string Args::Get(const std::string& name, const std::string& def) const {
  auto it = flags.find(name);
  return it == flags.end() ? def : it->second;
}

std::vector<std::string> Args::GetAll(const std::string& name) const {
  std::vector<std::string> out;
  auto [b, e] = flags.equal_range(name);
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

Args ParseArgs(int argc, char** argv, int start, std::string* error) {
  static const char* kBooleans[] = {"json",
                                    "all",
                                    "children",
                                    "adults-at-risk",
                                    "help",
                                    "prefer-not-to-say",
                                    "eligible",
                                    "ineligible",
                                    "no-conflict",
                                    "yes",
                                    "no",
                                    "recommend",
                                    "reserve",
                                    "not-recommended",
                                    "include-submitted",
                                    "satisfactory",
                                    "unsatisfactory",
                                    "passed",
                                    "failed",
                                    "conditions",
                                    "uphold",
                                    "override",
                                    "html"};
  Args a;
  for (int i = start; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("--", 0) != 0 || s == "--") {
      a.positional.push_back(s);
      continue;
    }
    s = s.substr(2);
    size_t eq = s.find('=');
    if (eq != std::string::npos) {
      a.flags.emplace(s.substr(0, eq), s.substr(eq + 1));
      continue;
    }
    bool boolean = false;
    for (const char* b : kBooleans) boolean = boolean || s == b;
    if (boolean) {
      a.flags.emplace(s, "true");
    } else if (i + 1 < argc) {
      a.flags.emplace(s, argv[++i]);
    } else {
      *error = absl::StrCat("--", s, " needs a value");
    }
  }
  return a;
}

Cli::Cli(Args args, std::ostream& out, std::ostream& err)
    : args_(std::move(args)), out_(out), err_(err) {}

std::string Cli::Address(const std::string& service) const {
  if (!service.empty()) {
    if (args_.Has("addr-" + service)) return args_.Get("addr-" + service);
    std::string var = "GRANTFLOW_ADDR_";
    for (char c : service) var.push_back(std::toupper(c));
    if (const char* env = std::getenv(var.c_str()); env && *env) return env;
  }
  const char* env = std::getenv("GRANTFLOW_ADDR");
  return args_.Get("addr", env ? env : "127.0.0.1:50051");
}

std::shared_ptr<grpc::Channel> Cli::channel(const std::string& service) {
  const std::string addr = Address(service);
  auto& ch = channels_[addr];
  if (ch == nullptr) {
    // TLS when a CA is given (--tls_ca or $GRANTFLOW_TLS_CA); a client
    // certificate too when --tls_cert and --tls_key are.
    const char* env_ca = std::getenv("GRANTFLOW_TLS_CA");
    const TlsFiles tls{.cert = args_.Get("tls_cert"),
                       .key = args_.Get("tls_key"),
                       .ca = args_.Get("tls_ca", env_ca ? env_ca : "")};
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds =
        ChannelCredentialsFor(tls);
    if (!creds.ok()) {
      err() << "grantctl: " << creds.status().message() << "\n";
      std::exit(2);
    }
    ch = grpc::CreateChannel(addr, *creds);
  }
  return ch;
}

std::unique_ptr<grpc::ClientContext> Cli::Context() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  const char* env = std::getenv("GRANTFLOW_TOKEN");
  std::string token = args_.Get("token", env ? env : "");
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(30));
  return ctx;
}

std::string Cli::RequestId() const {
  std::string given = args_.Get("request-id");
  if (!given.empty()) return given;
  std::random_device rd;
  return absl::StrFormat("ctl-%08x%08x%08x", rd(), rd(), rd());
}

int Cli::Print(const google::protobuf::Message& msg) {
  out_ << ToJson(msg) << "\n";
  return 0;
}

int Cli::Fail(const grpc::Status& status) {
  google::rpc::Status rpc;
  const bool detailed = !status.error_details().empty() &&
                        rpc.ParseFromString(status.error_details());
  // The message of an INVALID_ARGUMENT summarises its field violations,
  // which follow one per line: say each once.
  std::string message = status.error_message();
  bool has_violations = false;
  for (const auto& any : rpc.details()) {
    google::rpc::BadRequest br;
    if (any.UnpackTo(&br) && br.field_violations_size() > 0) {
      has_violations = true;
    }
  }
  constexpr char kSummary[] = "invalid request: ";
  if (has_violations && message.rfind(kSummary, 0) == 0) {
    message = "invalid request";
  }
  err_ << "error: " << StatusCodeName(status.error_code()) << ": " << message
       << "\n";
  if (detailed) {
    for (const auto& any : rpc.details()) {
      google::rpc::ErrorInfo info;
      google::rpc::BadRequest br;
      if (any.UnpackTo(&info)) {
        err_ << "  reason: " << info.reason() << "\n";
        for (const auto& [k, v] : info.metadata()) {
          // Metadata is for programs; print only what the message has not
          // already said (e.g. the facts a state accepts).
          bool said = true;
          for (absl::string_view item : absl::StrSplit(v, ',')) {
            said = said && absl::StrContains(message, item);
          }
          if (!said) err_ << "  " << k << ": " << v << "\n";
        }
      } else if (any.UnpackTo(&br)) {
        for (const auto& fv : br.field_violations()) {
          err_ << "  - " << fv.field() << ": " << fv.description() << "\n";
        }
      }
    }
  }
  return 1;
}

int Cli::Usage(const std::string& problem) {
  err_ << "grantctl: " << problem << "\n(run 'grantctl help' for usage)\n";
  return 2;
}

Table::Table(std::vector<std::string> headers) {
  rows_.push_back(std::move(headers));
}

void Table::Add(std::vector<std::string> row) {
  rows_.push_back(std::move(row));
}

void Table::Print(std::ostream& out) const {
  std::vector<size_t> width;
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      // Count code points so '£' does not skew the columns.
      size_t n = 0;
      for (unsigned char c : row[i]) n += (c & 0xC0) != 0x80;
      width[i] = std::max(width[i], n);
    }
  }
  for (const auto& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      size_t n = 0;
      for (unsigned char c : row[i]) n += (c & 0xC0) != 0x80;
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - n + 2, ' ');
    }
    out << line << "\n";
  }
}

std::string StatusCodeName(grpc::StatusCode code) {
  static const char* kNames[] = {"OK",
                                 "CANCELLED",
                                 "UNKNOWN",
                                 "INVALID_ARGUMENT",
                                 "DEADLINE_EXCEEDED",
                                 "NOT_FOUND",
                                 "ALREADY_EXISTS",
                                 "PERMISSION_DENIED",
                                 "RESOURCE_EXHAUSTED",
                                 "FAILED_PRECONDITION",
                                 "ABORTED",
                                 "OUT_OF_RANGE",
                                 "UNIMPLEMENTED",
                                 "INTERNAL",
                                 "UNAVAILABLE",
                                 "DATA_LOSS",
                                 "UNAUTHENTICATED"};
  int c = static_cast<int>(code);
  if (c >= 0 && c < 17) return kNames[c];
  return absl::StrCat("CODE_", c);
}

bool FromJson(const std::string& json, google::protobuf::Message* msg,
              std::string* error) {
  auto s = google::protobuf::util::JsonStringToMessage(json, msg);
  if (!s.ok()) {
    *error = std::string(s.message());
    return false;
  }
  return true;
}

std::string ToJson(const google::protobuf::Message& msg) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.add_whitespace = true;
  o.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(msg, &out, o);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

bool ReadFile(const std::string& path, std::string* contents) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *contents = ss.str();
  return true;
}

}  // namespace grantflow::grantctl
