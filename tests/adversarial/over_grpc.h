// Helpers for tests that attack grantflowd through gRPC with requests
// written as text protos: a generic (descriptor-only) call, every method of
// every hostable service, and a fixture holding a rig, the agreement steps
// and a tally of attacks.
#ifndef GRANTFLOW_TESTS_ADVERSARIAL_OVER_GRPC_H_
#define GRANTFLOW_TESTS_ADVERSARIAL_OVER_GRPC_H_

#include <map>
#include <memory>
#include <string>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/adversarial/agreement_steps.h"
#include "tests/adversarial/rig.h"

namespace grantflow::testing {

// Calls `method` ("/pkg.Service/Method") with `request` (serialised) as the
// bearer of `token` ("" for none); the answer's bytes go to `response` when
// given.
grpc::Status CallRaw(const std::shared_ptr<grpc::Channel>& channel,
                     const std::string& method, const std::string& request,
                     const std::string& token, std::string* response = nullptr);

// Every method of every service grantflowd can host, by full method name.
std::map<std::string, const google::protobuf::MethodDescriptor*> EveryMethod();

// Success, or a failure naming the status's code and message.
::testing::AssertionResult Ok(const grpc::Status& s);

// The last segment of a resource name ("cases/x" -> "x").
std::string IdOf(const std::string& name);

// A rig on a real port, the agreement steps, and requests written as text
// protos sent through the generic stub, tallied as attacks on `rule`.
class OverGrpcTest : public ::testing::Test, protected AgreementSteps {
 protected:
  explicit OverGrpcTest(const std::string& rule)
      : AgreementSteps(&rig_), attacks_(rule) {}

  // Calls "grantflow.{method}" ("workflow.v1.WorkflowService/GetCase") with
  // the request `text` (text format) and, when given, `body` copied into
  // the request's field of its type first; the answer goes to `out`, and
  // its bytes to `raw`, when given.
  grpc::Status Call(const std::string& method, const std::string& text,
                    const std::string& token,
                    google::protobuf::Message* out = nullptr,
                    const google::protobuf::Message* body = nullptr,
                    std::string* raw = nullptr);

  Rig rig_;
  Attacks attacks_;
};

}  // namespace grantflow::testing

#endif  // GRANTFLOW_TESTS_ADVERSARIAL_OVER_GRPC_H_
