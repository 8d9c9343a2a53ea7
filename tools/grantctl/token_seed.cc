// grantctl token (development tokens signed with the data directory's key)
// and grantctl seed (loads demo data through the public API, idempotently).
#include <openssl/evp.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "grantflow/applications/v1/applications.grpc.pb.h"
#include "grantflow/programmes/v1/programmes.grpc.pb.h"
#include "platform/auth.h"
#include "tools/grantctl/commands.h"
#include "tools/grantctl/seed.h"

namespace grantflow::grantctl {

absl::StatusOr<std::string> MintToken(const std::string& key_path,
                                      const auth::Principal& who,
                                      absl::Duration ttl) {
  auth::TokenClaims claims;
  claims.principal = who;
  claims.issued_at = absl::Now();
  claims.expires_at = claims.issued_at + ttl;
  auto signer = auth::TokenSigner::FromPemFile(key_path);
  if (!signer.ok()) {
    return absl::Status(
        signer.status().code(),
        absl::StrCat(signer.status().message(),
                     "\n(start grantflowd once on that data directory to "
                     "create its key pair)"));
  }
  return (*signer)->Sign(claims);
}

std::string StableRequestId(const std::string& text) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(text.data(), text.size(), d, &n, EVP_sha256(), nullptr);
  std::string out = "seed-";
  for (int i = 0; i < 12; ++i) absl::StrAppendFormat(&out, "%02x", d[i]);
  return out;
}

// The private key --key names, or the one under --data_dir; "" when
// neither is given.
std::string KeyPath(const Args& a) {
  if (a.Has("key")) return a.Get("key");
  const std::string dir = a.Get("data_dir", a.Get("data-dir"));
  return dir.empty() ? "" : dir + "/keys/token-signing.pem";
}

int TokenCommand(Cli& cli) {
  const Args& a = cli.args();
  const std::string key = KeyPath(a);
  if (key.empty()) {
    return cli.Usage("token needs --data_dir=DIR (or --key=PRIVATE.pem)");
  }
  auth::TokenClaims claims;
  claims.principal.user = a.Get("user");
  if (claims.principal.user.empty())
    return cli.Usage("token needs --user NAME");
  for (const std::string& r : a.GetAll("role")) {
    if (!auth::IsKnownRole(r)) {
      return cli.Usage(absl::StrCat("unknown role '", r, "'; known: ",
                                    absl::StrJoin(auth::KnownRoles(), ", ")));
    }
    claims.principal.roles.push_back(r);
  }
  if (claims.principal.roles.empty())
    return cli.Usage("token needs --role ROLE");
  std::string org = a.Get("org");
  if (!org.empty() && org.rfind("organisations/", 0) != 0) {
    org = "organisations/" + org;
  }
  claims.principal.organisation = org;
  for (const std::string& l : a.GetAll("limit")) {
    size_t eq = l.find('=');
    int64_t pence;
    if (eq == std::string::npos ||
        !absl::SimpleAtoi(l.substr(eq + 1), &pence)) {
      return cli.Usage("--limit must be NAME=PENCE, e.g. approve=5000000");
    }
    claims.principal.limits_pence[l.substr(0, eq)] = pence;
  }
  // --fund ROLE=funds/F (repeatable): the role holds in those funds only.
  for (const std::string& f : a.GetAll("fund")) {
    const size_t eq = f.find('=');
    const std::string role = f.substr(0, eq);
    const std::string fund = eq == std::string::npos ? "" : f.substr(eq + 1);
    if (eq == std::string::npos || !claims.principal.HasRole(role) ||
        auth::FundOf(fund) != fund) {
      return cli.Usage(
          "--fund must be ROLE=funds/F for a role given with --role, e.g. "
          "assessor=funds/lff");
    }
    claims.principal.role_funds[role].push_back(fund);
  }
  absl::Duration ttl = absl::Hours(12);
  if (a.Has("ttl") && !absl::ParseDuration(a.Get("ttl"), &ttl)) {
    return cli.Usage("--ttl must be a duration such as 12h or 30m");
  }
  auto token = MintToken(key, claims.principal, ttl);
  if (!token.ok()) {
    cli.err() << "grantctl: " << token.status().message() << "\n";
    return 1;
  }
  cli.out() << *token << "\n";
  return 0;
}

namespace {

using nlohmann::json;

// Replaces strings of the form "@now", "@now+30d", "@now-2h" with RFC 3339
// times relative to `now`, so demo rounds are open whenever the demo runs.
void ResolveTimes(json& j, absl::Time now) {
  static const std::regex kRel("^@now(([+-])([0-9]+)([dhm]))?$");
  if (j.is_object() || j.is_array()) {
    for (auto& v : j) ResolveTimes(v, now);
    return;
  }
  if (!j.is_string()) return;
  std::smatch m;
  const std::string s = j.get<std::string>();
  if (!std::regex_match(s, m, kRel)) return;
  absl::Time t = now;
  if (m[1].matched) {
    int64_t n = std::stoll(m[3].str());
    absl::Duration d = m[4] == "d"   ? absl::Hours(24 * n)
                       : m[4] == "h" ? absl::Hours(n)
                                     : absl::Minutes(n);
    t = m[2] == "+" ? t + d : t - d;
  }
  // Whole minutes keep the demo tidy.
  t = absl::FromUnixSeconds(absl::ToUnixSeconds(t) / 60 * 60);
  j = absl::FormatTime(absl::RFC3339_sec, t, absl::UTCTimeZone());
}

}  // namespace

int SeedCommand(Cli& cli) {
  const auto& pos = cli.args().positional;
  if (pos.size() < 2) return cli.Usage("seed FILE.json");
  std::string text;
  if (!ReadFile(pos[1], &text)) return cli.Usage("cannot read " + pos[1]);
  json doc = json::parse(text, nullptr, false);
  if (!doc.is_object()) return cli.Usage(pos[1] + " is not a JSON object");
  absl::Time now = absl::Now();
  if (cli.args().Has("now")) {
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, cli.args().Get("now"), &now,
                         &err)) {
      return cli.Usage("--now must be RFC 3339");
    }
  }
  // The demo's relative times are resolved against the day it is first
  // loaded, so re-running the seed later sends the same requests.
  ResolveTimes(doc, now);

  // Each section goes to the service that owns it (separate addresses in a
  // split deployment: --addr-programmes, --addr-applications).
  auto programmes =
      programmes::v1::ProgrammeService::NewStub(cli.channel("programmes"));
  auto applications = applications::v1::ApplicationService::NewStub(
      cli.channel("applications"));
  int loaded = 0, present = 0;
  auto run = [&](const char* section, auto make_request, auto call) -> bool {
    if (!doc.contains(section)) return true;
    for (const json& entry : doc[section]) {
      auto req = make_request();
      std::string error;
      std::string body = entry.dump();
      if (!FromJson(body, &req, &error)) {
        cli.err() << "seed: " << section << " entry does not parse: " << error
                  << "\n";
        return false;
      }
      // The seed's request ids depend on the entry only, so loading twice
      // returns the first results and writes nothing new.
      req.set_request_id(StableRequestId(body));
      auto ctx = cli.Context();
      grpc::Status s = call(ctx.get(), req);
      if (s.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
        ++present;
        continue;
      }
      if (!s.ok()) {
        cli.err() << "seed: " << section << " entry failed\n";
        cli.Fail(s);
        return false;
      }
      ++loaded;
    }
    return true;
  };
  namespace ppb = ::grantflow::programmes::v1;
  namespace apb = ::grantflow::applications::v1;
  bool ok =
      run(
          "funds", [] { return ppb::CreateFundRequest(); },
          [&](grpc::ClientContext* c, const ppb::CreateFundRequest& r) {
            ppb::Fund out;
            return programmes->CreateFund(c, r, &out);
          }) &&
      run(
          "budget_lines", [] { return ppb::CreateBudgetLineRequest(); },
          [&](grpc::ClientContext* c, const ppb::CreateBudgetLineRequest& r) {
            ppb::BudgetLine out;
            return programmes->CreateBudgetLine(c, r, &out);
          }) &&
      run(
          "rounds", [] { return ppb::CreateRoundRequest(); },
          [&](grpc::ClientContext* c, const ppb::CreateRoundRequest& r) {
            ppb::Round out;
            return programmes->CreateRound(c, r, &out);
          }) &&
      run(
          "organisations", [] { return apb::CreateOrganisationRequest(); },
          [&](grpc::ClientContext* c, const apb::CreateOrganisationRequest& r) {
            apb::Organisation out;
            return applications->CreateOrganisation(c, r, &out);
          });
  // The demo grants, played as their people: their tokens need the data
  // directory's key.
  int played = 0, grants_present = 0;
  if (ok && doc.contains("grants")) {
    const std::string key = KeyPath(cli.args());
    if (key.empty()) {
      cli.err() << "seed: demo grants skipped (give --data_dir=DIR to mint "
                   "their people's tokens)\n";
    } else {
      ok = PlayGrants(cli, doc, key, now, &played, &grants_present);
    }
  }
  cli.out() << "seed: " << loaded << " records loaded, " << present
            << " already present; " << played << " demo grant(s) played, "
            << grants_present << " already there\n";
  return ok ? 0 : 1;
}

}  // namespace grantflow::grantctl
