// Every service's request validation and domain entry points, through their
// real gRPC adapters: an all-in-one grantflowd (in this process, its stores
// on /dev/shm) is seeded with a fund, two budget lines, an open round and an
// organisation; each input then names a method of any grantflow service, a
// caller (one of eleven people and identities, a forged token, or none) and
// the request's bytes, and the call is made over gRPC. Properties:
//  * the server never crashes, leaks or trips a sanitizer;
//  * every answer is a code the API conventions allow for a caller's
//    mistake, never INTERNAL, UNKNOWN, DATA_LOSS or UNIMPLEMENTED;
//  * INVALID_ARGUMENT carries a BadRequest naming at least one field, each
//    with a description; FAILED_PRECONDITION carries an ErrorInfo reason;
//  * after every call, no budget line holds more than its ceiling and no
//    total is negative (R3);
//  * every 32 inputs the background pass (timers, outbox deliveries) runs.
// State accumulates from one input to the next, as it would on a server.
//
// Two applications are submitted at the start: $1's case waits at SUBMITTED,
// $2's has an award on grants-a and an executed agreement. "$1" and "$2" in
// any string of a request become their ids, so an input can reach them
// ("cases/$2", "agreements/$2").
//
// RPC_FUZZ_VERBOSE=1 prints each call and its answer.
//
// Input: "/package.Service/Method\n" (or a first byte choosing a method by
// index), a byte choosing the caller, then the request's protobuf bytes.
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "fuzz/check.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grantflow/applications/v1/applications.pb.h"
#include "grantflow/workflow/v1/workflow.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "platform/auth.h"
#include "platform/clock.h"
#include "platform/money.h"
#include "services/grantflowd/server.h"

namespace {

using ::google::protobuf::Message;
using ::grantflow::fuzz::Check;

constexpr char kLines[][40] = {"funds/lff/budgetLines/grants-a",
                               "funds/lff/budgetLines/grants-b"};

struct Method {
  std::string path;  // /package.Service/Method
  const Message* prototype;
};

struct World {
  std::unique_ptr<grantflow::FakeClock> clock;
  std::unique_ptr<grantflow::GrantflowServer> server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::GenericStub> stub;
  std::vector<Method> methods;
  std::vector<std::string> callers;  // tokens; "" for none
  std::string admin;
  std::vector<std::string> ids;  // $1, $2
  int inputs = 0;
};

World* world = nullptr;

grpc::Status Call(const std::string& path, const Message& request,
                  const std::string& token, std::string* response) {
  grpc::ClientContext ctx;
  if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  const std::string bytes = request.SerializeAsString();
  grpc::Slice slice(bytes);
  grpc::ByteBuffer req(&slice, 1), resp;
  std::promise<grpc::Status> done;
  world->stub->UnaryCall(&ctx, path, grpc::StubOptions(), &req, &resp,
                         [&done](grpc::Status s) { done.set_value(s); });
  grpc::Status s = done.get_future().get();
  if (s.ok() && response != nullptr) {
    std::vector<grpc::Slice> slices;
    if (resp.Dump(&slices).ok()) {
      for (const auto& sl : slices) {
        response->append(reinterpret_cast<const char*>(sl.begin()), sl.size());
      }
    }
  }
  return s;
}

const Method* FindMethod(const std::string& path) {
  for (const Method& m : world->methods) {
    if (m.path == path) return &m;
  }
  return nullptr;
}

// Replaces "$1", "$2" in every string of `m` (nested too) with the seeded
// applications' ids.
void Substitute(Message* m) {
  const auto* r = m->GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  r->ListFields(*m, &fields);
  auto fix = [](std::string v) {
    for (size_t i = 0; i < world->ids.size(); ++i) {
      const std::string key = absl::StrCat("$", i + 1);
      for (size_t at = v.find(key); at != std::string::npos;
           at = v.find(key, at + world->ids[i].size())) {
        v.replace(at, key.size(), world->ids[i]);
      }
    }
    return v;
  };
  for (const auto* f : fields) {
    using FD = google::protobuf::FieldDescriptor;
    if (f->cpp_type() == FD::CPPTYPE_STRING) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(*m, f); ++i) {
          r->SetRepeatedString(m, f, i, fix(r->GetRepeatedString(*m, f, i)));
        }
      } else {
        r->SetString(m, f, fix(r->GetString(*m, f)));
      }
    } else if (f->cpp_type() == FD::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(*m, f); ++i) {
          Substitute(r->MutableRepeatedMessage(m, f, i));
        }
      } else {
        Substitute(r->MutableMessage(m, f));
      }
    }
  }
}

// A seed request, as text ("$1" and "$2" as in inputs), made as `token`
// (the admin when empty); the process stops if it is refused. Returns the
// response's bytes.
std::string Seed(const std::string& path, const std::string& text,
                 const std::string& token = "") {
  const Method* m = FindMethod(path);
  Check(m != nullptr);
  std::unique_ptr<Message> req(m->prototype->New());
  Check(google::protobuf::TextFormat::ParseFromString(text, req.get()));
  Substitute(req.get());
  std::string out;
  grpc::Status s = Call(path, *req, token.empty() ? world->admin : token, &out);
  if (!s.ok()) {
    fprintf(stderr, "rpc_fuzz: seeding %s: %s\n", path.c_str(),
            s.error_message().c_str());
    abort();
  }
  return out;
}

// A fact on $2's case, recorded by the service identity for `person`
// acting with `acting` (text of an Acting message).
void SeedFact(const std::string& fact, const std::string& person,
              const std::string& acting, const std::string& payload = "") {
  static int n = 0;
  Seed("/grantflow.workflow.v1.WorkflowService/RecordFact",
       absl::StrCat("name: \"cases/$2\" fact: \"", fact, "\" on_behalf_of: \"",
                    person, "\" request_id: \"seed-fact-", ++n, "\" acting { ",
                    acting, " } payload { ", payload, " }"),
       world->callers[9]);
}

// Two applications submitted by amira, their cases started.
void SeedCases() {
  for (int i = 0; i < 2; ++i) {
    const std::string bytes = Seed(
        "/grantflow.applications.v1.ApplicationService/CreateApplication",
        absl::StrReplaceAll(
            R"pb(
              request_id: "seed-app-@"
              application {
                round: "funds/lff/rounds/open"
                organisation: "organisations/hackney-families"
                title: "Family cook-and-share evenings"
                summary: "Monthly evenings where families cook together"
                amount_requested_pence: 5000000
                planned_start_date: "2026-09-01"
                planned_end_date: "2027-08-31"
                boroughs_served: "Hackney"
                expected_beneficiaries: 120
                works_with_children: true
                budget {
                  description: "Sessional workers"
                  amount_pence: 3750000
                }
                budget { description: "Venue and food" amount_pence: 1250000 }
              })pb",
            {{"@", absl::StrCat(i)}}),
        world->callers[5]);
    grantflow::applications::v1::Application app;
    Check(app.ParseFromString(bytes));
    const std::string& name = app.name();
    world->ids.push_back(name.substr(name.find('/') + 1));
    Seed("/grantflow.applications.v1.ApplicationService/SubmitApplication",
         absl::StrCat("name: \"", name, "\" request_id: \"seed-submit-", i,
                      "\""),
         world->callers[5]);
  }
  Check(world->server->RunBackgroundOnce().ok());  // starts the cases
  const std::string grace = R"pb(roles: "grants_officer")pb";
  for (const char* f : {"ELIGIBILITY_CHECK_STARTED", "ELIGIBLE", "SHORTLISTED",
                        "INTERVIEW_SCHEDULED", "RECOMMENDED"}) {
    SeedFact(f, "grace", grace);
  }
  SeedFact("AWARD_APPROVED", "ade",
           R"pb(roles: "approver"
                limits_pence { key: "approve" value: 7500000 })pb",
           R"pb(amount_pence: 5000000
                allocations {
                  budget_line: "funds/lff/budgetLines/grants-a"
                  amount_pence: 5000000
                })pb");
  SeedFact("CHECKS_STARTED", "grace", grace);
  SeedFact("DUE_DILIGENCE_PASSED", "grace", grace);
  SeedFact("SAFEGUARDING_PASSED", "sam",
           R"pb(roles: "safeguarding_officer")pb");
  const std::string doc =
      absl::StrCat("document_sha256: \"", std::string(64, '1'), "\"");
  SeedFact("AGREEMENT_ISSUED", "grace", grace, doc);
  SeedFact("AGREEMENT_SIGNED_BY_RECIPIENT", "kofi",
           R"pb(roles: "signatory"
                organisation: "organisations/hackney-families")pb",
           doc);
  SeedFact("AGREEMENT_EXECUTED", "ade",
           R"pb(roles: "approver"
                limits_pence { key: "approve" value: 7500000 })pb",
           doc);
  SeedFact("PROJECT_STARTED", "grace", grace);
  Check(world->server->RunBackgroundOnce().ok());
}

std::string Token(grantflow::auth::TokenSigner& signer,
                  grantflow::auth::Principal who) {
  grantflow::auth::TokenClaims c;
  c.principal = std::move(who);
  c.issued_at = absl::FromUnixSeconds(1'700'000'000);
  c.expires_at = absl::Now() + absl::Hours(24 * 365);
  auto t = signer.Sign(c);
  Check(t.ok());
  return *t;
}

grantflow::auth::Principal Person(std::string user,
                                  std::vector<std::string> roles,
                                  std::string org = "") {
  grantflow::auth::Principal p;
  p.user = std::move(user);
  p.roles = std::move(roles);
  p.organisation = std::move(org);
  return p;
}

void Start() {
  world = new World;
  char dir[] = "/dev/shm/grantflow-rpc-fuzz-XXXXXX";
  Check(mkdtemp(dir) != nullptr);
  // 2026-05-01 09:00 UTC, inside the seeded round.
  world->clock =
      std::make_unique<grantflow::FakeClock>(absl::FromUnixSeconds(1777626000));
  grantflow::ServerOptions o;
  o.data_dir = dir;
  o.listen = "127.0.0.1:0";
  o.clock = world->clock.get();
  o.log_rpcs = false;
  o.background_interval = absl::ZeroDuration();
  auto server = grantflow::GrantflowServer::Start(o);
  Check(server.ok());
  world->server = *std::move(server);
  world->channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", world->server->port()),
                          grpc::InsecureChannelCredentials());
  world->stub = std::make_unique<grpc::GenericStub>(world->channel);

  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  auto* factory = google::protobuf::MessageFactory::generated_factory();
  for (const std::string& name : grantflow::EveryServiceName()) {
    const auto* service = pool->FindServiceByName(name);
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* m = service->method(i);
      if (m->client_streaming() || m->server_streaming()) continue;
      world->methods.push_back({absl::StrCat("/", name, "/", m->name()),
                                factory->GetPrototype(m->input_type())});
    }
  }
  Check(!world->methods.empty());

  auto keys = grantflow::auth::EnsureDevKeyPair(std::string(dir) + "/keys");
  Check(keys.ok());
  auto signer = grantflow::auth::TokenSigner::FromPemFile(keys->private_pem);
  Check(signer.ok());
  auto& sig = **signer;
  const std::string org = "organisations/hackney-families";
  world->admin = Token(sig, Person("root", {"admin"}));
  grantflow::auth::Principal ade = Person("ade", {"approver"});
  ade.limits_pence["approve"] = 7'500'000;
  grantflow::auth::Principal fin =
      Person("fin", {"finance_approver", "finance_officer"});
  fin.limits_pence["pay"] = grantflow::kMaxAmountPence;
  world->callers = {
      world->admin,
      Token(sig, Person("grace", {"grants_officer"})),
      Token(sig, ade),
      Token(sig, fin),
      Token(sig, Person("sam", {"safeguarding_officer"})),
      Token(sig, Person("amira", {"applicant"}, org)),
      Token(sig, Person("kofi", {"signatory"}, org)),
      Token(sig, Person("ola", {"assessor"})),
      Token(sig, Person("mo", {"moderator"})),
      Token(sig, Person("grantflowd-fuzz", {"service"})),
      Token(sig, Person("tom", {"applicant", "signatory"},
                        "organisations/peckham-arts")),
      "",
      "not-a-token",
  };

  Seed("/grantflow.programmes.v1.ProgrammeService/CreateFund", R"pb(
    fund_id: "lff"
    request_id: "seed-fund"
    fund {
      display_name: "London Family Fund"
      description: "Bringing families together"
      funder_name: "Greater London Authority"
      funder_org_id: "GB-GOR-PC390"
    })pb");
  for (const char* id : {"grants-a", "grants-b"}) {
    Seed("/grantflow.programmes.v1.ProgrammeService/CreateBudgetLine",
         absl::StrReplaceAll(R"pb(
                               parent: "funds/lff"
                               budget_line_id: "@"
                               request_id: "seed-@"
                               budget_line {
                                 display_name: "Grants"
                                 ceiling_pence: 21500000
                                 decision_ref: "MD2192"
                                 financial_year: "2017-18"
                                 funding_source: "Social Integration Programmes"
                                 kind: GRANTS
                               })pb",
                             {{"@", id}}));
  }
  Seed("/grantflow.programmes.v1.ProgrammeService/CreateRound", R"pb(
    parent: "funds/lff"
    round_id: "open"
    request_id: "seed-round"
    round {
      display_name: "Round 1"
      open_time { seconds: 1777539600 }
      close_time { seconds: 1780218000 }
      min_award_pence: 1000000
      max_award_pence: 7500000
      interview_stage: true
      lifecycle_definition: "standard"
      budget_lines: "funds/lff/budgetLines/grants-a"
      budget_lines: "funds/lff/budgetLines/grants-b"
      criteria { id: "reach" title: "Reach" weight_percent: 60 max_score: 5 }
      criteria { id: "safe" title: "Safety" weight_percent: 40 max_score: 5 }
    })pb");
  Seed("/grantflow.applications.v1.ApplicationService/CreateOrganisation",
       R"pb(
         organisation_id: "hackney-families"
         request_id: "seed-org"
         organisation {
           display_name: "Hackney Families"
           legal_form: CHARITABLE_INCORPORATED_ORGANISATION
           charity_number: "1180001"
           address {
             line1: "1 Mare Street"
             town: "London"
             postcode: "E8 1DY"
             borough: "Hackney"
           }
           contacts { full_name: "Amira Hassan" email: "amira@example.org" }
           member_users: "amira"
           member_users: "kofi"
           signatory_users: "kofi"
         })pb");
  SeedCases();
}

// R3 and no negative totals, on every line the ledger knows.
void CheckLedger() {
  for (const char* line : kLines) {
    grantflow::workflow::v1::GetLedgerLineRequest req;
    req.set_name(line);
    std::string bytes;
    Check(Call("/grantflow.workflow.v1.WorkflowService/GetLedgerLine", req,
               world->admin, &bytes)
              .ok());
    grantflow::workflow::v1::LedgerLine l;
    Check(l.ParseFromString(bytes));
    Check(l.reserved_pence() >= 0 && l.committed_pence() >= 0 &&
          l.paid_pence() >= 0 && l.ceiling_pence() >= 0);
    Check(l.reserved_pence() + l.committed_pence() <= l.ceiling_pence());
  }
}

// The details an error must carry (ARCHITECTURE.md, API conventions).
void CheckDetails(const grpc::Status& s) {
  google::rpc::Status details;
  const bool parsed = details.ParseFromString(s.error_details());
  if (s.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    Check(parsed);
    int fields = 0;
    for (const auto& any : details.details()) {
      google::rpc::BadRequest bad;
      if (!any.UnpackTo(&bad)) continue;
      for (const auto& f : bad.field_violations()) {
        Check(!f.field().empty() && !f.description().empty());
        ++fields;
      }
    }
    Check(fields > 0);
  } else if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
    Check(parsed);
    bool reason = false;
    for (const auto& any : details.details()) {
      google::rpc::ErrorInfo info;
      if (any.UnpackTo(&info) && !info.reason().empty()) reason = true;
    }
    Check(reason);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (world == nullptr) Start();
  std::string in(reinterpret_cast<const char*>(data), size);
  const Method* method = nullptr;
  if (!in.empty() && in[0] == '/') {
    const size_t nl = in.find('\n');
    if (nl == std::string::npos) return 0;
    method = FindMethod(in.substr(0, nl));
    if (method == nullptr) return 0;
    in.erase(0, nl + 1);
  } else {
    if (in.empty()) return 0;
    method =
        &world->methods[static_cast<uint8_t>(in[0]) % world->methods.size()];
    in.erase(0, 1);
  }
  if (in.empty()) return 0;
  const std::string& token =
      world->callers[static_cast<uint8_t>(in[0]) % world->callers.size()];
  in.erase(0, 1);
  std::unique_ptr<Message> request(method->prototype->New());
  if (!request->ParseFromString(in)) return 0;
  Substitute(request.get());

  grpc::Status s = Call(method->path, *request, token, nullptr);
  if (getenv("RPC_FUZZ_VERBOSE") != nullptr) {
    fprintf(stderr, "%s -> %d %s\n", method->path.c_str(), s.error_code(),
            s.error_message().substr(0, 120).c_str());
  }
  switch (s.error_code()) {
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::DATA_LOSS:
    case grpc::StatusCode::UNIMPLEMENTED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      fprintf(stderr, "rpc_fuzz: %s answered %d: %s\n", method->path.c_str(),
              s.error_code(), s.error_message().c_str());
      abort();
    default:
      break;
  }
  CheckDetails(s);
  CheckLedger();
  if (++world->inputs % 32 == 0) {
    world->server->RunBackgroundOnce().IgnoreError();
  }
  return 0;
}
