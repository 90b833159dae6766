#pragma once
// A minimal FinKernel host for driving a plugin's request handlers through
// the C ABI against a real PostgreSQL, before the kernel's own loader serves
// plugins over HTTP. It implements what the ledger uses -- http request and
// response, db (one statement per call in a fk::db::TenantTransaction, as the
// runtime role), audit and events (recorded in memory), config (schema
// defaults), authz -- and applies the kernel's commit rule: commit iff the
// handler returned FK_OK and the status is below 400.
//
// Only for tests: no SQL guard, no timeouts, one request at a time per
// AbiHost::Call (the host object itself is thread-safe).

#include "db/connection_pool.hpp"
#include "db/tenant_transaction.hpp"

#include <finkernel/fk_plugin.h>

#include <dlfcn.h>

#include <cctype>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace fk::test::ledger {

struct HttpCall {
  uint32_t method = FK_METHOD_GET;
  std::string path;
  std::string route;  // the manifest template
  std::map<std::string, std::string> path_params;
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct HttpAnswer {
  fk_status status = FK_OK;
  uint32_t http_status = 200;
  std::string json;  // data (write_json) or the raw body
  std::string content_type;
  std::string error_code;
  std::string error_message;
  std::string error_details;
  std::map<std::string, std::string> headers;
  bool committed = false;
};

struct AuditRecord {
  std::string action;
  std::string resource_type;
  std::string resource_id;
  std::string details;
};

struct PublishedEvent {
  std::string type;
  std::string payload;
  std::string aggregate_type;  // empty when published with the ABI 1.0 call
  std::string aggregate_id;
};

class AbiHost {
 public:
  AbiHost(db::ConnectionPool& pool, const std::string& library) : pool_(pool) {
    handle_ = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr) throw std::runtime_error(std::string("dlopen: ") + dlerror());
    auto entry = reinterpret_cast<fk_plugin_entry_fn>(dlsym(handle_, FK_PLUGIN_ENTRY_SYMBOL));
    if (entry == nullptr) throw std::runtime_error("no " FK_PLUGIN_ENTRY_SYMBOL);
    info_ = entry();
    char message[512];
    if (fk_abi_check(info_, FK_ABI_MAJOR, FK_ABI_MINOR, message, sizeof message) != FK_OK) {
      throw std::runtime_error(message);
    }
    build_tables();
    fk_init_args args{};
    args.struct_size = static_cast<uint32_t>(sizeof args);
    args.host = &host_;
    args.self = reinterpret_cast<fk_plugin*>(this);
    args.plugin_dir = fk_str{"", 0};
    if (info_->callbacks->init(&args, &state_) != FK_OK) throw std::runtime_error("init failed");
  }
  ~AbiHost() {
    info_->callbacks->shutdown(state_);
    dlclose(handle_);
  }
  AbiHost(const AbiHost&) = delete;
  AbiHost& operator=(const AbiHost&) = delete;

  const fk_plugin_info& info() const { return *info_; }

  // One request in its own tenant transaction.
  HttpAnswer handle(const std::string& tenant, const HttpCall& call) {
    Frame frame(tenant, call, std::make_unique<db::TenantTransaction>(pool_, tenant));
    fk_request_args args{};
    args.struct_size = static_cast<uint32_t>(sizeof args);
    args.request = reinterpret_cast<const fk_request*>(&frame);
    args.response = reinterpret_cast<fk_response*>(&frame);
    args.tenant = reinterpret_cast<const fk_tenant_ctx*>(&frame);
    args.txn = reinterpret_cast<fk_txn*>(&frame);
    frame.answer.status = info_->callbacks->handle_request(state_, &args);
    if (frame.answer.status != FK_OK && frame.answer.http_status < 400 &&
        frame.answer.error_code.empty()) {
      frame.answer.http_status = fk_status_http(frame.answer.status);
    }
    if (frame.answer.status == FK_OK && frame.answer.http_status < 400 && !frame.aborted) {
      frame.tx->commit();
      frame.answer.committed = true;
      std::lock_guard<std::mutex> lock(mutex_);
      audits_.insert(audits_.end(), frame.audits.begin(), frame.audits.end());
      events_.insert(events_.end(), frame.events.begin(), frame.events.end());
    }
    return frame.answer;
  }

  std::vector<AuditRecord> audits() {
    std::lock_guard<std::mutex> lock(mutex_);
    return audits_;
  }
  std::vector<PublishedEvent> events() {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }

 private:
  struct Frame {
    Frame(std::string tenant_id, const HttpCall& request, std::unique_ptr<db::TenantTransaction> t)
        : tenant(std::move(tenant_id)), call(request), tx(std::move(t)) {}
    std::string tenant;
    const HttpCall& call;
    HttpAnswer answer;
    std::unique_ptr<db::TenantTransaction> tx;
    std::vector<AuditRecord> audits;
    std::vector<PublishedEvent> events;
    bool aborted = false;
    std::string error_text;  // fk_error message storage (rule M4)
    std::string error_state;
  };
  struct Result {
    pqxx::result rows;
  };

  static Frame& frame(const void* handle) {
    return *static_cast<Frame*>(const_cast<void*>(handle));
  }
  static fk_str out(const std::string& s) { return fk_str{s.data(), s.size()}; }
  static std::string in(fk_str s) { return s.data ? std::string(s.data, s.len) : std::string(); }

  static fk_status lookup(const std::map<std::string, std::string>& m, const std::string& key,
                          fk_str* value) {
    const auto it = m.find(key);
    if (it == m.end()) return FK_ERR_NOT_FOUND;
    *value = out(it->second);
    return FK_OK;
  }

  void build_tables() {
    log_.struct_size = static_cast<uint32_t>(sizeof log_);
    log_.write = [](fk_plugin*, const fk_tenant_ctx*, uint32_t, fk_str, const fk_log_field*,
                    size_t) -> fk_status { return FK_OK; };
    log_.enabled = [](fk_plugin*, uint32_t, fk_bool* on) -> fk_status {
      *on = FK_FALSE;
      return FK_OK;
    };

    http_.struct_size = static_cast<uint32_t>(sizeof http_);
    http_.request_method = [](const fk_request* r, uint32_t* m) -> fk_status {
      *m = frame(r).call.method;
      return FK_OK;
    };
    http_.request_path = [](const fk_request* r, fk_str* s) -> fk_status {
      *s = out(frame(r).call.path);
      return FK_OK;
    };
    http_.request_route = [](const fk_request* r, fk_str* s) -> fk_status {
      *s = out(frame(r).call.route);
      return FK_OK;
    };
    http_.request_path_param = [](const fk_request* r, fk_str name, fk_str* s) -> fk_status {
      return lookup(frame(r).call.path_params, in(name), s);
    };
    http_.request_query_param = [](const fk_request* r, fk_str name, fk_str* s) -> fk_status {
      return lookup(frame(r).call.query, in(name), s);
    };
    http_.request_header = [](const fk_request* r, fk_str name, fk_str* s) -> fk_status {
      std::string key = in(name);
      for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return lookup(frame(r).call.headers, key, s);
    };
    http_.request_body = [](const fk_request* r, fk_str* s) -> fk_status {
      *s = out(frame(r).call.body);
      return FK_OK;
    };
    http_.response_set_status = [](fk_response* r, uint32_t status) -> fk_status {
      if (status < 100 || status > 599) return FK_ERR_INVALID_ARGUMENT;
      frame(r).answer.http_status = status;
      return FK_OK;
    };
    http_.response_set_header = [](fk_response* r, fk_str name, fk_str value) -> fk_status {
      frame(r).answer.headers[in(name)] = in(value);
      return FK_OK;
    };
    http_.response_write_json = [](fk_response* r, fk_str json) -> fk_status {
      frame(r).answer.json = in(json);
      frame(r).answer.content_type = "application/json";
      return FK_OK;
    };
    http_.response_write_body = [](fk_response* r, fk_str type, fk_bytes body) -> fk_status {
      frame(r).answer.content_type = in(type);
      frame(r).answer.json.assign(reinterpret_cast<const char*>(body.data), body.len);
      return FK_OK;
    };
    http_.response_set_error = [](fk_response* r, uint32_t status, fk_str code, fk_str message,
                                  fk_str details) -> fk_status {
      if (status < 400 || status > 599) return FK_ERR_INVALID_ARGUMENT;
      auto& a = frame(r).answer;
      a.http_status = status;
      a.error_code = in(code);
      a.error_message = in(message);
      a.error_details = in(details);
      return FK_OK;
    };

    db_.struct_size = static_cast<uint32_t>(sizeof db_);
    db_.exec = [](fk_txn* txn, fk_str sql, const fk_str* params, size_t count, fk_result** result,
                  fk_error* err) -> fk_status {
      Frame& f = frame(txn);
      if (result != nullptr) *result = nullptr;
      auto fail = [&](fk_status status, const std::string& text, const std::string& state) {
        f.error_text = text;
        f.error_state = state;
        if (err != nullptr) {
          err->code = status;
          err->message = out(f.error_text);
          err->subcode = out(f.error_state);
        }
        return status;
      };
      if (f.aborted) return fail(FK_ERR_DB, "transaction aborted", "25P02");
      std::vector<std::string> storage(count);
      std::vector<const char*> values(count, nullptr);
      for (size_t i = 0; i < count; ++i) {
        if (params[i].data == nullptr) continue;
        storage[i] = in(params[i]);
        values[i] = storage[i].c_str();
      }
      try {
        auto rows = f.tx->work().exec_params(in(sql), pqxx::prepare::make_dynamic_params(values));
        if (result != nullptr) *result = reinterpret_cast<fk_result*>(new Result{std::move(rows)});
        return FK_OK;
      } catch (const pqxx::unique_violation& e) {
        f.aborted = true;
        return fail(FK_ERR_CONFLICT, e.what(), e.sqlstate());
      } catch (const pqxx::sql_error& e) {
        f.aborted = true;
        return fail(FK_ERR_DB, e.what(), e.sqlstate());
      }
    };
    db_.result_free = [](fk_result* r) -> fk_status {
      delete reinterpret_cast<Result*>(r);
      return FK_OK;
    };
    db_.result_row_count = [](const fk_result* r, uint64_t* n) -> fk_status {
      *n = reinterpret_cast<const Result*>(r)->rows.size();
      return FK_OK;
    };
    db_.result_column_count = [](const fk_result* r, uint32_t* n) -> fk_status {
      *n = static_cast<uint32_t>(reinterpret_cast<const Result*>(r)->rows.columns());
      return FK_OK;
    };
    db_.result_column_name = [](const fk_result* r, uint32_t c, fk_str* name) -> fk_status {
      const auto& rows = reinterpret_cast<const Result*>(r)->rows;
      if (c >= rows.columns()) return FK_ERR_INVALID_ARGUMENT;
      *name = fk_str_c(rows.column_name(c));
      return FK_OK;
    };
    db_.result_value = [](const fk_result* r, uint64_t row, uint32_t c,
                          fk_str* value) -> fk_status {
      const auto& rows = reinterpret_cast<const Result*>(r)->rows;
      if (row >= rows.size() || c >= rows.columns()) return FK_ERR_INVALID_ARGUMENT;
      const auto field =
          rows[static_cast<pqxx::result::size_type>(row)][static_cast<pqxx::row::size_type>(c)];
      *value = field.is_null() ? fk_str{nullptr, 0} : fk_str{field.c_str(), field.size()};
      return FK_OK;
    };
    db_.result_affected_rows = [](const fk_result* r, uint64_t* n) -> fk_status {
      *n = reinterpret_cast<const Result*>(r)->rows.affected_rows();
      return FK_OK;
    };

    audit_.struct_size = static_cast<uint32_t>(sizeof audit_);
    audit_.record = [](fk_txn* txn, const fk_audit_entry* e, fk_error*) -> fk_status {
      frame(txn).audits.push_back(AuditRecord{in(e->action), in(e->resource_type),
                                              in(e->resource_id), in(e->details_json)});
      return FK_OK;
    };
    events_api_.struct_size = static_cast<uint32_t>(sizeof events_api_);
    events_api_.publish = [](fk_txn* txn, fk_str type, fk_str payload, fk_error*) -> fk_status {
      frame(txn).events.push_back(PublishedEvent{in(type), in(payload), {}, {}});
      return FK_OK;
    };
    events_api_.publish_event = [](fk_txn* txn, const fk_event_spec* spec, fk_error*) -> fk_status {
      if (spec->version == 0) return FK_ERR_INVALID_ARGUMENT;
      frame(txn).events.push_back(PublishedEvent{in(spec->type), in(spec->payload_json),
                                                 in(spec->aggregate_type), in(spec->aggregate_id)});
      return FK_OK;
    };
    config_.struct_size = static_cast<uint32_t>(sizeof config_);
    config_.get = [](fk_plugin*, const fk_tenant_ctx*, fk_str, char*, size_t,
                     size_t*) -> fk_status {
      return FK_ERR_NOT_FOUND;  // the plugin falls back to the schema defaults
    };
    authz_.struct_size = static_cast<uint32_t>(sizeof authz_);
    authz_.tenant_id = [](const fk_tenant_ctx* ctx, fk_str* s) -> fk_status {
      *s = out(frame(ctx).tenant);
      return FK_OK;
    };
    authz_.principal_id = [](const fk_tenant_ctx*, fk_str* s) -> fk_status {
      *s = fk_str_c("user:abi-host");
      return FK_OK;
    };
    authz_.request_id = [](const fk_tenant_ctx*, fk_str* s) -> fk_status {
      *s = fk_str_c("req-abi-host");
      return FK_OK;
    };
    authz_.has_permission = [](const fk_tenant_ctx*, fk_str, fk_bool* granted) -> fk_status {
      *granted = FK_TRUE;
      return FK_OK;
    };

    host_.struct_size = static_cast<uint32_t>(sizeof host_);
    host_.abi_major = FK_ABI_MAJOR;
    host_.abi_minor = FK_ABI_MINOR;
    host_.host_version = fk_str_c("abi-test-host");
    host_.log = &log_;
    host_.http = &http_;
    host_.db = &db_;
    host_.audit = &audit_;
    host_.events = &events_api_;
    host_.config = &config_;
    host_.authz = &authz_;
  }

  db::ConnectionPool& pool_;
  void* handle_ = nullptr;
  const fk_plugin_info* info_ = nullptr;
  void* state_ = nullptr;
  fk_log_api log_{};
  fk_http_api http_{};
  fk_db_api db_{};
  fk_audit_api audit_{};
  fk_events_api events_api_{};
  fk_config_api config_{};
  fk_authz_api authz_{};
  fk_host_api host_{};
  std::mutex mutex_;
  std::vector<AuditRecord> audits_;
  std::vector<PublishedEvent> events_;
};

}  // namespace fk::test::ledger
