// grantctl rpc: a generic client that knows nothing of grantflow's protos and
// learns everything from the server's reflection service (like grpc_cli or
// grpcurl, neither of which Debian 12 packages), plus grantctl health.
#include <set>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/descriptor_database.h"
#include "google/protobuf/dynamic_message.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "tools/grantctl/commands.h"

namespace grantflow::grantctl {
namespace {

namespace refl = ::grpc::reflection::v1alpha;

// Fetches descriptors over one reflection stream.
class ReflectionClient {
 public:
  explicit ReflectionClient(Cli& cli)
      : cli_(cli), stub_(refl::ServerReflection::NewStub(cli.channel())) {}

  bool ListServices(std::vector<std::string>* out, grpc::Status* status) {
    refl::ServerReflectionRequest req;
    req.set_list_services("");
    refl::ServerReflectionResponse resp;
    if (!RoundTrip(req, &resp, status)) return false;
    for (const auto& s : resp.list_services_response().service()) {
      out->push_back(s.name());
    }
    return true;
  }

  // Loads the file defining `symbol` and everything it imports into db_.
  bool LoadSymbol(const std::string& symbol, grpc::Status* status) {
    refl::ServerReflectionRequest req;
    req.set_file_containing_symbol(symbol);
    return LoadFiles(req, status);
  }

  const google::protobuf::DescriptorPool& pool() { return pool_; }

 private:
  bool RoundTrip(const refl::ServerReflectionRequest& req,
                 refl::ServerReflectionResponse* resp, grpc::Status* status) {
    if (stream_ == nullptr) {
      ctx_ = cli_.Context();
      stream_ = stub_->ServerReflectionInfo(ctx_.get());
    }
    if (!stream_->Write(req) || !stream_->Read(resp)) {
      stream_->WritesDone();
      *status = stream_->Finish();
      if (status->ok()) {
        *status = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                               "reflection stream ended");
      }
      return false;
    }
    if (resp->has_error_response()) {
      *status = grpc::Status(
          static_cast<grpc::StatusCode>(resp->error_response().error_code()),
          resp->error_response().error_message());
      return false;
    }
    return true;
  }

  bool LoadFiles(const refl::ServerReflectionRequest& req,
                 grpc::Status* status) {
    refl::ServerReflectionResponse resp;
    if (!RoundTrip(req, &resp, status)) return false;
    for (const std::string& bytes :
         resp.file_descriptor_response().file_descriptor_proto()) {
      google::protobuf::FileDescriptorProto file;
      if (!file.ParseFromString(bytes)) {
        *status = grpc::Status(grpc::StatusCode::DATA_LOSS,
                               "the server sent an unreadable descriptor");
        return false;
      }
      if (!loaded_.insert(file.name()).second) continue;
      db_.Add(file);
      for (const std::string& dep : file.dependency()) {
        if (loaded_.count(dep)) continue;
        refl::ServerReflectionRequest more;
        more.set_file_by_filename(dep);
        if (!LoadFiles(more, status)) return false;
      }
    }
    return true;
  }

  Cli& cli_;
  std::unique_ptr<refl::ServerReflection::Stub> stub_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<refl::ServerReflectionRequest,
                                           refl::ServerReflectionResponse>>
      stream_;
  std::set<std::string> loaded_;
  google::protobuf::SimpleDescriptorDatabase db_;
  google::protobuf::DescriptorPool pool_{&db_};
};

}  // namespace

int RpcCommand(Cli& cli) {
  const auto& pos = cli.args().positional;
  const std::string verb = pos.size() > 1 ? pos[1] : "";
  ReflectionClient rc(cli);
  grpc::Status status;
  if (verb == "list") {
    std::vector<std::string> services;
    if (!rc.ListServices(&services, &status)) return cli.Fail(status);
    for (const auto& s : services) cli.out() << s << "\n";
    return 0;
  }
  if (verb == "describe" && pos.size() > 2) {
    if (!rc.LoadSymbol(pos[2], &status)) return cli.Fail(status);
    const auto* svc = rc.pool().FindServiceByName(pos[2]);
    if (svc == nullptr) return cli.Usage("no such service: " + pos[2]);
    for (int i = 0; i < svc->method_count(); ++i) {
      const auto* m = svc->method(i);
      cli.out() << m->name() << "(" << m->input_type()->full_name()
                << ") returns (" << m->output_type()->full_name() << ")\n";
    }
    return 0;
  }
  if (verb == "call" && pos.size() > 2) {
    // pos[2] = package.Service/Method, pos[3] = JSON request (default {}).
    const std::string& target = pos[2];
    size_t slash = target.rfind('/');
    if (slash == std::string::npos) {
      return cli.Usage(
          "call needs SERVICE/METHOD, e.g. "
          "grantflow.programmes.v1.ProgrammeService/ListFunds");
    }
    const std::string service = target.substr(0, slash);
    if (!rc.LoadSymbol(service, &status)) return cli.Fail(status);
    const auto* svc = rc.pool().FindServiceByName(service);
    const auto* method =
        svc ? svc->FindMethodByName(target.substr(slash + 1)) : nullptr;
    if (method == nullptr) return cli.Usage("no such method: " + target);
    google::protobuf::DynamicMessageFactory factory(&rc.pool());
    std::unique_ptr<google::protobuf::Message> req(
        factory.GetPrototype(method->input_type())->New());
    std::unique_ptr<google::protobuf::Message> resp(
        factory.GetPrototype(method->output_type())->New());
    std::string error;
    if (!FromJson(pos.size() > 3 ? pos[3] : "{}", req.get(), &error)) {
      return cli.Usage("request JSON: " + error);
    }
    std::string wire = req->SerializeAsString();
    grpc::Slice slice(wire);
    grpc::ByteBuffer request_buffer(&slice, 1);
    grpc::GenericStub generic(cli.channel());
    grpc::CompletionQueue cq;
    auto ctx = cli.Context();
    auto call = generic.PrepareUnaryCall(
        ctx.get(), absl::StrCat("/", service, "/", method->name()),
        request_buffer, &cq);
    call->StartCall();
    grpc::ByteBuffer response_buffer;
    call->Finish(&response_buffer, &status, reinterpret_cast<void*>(1));
    void* tag;
    bool ok;
    cq.Next(&tag, &ok);
    if (!status.ok()) return cli.Fail(status);
    std::vector<grpc::Slice> slices;
    response_buffer.Dump(&slices).IgnoreError();
    std::string bytes;
    for (const auto& s : slices) {
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    if (!resp->ParseFromString(bytes)) {
      return cli.Fail(grpc::Status(grpc::StatusCode::DATA_LOSS,
                                   "the response does not parse as " +
                                       resp->GetDescriptor()->full_name()));
    }
    return cli.Print(*resp);
  }
  return cli.Usage("rpc list | describe SERVICE | call SERVICE/METHOD [JSON]");
}

int HealthCommand(Cli& cli) {
  auto stub = grpc::health::v1::Health::NewStub(cli.channel());
  const auto& pos = cli.args().positional;
  grpc::health::v1::HealthCheckRequest req;
  req.set_service(pos.size() > 1 ? pos[1] : "");
  grpc::health::v1::HealthCheckResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::Status s = stub->Check(&ctx, req, &resp);
  if (!s.ok()) return cli.Fail(s);
  cli.out() << (req.service().empty() ? "(server)" : req.service()) << ": "
            << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
                   resp.status())
            << "\n";
  return resp.status() == grpc::health::v1::HealthCheckResponse::SERVING ? 0
                                                                         : 1;
}

}  // namespace grantflow::grantctl
