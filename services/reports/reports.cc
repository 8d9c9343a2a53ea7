#include "services/reports/reports.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "platform/errors.h"
#include "platform/reasons.h"
#include "platform/resources.h"
#include "platform/status_macros.h"
#include "services/reports/register.h"
#include "storage/digest.h"

namespace grantflow::reports {

namespace apb = ::grantflow::applications::v1;
namespace awpb = ::grantflow::awards::v1;
namespace wpb = ::grantflow::workflow::v1;

// Gathers each grant's parts for one request, reading each organisation and
// round once however many grants share it.
class Reports::Gatherer {
 public:
  explicit Gatherer(Reports& r) : r_(r) {}

  absl::StatusOr<pb::GrantRecord> Record(const wpb::Case& c) {
    const std::string id = c.name().substr(c.name().rfind('/') + 1);
    GrantParts parts{.kase = &c};
    // A record another service no longer has (erased, or the award made at
    // the engine directly) leaves its part of the row empty.
    auto award = r_.more_->GetAward("awards/" + id);
    if (!award.ok() && !absl::IsNotFound(award.status())) return award.status();
    if (award.ok()) parts.award = &*award;
    auto app = r_.applicants_->GetApplication(c.application());
    if (!app.ok() && !absl::IsNotFound(app.status())) return app.status();
    if (app.ok()) parts.application = &*app;
    ASSIGN_OR_RETURN(parts.organisation, Organisation(c.organisation()));
    ASSIGN_OR_RETURN(parts.round_title, RoundTitle(c.round()));
    return MakeGrantRecord(parts, r_.prefix_);
  }

 private:
  absl::StatusOr<const apb::Organisation*> Organisation(
      const std::string& name) {
    auto it = orgs_.find(name);
    if (it == orgs_.end()) {
      auto got = r_.applicants_->GetOrganisation(name);
      if (!got.ok() && !absl::IsNotFound(got.status())) return got.status();
      it = orgs_
               .emplace(name, got.ok() ? std::optional(*std::move(got))
                                       : std::nullopt)
               .first;
    }
    return it->second ? &*it->second : nullptr;
  }
  absl::StatusOr<std::string> RoundTitle(const std::string& name) {
    auto it = rounds_.find(name);
    if (it == rounds_.end()) {
      ASSIGN_OR_RETURN(auto round, r_.more_->GetRound(name));
      it = rounds_.emplace(name, round.display_name()).first;
    }
    return it->second;
  }

  Reports& r_;
  std::map<std::string, std::optional<apb::Organisation>> orgs_;
  std::map<std::string, std::string> rounds_;
};

Reports::Reports(CaseClient* cases, ApplicantSource* applicants,
                 ReportSources* more, std::string open_data_prefix)
    : cases_(cases),
      applicants_(applicants),
      more_(more),
      prefix_(std::move(open_data_prefix)) {}

absl::StatusOr<programmes::v1::Fund> Reports::CheckScope(
    const Call& call, const std::string& fund, const std::string& round) const {
  RETURN_IF_ERROR(RequireFundReport(call, fund));
  if (!round.empty() &&
      (!ParseName(round, {"funds", "rounds"}) || auth::FundOf(round) != fund)) {
    return errors::InvalidArgument(
        {{"round", absl::StrCat("must be a round of ", fund, ": ", fund,
                                "/rounds/{round}")}});
  }
  // NOT_FOUND for a fund ProgrammeService does not have.
  return more_->GetFund(fund);
}

absl::StatusOr<pb::ListGrantsResponse> Reports::ListGrants(
    const Call& call, const pb::ListGrantsRequest& req) {
  RETURN_IF_ERROR(CheckScope(call, req.fund(), req.round()).status());
  wpb::ListCasesRequest list;
  list.set_fund(req.fund());
  list.set_round(req.round());
  list.set_page_size(req.page_size());
  list.set_page_token(req.page_token());
  ASSIGN_OR_RETURN(wpb::ListCasesResponse page, cases_->ListCases(list));
  Gatherer gather(*this);
  pb::ListGrantsResponse out;
  for (const wpb::Case& c : page.cases()) {
    if (c.awarded_pence() <= 0) continue;
    ASSIGN_OR_RETURN(*out.add_grants(), gather.Record(c));
  }
  out.set_next_page_token(page.next_page_token());
  return out;
}

absl::StatusOr<std::vector<std::pair<pb::GrantRecord, bool>>>
Reports::AllGrants(const std::string& fund, const std::string& round) {
  std::vector<std::pair<pb::GrantRecord, bool>> out;
  Gatherer gather(*this);
  wpb::ListCasesRequest list;
  list.set_fund(fund);
  list.set_round(round);
  list.set_page_size(500);
  do {
    ASSIGN_OR_RETURN(wpb::ListCasesResponse page, cases_->ListCases(list));
    for (const wpb::Case& c : page.cases()) {
      if (c.awarded_pence() <= 0) continue;
      ASSIGN_OR_RETURN(pb::GrantRecord g, gather.Record(c));
      out.emplace_back(std::move(g), IsFunded(c));
    }
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  // By award date, then grant: the order a register is read in.
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first.award_date(), a.first.grant()) <
           std::tie(b.first.award_date(), b.first.grant());
  });
  return out;
}

namespace {

pb::ExportFile File(std::string filename, std::string content_type,
                    std::string content, int records) {
  pb::ExportFile f;
  f.set_filename(std::move(filename));
  f.set_content_type(std::move(content_type));
  f.set_sha256(storage::Sha256Hex(content));
  f.set_content(std::move(content));
  f.set_records(records);
  return f;
}

std::string Tail(const std::string& name) {
  return name.substr(name.rfind('/') + 1);
}

}  // namespace

absl::StatusOr<pb::ExportFile> Reports::ExportGrantRegister(
    const Call& call, const pb::ExportGrantRegisterRequest& req) {
  RETURN_IF_ERROR(CheckScope(call, req.fund(), req.round()).status());
  ASSIGN_OR_RETURN(auto all, AllGrants(req.fund(), req.round()));
  std::vector<pb::GrantRecord> grants;
  for (auto& [g, funded] : all) grants.push_back(std::move(g));
  const int n = static_cast<int>(grants.size());
  return File(absl::StrCat(Tail(req.fund()),
                           req.round().empty() ? "" : "-" + Tail(req.round()),
                           "-grant-register-", IsoDate(call.now), ".csv"),
              "text/csv; charset=utf-8", GrantRegisterCsv(grants), n);
}

absl::StatusOr<pb::ExportFile> Reports::Export360Giving(
    const Call& call, const pb::Export360GivingRequest& req) {
  ASSIGN_OR_RETURN(const programmes::v1::Fund fund,
                   CheckScope(call, req.fund(), ""));
  if (fund.funder_org_id().empty() || fund.funder_name().empty()) {
    return errors::FailedPrecondition(
        reasons::kNoFunderOrgId,
        absl::StrCat(req.fund(),
                     " has no funder_name and funder_org_id to publish under; "
                     "set them on the fund (ProgrammeService.UpdateFund)"));
  }
  ASSIGN_OR_RETURN(auto all, AllGrants(req.fund(), ""));
  nlohmann::json grants = nlohmann::json::array();
  int deferred = 0;
  for (const auto& [g, funded] : all) {
    if (!funded) continue;  // withdrawn or lapsed: never went ahead
    if (!PublicationDue(g, call.now)) {
      ++deferred;
      continue;
    }
    grants.push_back(Grant360(g, fund, prefix_));
  }
  if (grants.empty()) {
    return errors::FailedPrecondition(
        reasons::kNothingToPublish,
        absl::StrCat(req.fund(), " has no grant to publish yet (", deferred,
                     " awaiting their publication date)"),
        {{"deferred", absl::StrCat(deferred)}});
  }
  const int n = static_cast<int>(grants.size());
  pb::ExportFile f = File(
      absl::StrCat(Tail(req.fund()), "-360giving-", IsoDate(call.now), ".json"),
      "application/json; charset=utf-8",
      Package360(fund, std::move(grants), call.now).dump(2), n);
  f.set_deferred(deferred);
  return f;
}

}  // namespace grantflow::reports
