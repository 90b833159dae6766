#include "plugins/host_api.hpp"

#include "audit/audit_log.hpp"
#include "audit/canonical.hpp"
#include "db/prepared.hpp"
#include "identity/secure_random.hpp"
#include "keys/errors.hpp"
#include "keys/tenant_keys.hpp"
#include "log/json_log.hpp"
#include "plugins/host_objects.hpp"
#include "plugins/loaded_plugin.hpp"
#include "plugins/plugin_host.hpp"
#include "plugins/sql_guard.hpp"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <string>
#include <string_view>

namespace fk::plugins {
namespace {

std::string_view view(fk_str s) {
  return s.data != nullptr ? std::string_view(s.data, s.len) : std::string_view();
}

fk_str str(const std::string& s) {
  return fk_str{s.data(), s.size()};
}

// Rule M4: error texts stay valid until this thread's next failing call.
thread_local std::string t_error_message;
thread_local std::string t_error_subcode;

fk_status fail(fk_error* err, fk_status status, std::string subcode, std::string message) {
  if (err != nullptr && err->struct_size >= sizeof(uint32_t) * 2) {
    t_error_message = std::move(message);
    t_error_subcode = std::move(subcode);
    err->code = status;
    if (err->struct_size >= offsetof(fk_error, message) + sizeof(fk_str)) {
      err->message = str(t_error_message);
    }
    if (err->struct_size >= offsetof(fk_error, subcode) + sizeof(fk_str)) {
      err->subcode = str(t_error_subcode);
    }
  }
  return status;
}

bool ascii_iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Runs `body` and turns anything thrown into FK_ERR_INTERNAL: no exception
// may cross into a plugin's frames.
template <class Body>
fk_status guarded(const char* what, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::exception& e) {
    log::error("host function failed", {{"function", what}, {"error", e.what()}});
  } catch (...) {
    log::error("host function failed", {{"function", what}});
  }
  return FK_ERR_INTERNAL;
}

// ---- 4.1 Log -------------------------------------------------------------------

fk_status log_write(fk_plugin* self, const fk_tenant_ctx* ctx, uint32_t level, fk_str message,
                    const fk_log_field* fields, size_t field_count) {
  if (self == nullptr || (fields == nullptr && field_count > 0)) return FK_ERR_INVALID_ARGUMENT;
  return guarded("log.write", [&] {
    log::Level mapped = log::Level::info;
    switch (level) {
      case FK_LOG_DEBUG:
        mapped = log::Level::debug;
        break;
      case FK_LOG_INFO:
        mapped = log::Level::info;
        break;
      case FK_LOG_WARN:
        mapped = log::Level::warn;
        break;
      case FK_LOG_ERROR:
        mapped = log::Level::error;
        break;
      default:
        return FK_ERR_INVALID_ARGUMENT;
    }
    if (!log::enabled(mapped)) return FK_OK;
    nlohmann::json extra = nlohmann::json::object();
    for (size_t i = 0; i < field_count; ++i) {
      extra[std::string(view(fields[i].key))] = std::string(view(fields[i].value));
    }
    extra["plugin"] = self->loaded->name();
    if (ctx != nullptr) {
      extra["requestId"] = ctx->request_id;
      extra["tenantId"] = ctx->tenant_id;
    }
    log::write(mapped, view(message), extra);
    return FK_OK;
  });
}

fk_status log_enabled(fk_plugin* self, uint32_t level, fk_bool* out_enabled) {
  if (self == nullptr || out_enabled == nullptr) return FK_ERR_INVALID_ARGUMENT;
  const log::Level mapped = level == FK_LOG_DEBUG   ? log::Level::debug
                            : level == FK_LOG_WARN  ? log::Level::warn
                            : level == FK_LOG_ERROR ? log::Level::error
                                                    : log::Level::info;
  *out_enabled = log::enabled(mapped) ? FK_TRUE : FK_FALSE;
  return FK_OK;
}

constexpr fk_log_api kLogApi = {sizeof(fk_log_api), 0u, log_write, log_enabled};

// ---- 4.2 HTTP --------------------------------------------------------------------

fk_status request_method(const fk_request* req, uint32_t* out) {
  if (req == nullptr || out == nullptr) return FK_ERR_INVALID_ARGUMENT;
  *out = req->method;
  return FK_OK;
}

fk_status request_path(const fk_request* req, fk_str* out) {
  if (req == nullptr || out == nullptr) return FK_ERR_INVALID_ARGUMENT;
  *out = str(req->path);
  return FK_OK;
}

fk_status request_route(const fk_request* req, fk_str* out) {
  if (req == nullptr || out == nullptr) return FK_ERR_INVALID_ARGUMENT;
  *out = str(req->route);
  return FK_OK;
}

fk_status request_path_param(const fk_request* req, fk_str name, fk_str* out) {
  if (req == nullptr || out == nullptr || name.data == nullptr) return FK_ERR_INVALID_ARGUMENT;
  const auto it = req->path_params.find(view(name));
  if (it == req->path_params.end()) return FK_ERR_NOT_FOUND;
  *out = str(it->second);
  return FK_OK;
}

fk_status request_query_param(const fk_request* req, fk_str name, fk_str* out) {
  if (req == nullptr || out == nullptr || name.data == nullptr) return FK_ERR_INVALID_ARGUMENT;
  for (const auto& [key, value] : req->query) {
    if (key == view(name)) {
      *out = str(value);
      return FK_OK;
    }
  }
  return FK_ERR_NOT_FOUND;
}

fk_status request_header(const fk_request* req, fk_str name, fk_str* out) {
  if (req == nullptr || out == nullptr || name.data == nullptr) return FK_ERR_INVALID_ARGUMENT;
  for (const auto& [key, value] : req->headers) {
    if (ascii_iequals(key, view(name))) {
      *out = str(value);
      return FK_OK;
    }
  }
  return FK_ERR_NOT_FOUND;
}

fk_status request_body(const fk_request* req, fk_str* out) {
  if (req == nullptr || out == nullptr) return FK_ERR_INVALID_ARGUMENT;
  *out = str(req->body);
  return FK_OK;
}

fk_status response_set_status(fk_response* resp, uint32_t status) {
  if (resp == nullptr || status < 100 || status > 599) return FK_ERR_INVALID_ARGUMENT;
  resp->status = static_cast<int>(status);
  return FK_OK;
}

bool http_token(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool kernel_owned_header(std::string_view name) {
  constexpr std::array<std::string_view, 7> exact = {
      "content-length", "content-type", "transfer-encoding", "connection",
      "set-cookie",     "x-request-id", "retry-after"};
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (std::find(exact.begin(), exact.end(), lower) != exact.end()) return true;
  return lower.rfind("strict-", 0) == 0 || lower.rfind("access-control-", 0) == 0;
}

fk_status response_set_header(fk_response* resp, fk_str name, fk_str value) {
  if (resp == nullptr || !http_token(view(name))) return FK_ERR_INVALID_ARGUMENT;
  const auto v = view(value);
  if (v.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return FK_ERR_INVALID_ARGUMENT;
  }
  if (kernel_owned_header(view(name))) return FK_ERR_PERMISSION_DENIED;
  return guarded("http.response_set_header", [&] {
    resp->headers.emplace_back(std::string(view(name)), std::string(v));
    return FK_OK;
  });
}

fk_status response_write_json(fk_response* resp, fk_str json) {
  if (resp == nullptr || json.data == nullptr) return FK_ERR_INVALID_ARGUMENT;
  return guarded("http.response_write_json", [&] {
    if (!nlohmann::json::accept(view(json))) return FK_ERR_INVALID_ARGUMENT;
    resp->json.assign(view(json));
    resp->raw_content_type.clear();
    resp->raw_body.clear();
    return FK_OK;
  });
}

fk_status response_write_body(fk_response* resp, fk_str content_type, fk_bytes body) {
  if (resp == nullptr || content_type.data == nullptr || content_type.len == 0 ||
      (body.data == nullptr && body.len > 0)) {
    return FK_ERR_INVALID_ARGUMENT;
  }
  const auto type = view(content_type);
  if (type.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return FK_ERR_INVALID_ARGUMENT;
  }
  return guarded("http.response_write_body", [&] {
    resp->raw_content_type.assign(type);
    resp->raw_body.assign(reinterpret_cast<const char*>(body.data), body.len);
    return FK_OK;
  });
}

bool upper_snake(std::string_view code) {
  return !code.empty() && code.size() <= 64 && std::all_of(code.begin(), code.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

fk_status response_set_error(fk_response* resp, uint32_t status, fk_str code, fk_str message,
                             fk_str details_json) {
  if (resp == nullptr || status < 400 || status > 599 || !upper_snake(view(code))) {
    return FK_ERR_INVALID_ARGUMENT;
  }
  return guarded("http.response_set_error", [&] {
    nlohmann::json details = nlohmann::json::object();
    if (details_json.data != nullptr) {
      details = nlohmann::json::parse(view(details_json), nullptr, false);
      if (!details.is_object()) return FK_ERR_INVALID_ARGUMENT;
    }
    resp->status = static_cast<int>(status);
    resp->is_error = true;
    resp->error_code.assign(view(code));
    resp->error_message.assign(view(message));
    resp->error_details = std::move(details);
    return FK_OK;
  });
}

constexpr fk_http_api kHttpApi = {sizeof(fk_http_api), 0u,
                                  request_method,      request_path,
                                  request_route,       request_path_param,
                                  request_query_param, request_header,
                                  request_body,        response_set_status,
                                  response_set_header, response_write_json,
                                  response_write_body, response_set_error};

// ---- 4.3 Database ----------------------------------------------------------------

// libpqxx 6.4 does not always fill sql_error::sqlstate(), but it throws a
// class per SQLSTATE family: map on the class, report the state when known.
fk_status db_error(fk_error* err, const pqxx::sql_error& e) {
  std::string state = e.sqlstate();
  fk_status status = FK_ERR_DB;
  if (dynamic_cast<const pqxx::unique_violation*>(&e) != nullptr) {
    status = FK_ERR_CONFLICT;
    if (state.empty()) state = "23505";
  } else if (dynamic_cast<const pqxx::insufficient_privilege*>(&e) != nullptr) {
    status = FK_ERR_PERMISSION_DENIED;
    if (state.empty()) state = "42501";
  } else if (state == "23P01") {
    status = FK_ERR_CONFLICT;
  } else if (state == "57014") {
    status = FK_ERR_TIMEOUT;
  }
  return fail(err, status, state, e.what());
}

fk_status db_exec(fk_txn* txn, fk_str sql, const fk_str* params, size_t param_count,
                  fk_result** out_result, fk_error* err) {
  if (out_result != nullptr) *out_result = nullptr;
  if (txn == nullptr || sql.data == nullptr || (params == nullptr && param_count > 0)) {
    return FK_ERR_INVALID_ARGUMENT;
  }
  return guarded("db.exec", [&]() -> fk_status {
    if (auto refusal = refuse_plugin_sql(view(sql))) {
      log::warn("plugin SQL refused", {{"plugin", txn->plugin->name()}, {"reason", *refusal}});
      return fail(err, FK_ERR_PERMISSION_DENIED, "STATEMENT_REFUSED", *refusal);
    }
    // Text parameters: NULL stays a null pointer (SQL NULL), the rest are
    // copied (rule M2) and NUL-terminated for libpq.
    std::vector<std::string> storage(param_count);
    std::vector<const char*> values(param_count, nullptr);
    for (size_t i = 0; i < param_count; ++i) {
      if (params[i].data == nullptr) continue;
      const auto value = view(params[i]);
      if (value.find('\0') != std::string_view::npos) {
        return fail(err, FK_ERR_INVALID_ARGUMENT, "NUL_IN_PARAMETER",
                    "parameter $" + std::to_string(i + 1) + " contains a NUL byte");
      }
      storage[i].assign(value);
      values[i] = storage[i].c_str();
    }

    std::lock_guard lock(txn->slot->mutex);
    if (txn->slot->work == nullptr) {
      return fail(err, FK_ERR_TIMEOUT, "DEADLINE_EXCEEDED", "the call's deadline has passed");
    }
    try {
      pqxx::result rows =
          db::exec_prepared_cached(*txn->slot->work, std::string(view(sql)), values);
      if (out_result != nullptr) {
        auto result = std::make_unique<fk_result>();
        result->rows = std::move(rows);
        result->owner = txn;
        std::lock_guard owned(txn->owned_mutex);
        txn->open_results.insert(result.get());
        *out_result = result.release();
      }
      return FK_OK;
    } catch (const pqxx::broken_connection& e) {
      txn->slot->failed = true;
      return fail(err, FK_ERR_UNAVAILABLE, "08006", e.what());
    } catch (const pqxx::sql_error& e) {
      txn->slot->failed = true;
      return db_error(err, e);
    }
  });
}

fk_status result_free(fk_result* result) {
  if (result == nullptr) return FK_OK;
  if (result->owner != nullptr) {
    std::lock_guard owned(result->owner->owned_mutex);
    result->owner->open_results.erase(result);
  }
  delete result;
  return FK_OK;
}

fk_status result_row_count(const fk_result* result, uint64_t* out) {
  if (result == nullptr || out == nullptr) return FK_ERR_INVALID_ARGUMENT;
  *out = static_cast<uint64_t>(result->rows.size());
  return FK_OK;
}

fk_status result_column_count(const fk_result* result, uint32_t* out) {
  if (result == nullptr || out == nullptr) return FK_ERR_INVALID_ARGUMENT;
  *out = static_cast<uint32_t>(result->rows.columns());
  return FK_OK;
}

fk_status result_column_name(const fk_result* result, uint32_t column, fk_str* out) {
  if (result == nullptr || out == nullptr || column >= result->rows.columns()) {
    return FK_ERR_INVALID_ARGUMENT;
  }
  return guarded("db.result_column_name", [&] {
    const char* name = result->rows.column_name(column);
    *out = fk_str{name, std::strlen(name)};
    return FK_OK;
  });
}

fk_status result_value(const fk_result* result, uint64_t row, uint32_t column, fk_str* out) {
  if (result == nullptr || out == nullptr || row >= result->rows.size() ||
      column >= result->rows.columns()) {
    return FK_ERR_INVALID_ARGUMENT;
  }
  const auto field = result->rows[static_cast<pqxx::result::size_type>(row)]
                                 [static_cast<pqxx::row::size_type>(column)];
  *out = field.is_null() ? fk_str{nullptr, 0} : fk_str{field.c_str(), field.size()};
  return FK_OK;
}

fk_status result_affected_rows(const fk_result* result, uint64_t* out) {
  if (result == nullptr || out == nullptr) return FK_ERR_INVALID_ARGUMENT;
  *out = static_cast<uint64_t>(result->rows.affected_rows());
  return FK_OK;
}

constexpr fk_db_api kDbApi = {sizeof(fk_db_api),
                              0u,
                              db_exec,
                              result_free,
                              result_row_count,
                              result_column_count,
                              result_column_name,
                              result_value,
                              result_affected_rows};

// ---- 4.4 Crypto ------------------------------------------------------------------

fk_status random_bytes(fk_plugin* self, uint8_t* out, size_t len) {
  if (self == nullptr || (out == nullptr && len > 0) || len > 65536) return FK_ERR_INVALID_ARGUMENT;
  if (len == 0) return FK_OK;
  return RAND_bytes(out, static_cast<int>(len)) == 1 ? FK_OK : FK_ERR_INTERNAL;
}

fk_status sha256(fk_plugin* self, fk_bytes data, uint8_t* out_digest) {
  if (self == nullptr || out_digest == nullptr || (data.data == nullptr && data.len > 0)) {
    return FK_ERR_INVALID_ARGUMENT;
  }
  SHA256(data.len > 0 ? data.data : reinterpret_cast<const uint8_t*>(""), data.len, out_digest);
  return FK_OK;
}

// A plugin's purposes live in its own namespace: another plugin (or the
// kernel) using the same label cannot decrypt them.
std::string scoped_purpose(const fk_tenant_ctx& ctx, fk_str purpose) {
  return "plugin:" + ctx.plugin->name() + ":" + std::string(view(purpose));
}

template <class Body>
fk_status with_keys(const fk_tenant_ctx* ctx, fk_str purpose, fk_error* err, Body&& body) {
  if (ctx == nullptr || ctx->txn == nullptr || purpose.data == nullptr || purpose.len == 0) {
    return FK_ERR_INVALID_ARGUMENT;
  }
  keys::TenantKeyService* service = ctx->txn->host->key_service();
  if (service == nullptr) {
    return fail(err, FK_ERR_UNAVAILABLE, "NO_MASTER_KEY",
                "this kernel has no master key configured (identity.master_key_file)");
  }
  return guarded("crypto", [&]() -> fk_status {
    std::lock_guard lock(ctx->txn->slot->mutex);
    if (ctx->txn->slot->work == nullptr) {
      return fail(err, FK_ERR_TIMEOUT, "DEADLINE_EXCEEDED", "the call's deadline has passed");
    }
    try {
      return body(*service, *ctx->txn->slot->work);
    } catch (const keys::KeyError& e) {
      return fail(err, FK_ERR_VALIDATION, "NOT_AUTHENTIC", e.what());
    } catch (const pqxx::sql_error& e) {
      ctx->txn->slot->failed = true;
      return db_error(err, e);
    }
  });
}

fk_status copy_out(const std::string& bytes, uint8_t* out, size_t cap, size_t* out_len,
                   fk_error* err) {
  *out_len = bytes.size();
  if (cap < bytes.size() || (out == nullptr && !bytes.empty())) {
    return fail(err, FK_ERR_BUFFER_TOO_SMALL, "BUFFER_TOO_SMALL",
                "needs " + std::to_string(bytes.size()) + " bytes");
  }
  if (!bytes.empty()) std::memcpy(out, bytes.data(), bytes.size());
  return FK_OK;
}

fk_status encrypt(const fk_tenant_ctx* ctx, fk_str purpose, fk_bytes plaintext, uint8_t* out,
                  size_t out_cap, size_t* out_len, fk_error* err) {
  if (out_len == nullptr || (plaintext.data == nullptr && plaintext.len > 0)) {
    return FK_ERR_INVALID_ARGUMENT;
  }
  return with_keys(ctx, purpose, err, [&](keys::TenantKeyService& service, auto& work) {
    const std::string sealed = service.encrypt(
        work, ctx->tenant_id, scoped_purpose(*ctx, purpose),
        std::string_view(reinterpret_cast<const char*>(plaintext.data), plaintext.len));
    return copy_out(sealed, out, out_cap, out_len, err);
  });
}

fk_status decrypt(const fk_tenant_ctx* ctx, fk_str purpose, fk_bytes ciphertext, uint8_t* out,
                  size_t out_cap, size_t* out_len, fk_error* err) {
  if (out_len == nullptr || ciphertext.data == nullptr) return FK_ERR_INVALID_ARGUMENT;
  return with_keys(ctx, purpose, err, [&](keys::TenantKeyService& service, auto& work) {
    const std::string plain = service.decrypt(
        work, ctx->tenant_id, scoped_purpose(*ctx, purpose),
        std::string_view(reinterpret_cast<const char*>(ciphertext.data), ciphertext.len));
    return copy_out(plain, out, out_cap, out_len, err);
  });
}

fk_status hmac_sha256(const fk_tenant_ctx* ctx, fk_str purpose, fk_bytes data, uint8_t* out_mac,
                      fk_error* err) {
  if (out_mac == nullptr || (data.data == nullptr && data.len > 0)) return FK_ERR_INVALID_ARGUMENT;
  return with_keys(ctx, purpose, err, [&](keys::TenantKeyService& service, auto& work) {
    const std::string mac = identity::base64url_decode(
        service.blind_index(work, ctx->tenant_id, scoped_purpose(*ctx, purpose),
                            std::string_view(reinterpret_cast<const char*>(data.data), data.len)));
    if (mac.size() != 32) return FK_ERR_INTERNAL;
    std::memcpy(out_mac, mac.data(), 32);
    return FK_OK;
  });
}

constexpr fk_crypto_api kCryptoApi = {
    sizeof(fk_crypto_api), 0u, random_bytes, sha256, encrypt, decrypt, hmac_sha256};

// ---- 4.5 Audit -------------------------------------------------------------------

fk_status audit_record(fk_txn* txn, const fk_audit_entry* entry, fk_error* err) {
  if (txn == nullptr || entry == nullptr || entry->struct_size < sizeof(fk_audit_entry)) {
    return FK_ERR_INVALID_ARGUMENT;
  }
  return guarded("audit.record", [&]() -> fk_status {
    const std::string& plugin = txn->plugin->name();
    const std::string action(view(entry->action));
    if (action.rfind(plugin + ".", 0) != 0 || action.size() <= plugin.size() + 1) {
      return fail(
          err, FK_ERR_INVALID_ARGUMENT, "ACTION_NAMESPACE",
          "audit action \"" + action + "\" is not in the plugin's namespace \"" + plugin + ".\"");
    }
    audit::AuditRecord record;
    record.actor_type = txn->ctx->actor_type;
    record.actor_id = txn->ctx->actor_id;
    record.action = action;
    record.resource = std::string(view(entry->resource_type));
    if (entry->resource_id.len > 0) record.resource += "/" + std::string(view(entry->resource_id));
    record.outcome = entry->outcome == FK_AUDIT_FAILURE  ? "failure"
                     : entry->outcome == FK_AUDIT_DENIED ? "denied"
                                                         : "success";
    record.request_id = txn->ctx->request_id;
    record.client_address = txn->ctx->client_address;
    if (entry->details_json.data != nullptr) {
      record.summary = nlohmann::json::parse(view(entry->details_json), nullptr, false);
      if (!record.summary.is_object()) {
        return fail(err, FK_ERR_INVALID_ARGUMENT, "DETAILS_NOT_OBJECT",
                    "audit details must be a JSON object");
      }
    }
    record.summary["plugin"] = plugin;
    try {
      audit::validate(record);
    } catch (const std::invalid_argument& e) {
      return fail(err, FK_ERR_INVALID_ARGUMENT, "INVALID_RECORD", e.what());
    }
    if (txn->audit_records == nullptr) return FK_ERR_INTERNAL;
    std::lock_guard owned(txn->owned_mutex);
    txn->audit_records->push_back(std::move(record));
    return FK_OK;
  });
}

constexpr fk_audit_api kAuditApi = {sizeof(fk_audit_api), 0u, audit_record};

// ---- 4.6 Events ------------------------------------------------------------------

fk_status events_publish(fk_txn* txn, fk_str type, fk_str payload_json, fk_error* err) {
  if (txn == nullptr || type.data == nullptr || payload_json.data == nullptr) {
    return FK_ERR_INVALID_ARGUMENT;
  }
  return guarded("events.publish", [&] {
    PublishSpec spec;
    spec.type.assign(view(type));
    spec.payload_json.assign(view(payload_json));
    std::string code, message;
    const fk_status status = txn->host->publish(*txn, spec, code, message);
    return status == FK_OK ? FK_OK : fail(err, status, code, message);
  });
}

// ABI 1.1. Reads the plugin's spec only within its struct_size.
fk_status events_publish_event(fk_txn* txn, const fk_event_spec* spec, fk_error* err) {
  if (txn == nullptr || spec == nullptr ||
      spec->struct_size < offsetof(fk_event_spec, payload_json) + sizeof(fk_str) ||
      spec->type.data == nullptr || spec->payload_json.data == nullptr) {
    return FK_ERR_INVALID_ARGUMENT;
  }
  return guarded("events.publish_event", [&] {
    PublishSpec publish;
    publish.type.assign(view(spec->type));
    publish.aggregate_type.assign(view(spec->aggregate_type));
    publish.aggregate_id.assign(view(spec->aggregate_id));
    publish.payload_json.assign(view(spec->payload_json));
    publish.version = static_cast<int>(spec->version);
    std::string code, message;
    const fk_status status = txn->host->publish(*txn, publish, code, message);
    return status == FK_OK ? FK_OK : fail(err, status, code, message);
  });
}

constexpr fk_events_api kEventsApi = {sizeof(fk_events_api), 0u, events_publish,
                                      events_publish_event};

// ---- 4.7 Config ------------------------------------------------------------------

fk_status config_get(fk_plugin* self, const fk_tenant_ctx* ctx, fk_str key, char* buf, size_t cap,
                     size_t* out_len) {
  if (self == nullptr || key.data == nullptr || out_len == nullptr) return FK_ERR_INVALID_ARGUMENT;
  return guarded("config.get", [&] {
    const std::string name(view(key));
    const auto& schema = self->loaded->manifest().config;
    const bool declared = std::any_of(schema.begin(), schema.end(),
                                      [&](const ConfigSetting& s) { return s.key == name; });
    if (!declared) return FK_ERR_NOT_FOUND;
    const nlohmann::json values =
        ctx != nullptr ? ctx->config
                       : effective_config(self->loaded->manifest(), self->loaded->platform_config,
                                          nlohmann::json::object());
    const std::string text = values.contains(name) ? values.at(name).dump() : "null";
    *out_len = text.size();
    if (cap < text.size() || (buf == nullptr && !text.empty())) return FK_ERR_BUFFER_TOO_SMALL;
    std::memcpy(buf, text.data(), text.size());
    return FK_OK;
  });
}

constexpr fk_config_api kConfigApi = {sizeof(fk_config_api), 0u, config_get};

// ---- 4.8 Authorization -----------------------------------------------------------

fk_status authz_tenant_id(const fk_tenant_ctx* ctx, fk_str* out) {
  if (ctx == nullptr || out == nullptr) return FK_ERR_INVALID_ARGUMENT;
  *out = str(ctx->tenant_id);
  return FK_OK;
}

fk_status authz_principal_id(const fk_tenant_ctx* ctx, fk_str* out) {
  if (ctx == nullptr || out == nullptr) return FK_ERR_INVALID_ARGUMENT;
  *out = str(ctx->principal);
  return FK_OK;
}

fk_status authz_request_id(const fk_tenant_ctx* ctx, fk_str* out) {
  if (ctx == nullptr || out == nullptr) return FK_ERR_INVALID_ARGUMENT;
  *out = str(ctx->request_id);
  return FK_OK;
}

fk_status authz_has_permission(const fk_tenant_ctx* ctx, fk_str permission, fk_bool* out) {
  if (ctx == nullptr || permission.data == nullptr || out == nullptr) {
    return FK_ERR_INVALID_ARGUMENT;
  }
  return guarded("authz.has_permission", [&] {
    *out = ctx->all_permissions || ctx->permissions.count(std::string(view(permission))) > 0
               ? FK_TRUE
               : FK_FALSE;
    return FK_OK;
  });
}

constexpr fk_authz_api kAuthzApi = {sizeof(fk_authz_api), 0u,
                                    authz_tenant_id,      authz_principal_id,
                                    authz_request_id,     authz_has_permission};

// ---- 4.9 Plugin calls ------------------------------------------------------------

fk_status plugins_call(fk_txn* txn, fk_str plugin, fk_str method, fk_str request_json,
                       fk_str* out_reply_json, fk_error* err) {
  if (txn == nullptr || plugin.data == nullptr || method.data == nullptr ||
      request_json.data == nullptr || out_reply_json == nullptr) {
    return FK_ERR_INVALID_ARGUMENT;
  }
  return guarded("plugins.call", [&] {
    std::string reply, code, message;
    const fk_status status =
        txn->host->call(*txn, view(plugin), view(method), view(request_json), reply, code, message);
    if (status != FK_OK) return fail(err, status, code, message);
    std::lock_guard owned(txn->owned_mutex);
    txn->call_replies.push_back(std::make_unique<std::string>(std::move(reply)));
    *out_reply_json = str(*txn->call_replies.back());
    return FK_OK;
  });
}

constexpr fk_plugins_api kPluginsApi = {sizeof(fk_plugins_api), 0u, plugins_call};

}  // namespace

const fk_host_api* host_api_table() {
  static const std::string version = FK_VERSION;
  static const fk_host_api table = {sizeof(fk_host_api),
                                    FK_ABI_MAJOR,
                                    FK_ABI_MINOR,
                                    0u,
                                    fk_str{version.data(), version.size()},
                                    &kLogApi,
                                    &kHttpApi,
                                    &kDbApi,
                                    &kCryptoApi,
                                    &kAuditApi,
                                    &kEventsApi,
                                    &kConfigApi,
                                    &kAuthzApi,
                                    &kPluginsApi};
  return &table;
}

int http_status_of(fk_status status) {
  switch (status) {
    case FK_OK:
      return 200;
    case FK_ERR_INVALID_ARGUMENT:
      return 400;
    case FK_ERR_NOT_FOUND:
      return 404;
    case FK_ERR_PERMISSION_DENIED:
      return 403;
    case FK_ERR_CONFLICT:
      return 409;
    case FK_ERR_UNAVAILABLE:
      return 503;
    case FK_ERR_UNSUPPORTED:
      return 501;
    case FK_ERR_VALIDATION:
      return 422;
    case FK_ERR_TIMEOUT:
      return 503;
    default:
      return 500;
  }
}

const char* error_code_of(fk_status status) {
  switch (status) {
    case FK_ERR_INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case FK_ERR_NOT_FOUND:
      return "NOT_FOUND";
    case FK_ERR_PERMISSION_DENIED:
      return "FORBIDDEN";
    case FK_ERR_CONFLICT:
      return "CONFLICT";
    case FK_ERR_UNAVAILABLE:
      return "UNAVAILABLE";
    case FK_ERR_UNSUPPORTED:
      return "NOT_IMPLEMENTED";
    case FK_ERR_VALIDATION:
      return "VALIDATION_FAILED";
    case FK_ERR_TIMEOUT:
      return "TIMEOUT";
    default:
      return "INTERNAL_ERROR";
  }
}

}  // namespace fk::plugins

fk_txn::~fk_txn() {
  if (!open_results.empty()) {
    fk::log::warn(
        "plugin did not free its query results; freed by the host",
        {{"plugin", plugin != nullptr ? plugin->name() : ""}, {"results", open_results.size()}});
  }
  for (fk_result* result : open_results) delete result;
}
