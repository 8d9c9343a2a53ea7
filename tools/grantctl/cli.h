// Shared plumbing for grantctl's commands: arguments, connection, output
// (tables for people, --json for scripts) and error reports that show every
// field violation.
#ifndef GRANTFLOW_TOOLS_GRANTCTL_CLI_H_
#define GRANTFLOW_TOOLS_GRANTCTL_CLI_H_

#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/message.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

namespace grantflow::grantctl {

// --name=value, --name value, and bare --flag (for names in `booleans`).
struct Args {
  std::vector<std::string> positional;
  std::multimap<std::string, std::string> flags;

  bool Has(const std::string& name) const { return flags.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& def = "") const;
  std::vector<std::string> GetAll(const std::string& name) const;
};

// Parses argv[start..]; a usage error is reported through *error.
Args ParseArgs(int argc, char** argv, int start, std::string* error);

// The state one grantctl invocation works with. Not thread-safe.
class Cli {
 public:
  Cli(Args args, std::ostream& out, std::ostream& err);

  const Args& args() const { return args_; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  bool json() const { return args_.Has("json"); }

  // The channel to `service` (programmes, applications, assessment,
  // workflow): its own
  // address when given (--addr-SERVICE or $GRANTFLOW_ADDR_SERVICE, e.g.
  // $GRANTFLOW_ADDR_WORKFLOW, for a split deployment), else --addr
  // ($GRANTFLOW_ADDR, default 127.0.0.1:50051), where grantflowd hosts them
  // all.
  std::shared_ptr<grpc::Channel> channel(const std::string& service = "");
  // The address channel(service) connects to.
  std::string Address(const std::string& service) const;
  // A context with the bearer token (--token or $GRANTFLOW_TOKEN) and a
  // 30-second deadline.
  std::unique_ptr<grpc::ClientContext> Context();
  // --request-id, or a fresh random one.
  std::string RequestId() const;

  // Prints the message as JSON (--json) or through `table`; returns 0.
  int Print(const google::protobuf::Message& msg);
  // Reports a failed call: code, message, reason and field violations.
  // Returns 1.
  int Fail(const grpc::Status& status);
  // Reports a usage problem. Returns 2.
  int Usage(const std::string& problem);

 private:
  Args args_;
  std::ostream& out_;
  std::ostream& err_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
};

// A plain text table with aligned columns.
class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  void Add(std::vector<std::string> row);
  void Print(std::ostream& out) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

std::string StatusCodeName(grpc::StatusCode code);

// Parses proto JSON text into `msg`; false with *error on failure.
bool FromJson(const std::string& json, google::protobuf::Message* msg,
              std::string* error);
std::string ToJson(const google::protobuf::Message& msg);

// Reads a whole file; false when it cannot be read.
bool ReadFile(const std::string& path, std::string* contents);

}  // namespace grantflow::grantctl

#endif  // GRANTFLOW_TOOLS_GRANTCTL_CLI_H_
