// A table of resources that move through states (a due diligence check, a
// safeguarding check), kept with an index of (state, id) rows for the work
// queues, and the one change flow they share: under the resource's lock,
// once per request id, etag-checked, audited, one atomic write.
#ifndef GRANTFLOW_PLATFORM_STATE_TABLE_H_
#define GRANTFLOW_PLATFORM_STATE_TABLE_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "platform/audit.h"
#include "platform/call.h"
#include "platform/idempotency.h"
#include "platform/locks.h"
#include "platform/paging.h"
#include "platform/proto_table.h"
#include "platform/resources.h"
#include "platform/status_macros.h"
#include "storage/key_coding.h"

namespace grantflow {

// Msg has name() ("{collection}/{id}"), an enum state(), etag and
// update_time. Thread-safe; does not own the store.
template <typename Msg>
class StateTable {
 public:
  // `collection` is the resource names' first segment (e.g.
  // "dueDiligenceChecks"); `table` and `index` name the store tables.
  StateTable(storage::Store* store, std::string collection, std::string table,
             std::string index, std::string kind)
      : store_(store),
        collection_(std::move(collection)),
        index_(std::move(index)),
        rows_(store, std::move(table), std::move(kind)) {}

  const std::string& collection() const { return collection_; }
  // The rows themselves, for work over the whole table (an erasure may
  // replace a row whose state it leaves as it is).
  const ProtoTable<Msg>& rows() const { return rows_; }

  // For resources under a fund: `fund_of` names a resource's fund
  // ("funds/{id}", "" for none). Then a caller whose roles are scoped to
  // funds reads, lists, changes and creates only resources of their funds
  // (PERMISSION_DENIED ROLE_NOT_IN_FUND; lists leave the others out). Call
  // before sharing the table.
  void SetFundOf(std::function<std::string(const Msg&)> fund_of) {
    fund_of_ = std::move(fund_of);
  }
  // OK when `call` may reach `m` (always, without SetFundOf).
  absl::Status InScope(const Call& call, const Msg& m) const {
    if (!fund_of_) return absl::OkStatus();
    return RequireFundScope(call, fund_of_(m));
  }

  // The id in "{collection}/{id}", or a violation on `field`.
  std::optional<std::string> ParseName(const std::string& name,
                                       const std::string& field,
                                       errors::Violations* v) const {
    auto ids = grantflow::ParseName(name, {collection_});
    if (!ids) {
      v->Add(field, absl::StrCat("must be ", collection_, "/{id}"));
      return std::nullopt;
    }
    return (*ids)[0];
  }
  std::string NameOf(const std::string& id) const {
    return absl::StrCat(collection_, "/", id);
  }
  std::string IdOf(const std::string& name) const {
    return name.substr(collection_.size() + 1);
  }
  static std::string Key(const std::string& id) {
    std::string k;
    storage::AppendString(&k, id);
    return k;
  }

  // NOT_FOUND when absent; INVALID_ARGUMENT on `field` for a bad name.
  absl::StatusOr<Versioned<Msg>> Get(const std::string& name,
                                     const std::string& field = "name") const {
    errors::Violations v;
    std::optional<std::string> id = ParseName(name, field, &v);
    if (!v.empty()) return v.ToStatus();
    return rows_.Get(Key(*id), name);
  }

  // Get, for `call`: also PERMISSION_DENIED when the resource is outside
  // the caller's funds (InScope).
  absl::StatusOr<Versioned<Msg>> Get(const Call& call, const std::string& name,
                                     const std::string& field = "name") const {
    ASSIGN_OR_RETURN(Versioned<Msg> got, Get(name, field));
    RETURN_IF_ERROR(InScope(call, got.msg));
    return got;
  }

  // The rows of `ids`, in order (DATA_LOSS for one that is missing).
  absl::StatusOr<std::vector<Msg>> GetMany(
      const std::vector<std::string>& ids) const {
    std::vector<std::string> keys;
    for (const std::string& id : ids) keys.push_back(Key(id));
    ASSIGN_OR_RETURN(auto rows, rows_.GetMany(keys));
    std::vector<Msg> out;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (!rows[i].has_value()) {
        return absl::DataLossError(
            absl::StrCat("an index names ", NameOf(ids[i]), ", not stored"));
      }
      out.push_back(std::move(rows[i]->msg));
    }
    return out;
  }

  // Adds `m` (new when `before` is null, else over `version`), its state
  // index row and an audit entry to `w`.
  void Write(storage::WriteSet& w, const Call& call, const Msg& m,
             const Msg* before, uint64_t version, const std::string& request_id,
             const std::string& what, const std::string& why) const {
    if (before == nullptr) {
      const std::string id = IdOf(m.name());
      rows_.Insert(w, Key(id), m);
      w.PutIndex(index_, StateKey(m.state(), id));
    } else {
      Replace(w, m, *before, version);
    }
    AuditChange(w, call, m.name(), request_id, what, why);
  }

  // Adds `m` over `before` (still at `version`) and moves its state index
  // row to `w`, without an audit entry (the caller writes one).
  void Replace(storage::WriteSet& w, const Msg& m, const Msg& before,
               uint64_t version) const {
    const std::string id = IdOf(m.name());
    rows_.Replace(w, Key(id), m, version);
    if (before.state() != m.state()) {
      w.Delete(index_, StateKey(before.state(), id));
      w.PutIndex(index_, StateKey(m.state(), id));
    }
  }

  // Runs `change` (which may ask other services, add rows to the write, and
  // returns what it did for the audit log) on the resource `name` under its
  // lock, once per request id, and writes the result. ABORTED
  // (ETAG_MISMATCH) for a stale etag; a status from `change` writes nothing.
  absl::StatusOr<Msg> Change(
      const Call& call, const google::protobuf::Message& req,
      const std::string& name, const std::string& request_id,
      const std::string& etag, const std::string& why,
      absl::FunctionRef<absl::StatusOr<std::string>(Msg&, storage::WriteSet&)>
          change) {
    ScopedLocks lock(locks_, {name});
    return RunOnce<Msg>(
        *store_, call, request_id, req,
        [&](storage::WriteSet& w) -> absl::StatusOr<Msg> {
          ASSIGN_OR_RETURN(auto cur, rows_.Get(Key(IdOf(name)), name));
          RETURN_IF_ERROR(InScope(call, cur.msg));
          RETURN_IF_ERROR(CheckEtag(etag, cur.version, name));
          Msg m = cur.msg;
          ASSIGN_OR_RETURN(std::string what, change(m, w));
          *m.mutable_update_time() = ToProto(call.now);
          Write(w, call, m, &cur.msg, cur.version, request_id, what, why);
          m.set_etag(absl::StrCat(cur.version + 1));
          return m;
        });
  }

  // Like Change, for a resource that may not exist yet: `change` gets a
  // fresh Msg (named `name`) and exists=false when there is none, and the
  // result is inserted. The etag, when given, must match an existing row.
  absl::StatusOr<Msg> Upsert(
      const Call& call, const google::protobuf::Message& req,
      const std::string& name, const std::string& request_id,
      const std::string& etag, const std::string& why,
      absl::FunctionRef<absl::StatusOr<std::string>(Msg&, bool exists,
                                                    storage::WriteSet&)>
          change) {
    ScopedLocks lock(locks_, {name});
    return RunOnce<Msg>(
        *store_, call, request_id, req,
        [&](storage::WriteSet& w) -> absl::StatusOr<Msg> {
          absl::StatusOr<Versioned<Msg>> cur = rows_.Get(Key(IdOf(name)), name);
          if (!cur.ok() && !absl::IsNotFound(cur.status())) {
            return cur.status();
          }
          const bool exists = cur.ok();
          if (exists) RETURN_IF_ERROR(InScope(call, cur->msg));
          RETURN_IF_ERROR(CheckEtag(etag, exists ? cur->version : 0, name));
          Msg m;
          if (exists) {
            m = cur->msg;
          } else {
            m.set_name(name);
            *m.mutable_create_time() = ToProto(call.now);
          }
          ASSIGN_OR_RETURN(std::string what, change(m, exists, w));
          RETURN_IF_ERROR(InScope(call, m));
          *m.mutable_update_time() = ToProto(call.now);
          Write(w, call, m, exists ? &cur->msg : nullptr,
                exists ? cur->version : 0, request_id, what, why);
          m.set_etag(absl::StrCat(exists ? cur->version + 1 : 1));
          return m;
        });
  }

  // Creates `m` once: the stored row when it exists already, else `m`
  // written with `what` (under the resource's lock, once per request id).
  // `prepare` runs first, under the lock, only when the row is new (it may
  // ask other services and fill in `m`); `also`, when given, adds the new
  // row's other index rows to the write.
  absl::StatusOr<Msg> CreateOnce(
      const Call& call, const google::protobuf::Message& req,
      const std::string& name, const std::string& request_id,
      absl::FunctionRef<absl::StatusOr<std::string>(Msg&)> prepare,
      std::function<void(const Msg&, storage::WriteSet&)> also = nullptr) {
    ScopedLocks lock(locks_, {name});
    absl::StatusOr<Versioned<Msg>> existing = rows_.Get(Key(IdOf(name)), name);
    if (existing.ok()) {
      RETURN_IF_ERROR(InScope(call, existing->msg));
      return existing->msg;
    }
    if (!absl::IsNotFound(existing.status())) return existing.status();
    Msg m;
    m.set_name(name);
    ASSIGN_OR_RETURN(std::string what, prepare(m));
    RETURN_IF_ERROR(InScope(call, m));
    *m.mutable_create_time() = ToProto(call.now);
    *m.mutable_update_time() = ToProto(call.now);
    return RunOnce<Msg>(*store_, call, request_id, req,
                        [&](storage::WriteSet& w) -> absl::StatusOr<Msg> {
                          Write(w, call, m, nullptr, 0, request_id, what, "");
                          if (also) also(m, w);
                          Msg out = m;
                          out.set_etag("1");
                          return out;
                        });
  }

  // A List RPC's answer: one page of the resources in `state` (a request's
  // field: required, one of Msg's states, else INVALID_ARGUMENT naming
  // them) that `call` may reach, in the response's `items` field, with its
  // next page token.
  template <typename Resp>
  absl::StatusOr<Resp> ListPage(
      const Call& call, int state, int32_t page_size,
      const std::string& page_token,
      google::protobuf::RepeatedPtrField<Msg>* (Resp::*items)()) const {
    errors::Violations v;
    const google::protobuf::EnumDescriptor* states =
        Msg::descriptor()->FindFieldByName("state")->enum_type();
    if (state == 0 || states->FindValueByNumber(state) == nullptr) {
      std::vector<std::string> names;
      for (int i = 0; i < states->value_count(); ++i) {
        if (states->value(i)->number() != 0) {
          names.push_back(states->value(i)->name());
        }
      }
      v.Add("state",
            absl::StrCat("is required: one of ", absl::StrJoin(names, ", ")));
    }
    ASSIGN_OR_RETURN(Listed<Msg> page,
                     ListState(state, page_size, page_token, v));
    Resp resp;
    for (Msg& m : page.items) {
      if (InScope(call, m).ok()) *(resp.*items)()->Add() = std::move(m);
    }
    resp.set_next_page_token(page.next_page_token);
    return resp;
  }

  // One page of the resources in `state`. `query` ties page tokens to it.
  absl::StatusOr<Listed<Msg>> ListState(int state, int32_t page_size,
                                        const std::string& page_token,
                                        errors::Violations& v) const {
    const std::string query = absl::StrCat(collection_, ":", state);
    Page page = ParsePage(page_size, page_token, query, &v);
    if (!v.empty()) return v.ToStatus();
    std::string prefix;
    storage::AppendUint64(&prefix, static_cast<uint64_t>(state));
    ASSIGN_OR_RETURN(storage::ScanResult scan,
                     store_->Scan(index_, prefix, page.start_after, page.size));
    std::vector<std::string> ids;
    for (const storage::ScanRow& row : scan.rows) {
      storage::KeyReader r(absl::string_view(row.key).substr(prefix.size()));
      std::string id;
      if (!r.ReadString(&id) || !r.done()) {
        return absl::DataLossError(absl::StrCat("a state index row of ",
                                                collection_, " is unreadable"));
      }
      ids.push_back(std::move(id));
    }
    ASSIGN_OR_RETURN(std::vector<Msg> got, GetMany(ids));
    Listed<Msg> out;
    PageBytes budget;
    size_t used = 0;
    for (; used < got.size(); ++used) {
      if (!budget.Fits(got[used].ByteSizeLong())) break;
      out.items.push_back(std::move(got[used]));
    }
    out.next_page_token = PageTokenAfter(scan, used, query);
    return out;
  }

 private:
  static std::string StateKey(int state, const std::string& id) {
    std::string k;
    storage::AppendUint64(&k, static_cast<uint64_t>(state));
    storage::AppendString(&k, id);
    return k;
  }

  storage::Store* store_;
  std::string collection_;
  std::string index_;
  ProtoTable<Msg> rows_;
  LockTable locks_;
  std::function<std::string(const Msg&)> fund_of_;
};

}  // namespace grantflow

#endif  // GRANTFLOW_PLATFORM_STATE_TABLE_H_
