#include "tests/adversarial/over_grpc.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "grantflow/agreements/v1/agreements.pb.h"
#include "grantflow/assessment/v1/assessment.pb.h"
#include "grantflow/audit/v1/audit.pb.h"
#include "grantflow/awards/v1/awards.pb.h"
#include "grantflow/duediligence/v1/duediligence.pb.h"
#include "grantflow/payments/v1/payments.pb.h"
#include "grantflow/privacy/v1/privacy.pb.h"
#include "grantflow/safeguarding/v1/safeguarding.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "services/grantflowd/server.h"

namespace grantflow::testing {

grpc::Status CallRaw(const std::shared_ptr<grpc::Channel>& channel,
                     const std::string& method, const std::string& request,
                     const std::string& token, std::string* response) {
  grpc::GenericStub generic(channel);
  grpc::ClientContext ctx;
  if (!token.empty()) Authorise(&ctx, token);
  grpc::CompletionQueue cq;
  grpc::Slice slice(request);
  grpc::ByteBuffer in(&slice, 1), out;
  auto call = generic.PrepareUnaryCall(&ctx, method, in, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&out, &status, reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  EXPECT_TRUE(cq.Next(&tag, &ok));
  if (response != nullptr && status.ok()) {
    std::vector<grpc::Slice> slices;
    (void)out.Dump(&slices);
    response->clear();
    for (const grpc::Slice& sl : slices) {
      response->append(reinterpret_cast<const char*>(sl.begin()), sl.size());
    }
  }
  return status;
}

std::map<std::string, const google::protobuf::MethodDescriptor*> EveryMethod() {
  // Link the generated descriptors of every service into the pool.
  (void)agreements::v1::Agreement::descriptor();
  (void)assessment::v1::Assessment::descriptor();
  (void)awards::v1::Award::descriptor();
  (void)duediligence::v1::DueDiligenceCheck::descriptor();
  (void)payments::v1::Payment::descriptor();
  (void)safeguarding::v1::SafeguardingCheck::descriptor();
  (void)programmes::v1::Fund::descriptor();
  (void)applications::v1::Application::descriptor();
  (void)workflow::v1::Case::descriptor();
  (void)audit::v1::ChainReport::descriptor();
  (void)privacy::v1::Subject::descriptor();
  std::map<std::string, const google::protobuf::MethodDescriptor*> out;
  for (const std::string& full : EveryServiceName()) {
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            full);
    EXPECT_NE(service, nullptr) << full;
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) {
      out[absl::StrCat("/", full, "/", service->method(i)->name())] =
          service->method(i);
    }
  }
  return out;
}

::testing::AssertionResult Ok(const grpc::Status& s) {
  if (s.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "code " << s.error_code() << ": " << s.error_message();
}

std::string IdOf(const std::string& name) {
  return name.substr(name.rfind('/') + 1);
}

grpc::Status OverGrpcTest::Call(const std::string& method,
                                const std::string& text,
                                const std::string& token,
                                google::protobuf::Message* out,
                                const google::protobuf::Message* body,
                                std::string* raw) {
  const std::string full = "grantflow." + method;
  const std::string dotted =
      full.substr(0, full.rfind('/')) + "." + full.substr(full.rfind('/') + 1);
  static const bool linked = !EveryMethod().empty();  // every descriptor
  (void)linked;
  const auto* md =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
          dotted);
  EXPECT_NE(md, nullptr) << dotted;
  if (md == nullptr) return grpc::Status(grpc::StatusCode::INTERNAL, "");
  std::unique_ptr<google::protobuf::Message> req(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(md->input_type())
          ->New());
  if (body != nullptr) {
    // The one message field of the request's type `body` is.
    for (int i = 0; i < md->input_type()->field_count(); ++i) {
      const auto* f = md->input_type()->field(i);
      if (f->message_type() == body->GetDescriptor()) {
        req->GetReflection()->MutableMessage(req.get(), f)->CopyFrom(*body);
      }
    }
  }
  EXPECT_TRUE(google::protobuf::TextFormat::MergeFromString(text, req.get()))
      << text;
  std::string answer;
  grpc::Status s = CallRaw(rig_.channel(), "/" + full, req->SerializeAsString(),
                           token, &answer);
  if (s.ok() && out != nullptr) {
    EXPECT_TRUE(out->ParseFromString(answer));
  }
  if (raw != nullptr) *raw = std::move(answer);
  return s;
}

}  // namespace grantflow::testing
