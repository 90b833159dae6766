// fk_sdk_harness: a miniature host that loads plugins exactly through the C
// ABI (dlopen, fk_plugin_entry_v1, fk_abi_check, init, handlers, shutdown)
// with in-memory host tables. It tests the ABI and the C++ wrapper from the
// outside; it is NOT the kernel (the database here only echoes parameters:
// real SQL, RLS and transactions are the kernel's integration tests).
//
//   fk_sdk_harness cpp  <probe_plugin.so>   every path of the C++ wrapper
//   fk_sdk_harness c    <c_plugin.so>       a plain C plugin
//   fk_sdk_harness hello <hello.so>         the example plugin's handlers (validation,
//                                           insert + event + audit, event handling)
//   fk_sdk_harness load <plugin.so> [name]  generic: ABI check, init, shutdown
#include <dlfcn.h>
#include <finkernel/fk_plugin.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

// ---------------------------------------------------------------------------
// The host's side of the opaque handles.
// ---------------------------------------------------------------------------
struct fk_plugin {
  std::string name;
  std::map<std::string, std::string> config;                  // key -> JSON value
  std::set<std::string> publishes = {"probe.thing.created"};  // manifest events.publishes
  std::mutex mu;
  std::vector<std::string> logs;
};

struct fk_request {
  uint32_t method = FK_METHOD_GET;
  std::string path;
  std::string route;
  std::string body;
  std::map<std::string, std::string> path_params;
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;
};

struct fk_response {
  uint32_t status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> json;
  bool is_error = false;
  uint32_t error_status = 0;
  std::string error_code;
  std::string error_message;
  std::string error_details;
};

struct fk_tenant_ctx {
  fk_plugin* plugin = nullptr;
  std::string tenant_id = "8a1e4c52-6f0b-4f57-9a43-2f1d9a6b7c10";
  std::string principal = "user:0b7f0e8e-3d53-4a8c-9a55-0c6a2c1f9e11";
  std::string request_id = "req-harness-1";
  std::set<std::string> permissions = {"probe:things.write"};
};

struct fk_txn {
  fk_tenant_ctx* ctx = nullptr;
  std::vector<std::string> statements;
  std::vector<std::vector<std::optional<std::string>>> params;
  std::vector<std::pair<std::string, std::string>> events;
  // ABI 1.1 publish_event: "type aggregate_type/aggregate_id v<version>" per event
  std::vector<std::string> envelopes;
  std::vector<std::string> audits;
  int live_results = 0;
  std::string error_text;  // fk_error message storage (rule M4)
  std::string reply;       // plugins.call reply storage
};

struct fk_result {
  fk_txn* txn = nullptr;
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
  uint64_t affected = 0;
};

namespace {

int failures = 0;

#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                                   \
    }                                                                               \
  } while (0)

#define CHECK_EQ(actual, expected)                                                         \
  do {                                                                                     \
    const auto& a_ = (actual);                                                             \
    const auto& e_ = (expected);                                                           \
    if (!(a_ == e_)) {                                                                     \
      std::fprintf(stderr, "%s:%d: CHECK_EQ failed: %s\n  got:      %s\n  expected: %s\n", \
                   __FILE__, __LINE__, #actual, show(a_).c_str(), show(e_).c_str());       \
      ++failures;                                                                          \
    }                                                                                      \
  } while (0)

std::string show(const std::string& s) {
  return s;
}
std::string show(uint32_t v) {
  return std::to_string(v) + " (" + fk_status_name(v) + ")";
}
std::string show(const std::optional<std::string>& s) {
  return s ? *s : "<none>";
}
std::string show(int v) {
  return std::to_string(v);
}

std::string to_string(fk_str s) {
  return s.data ? std::string(s.data, s.len) : std::string();
}
fk_str as_fk(const std::string& s) {
  return fk_str{s.data(), s.size()};
}

bool contains(const std::vector<std::string>& lines, const std::string& needle) {
  for (const auto& l : lines) {
    if (l.find(needle) != std::string::npos) return true;
  }
  return false;
}

fk_status fail(fk_txn* txn, fk_error* err, fk_status code, std::string message,
               const char* subcode) {
  txn->error_text = std::move(message);
  if (err != nullptr && FK_HAS_FIELD(err, code)) err->code = code;
  if (err != nullptr && FK_HAS_FIELD(err, message)) err->message = as_fk(txn->error_text);
  if (err != nullptr && FK_HAS_FIELD(err, subcode)) err->subcode = fk_str_c(subcode);
  return code;
}

// --- log ---------------------------------------------------------------------
fk_status log_write(fk_plugin* self, const fk_tenant_ctx* ctx, uint32_t level, fk_str message,
                    const fk_log_field* fields, size_t n) {
  if (self == nullptr || (n > 0 && fields == nullptr)) return FK_ERR_INVALID_ARGUMENT;
  static const char* kLevels[] = {"?", "debug", "info", "warn", "error"};
  std::string line =
      std::string(level <= FK_LOG_ERROR ? kLevels[level] : "info") + " " + to_string(message);
  if (ctx != nullptr) line += " requestId=" + ctx->request_id;
  for (size_t i = 0; i < n; ++i)
    line += " " + to_string(fields[i].key) + "=" + to_string(fields[i].value);
  std::lock_guard<std::mutex> lock(self->mu);
  std::fprintf(stderr, "  [%s] %s\n", self->name.c_str(), line.c_str());
  self->logs.push_back(line);
  return FK_OK;
}
fk_status log_enabled(fk_plugin*, uint32_t level, fk_bool* out) {
  *out = level >= FK_LOG_INFO ? FK_TRUE : FK_FALSE;
  return FK_OK;
}
const fk_log_api kLog = {sizeof(fk_log_api), 0, log_write, log_enabled};

// --- http --------------------------------------------------------------------
fk_status req_method(const fk_request* r, uint32_t* out) {
  *out = r->method;
  return FK_OK;
}
fk_status req_path(const fk_request* r, fk_str* out) {
  *out = as_fk(r->path);
  return FK_OK;
}
fk_status req_route(const fk_request* r, fk_str* out) {
  *out = as_fk(r->route);
  return FK_OK;
}
fk_status lookup(const std::map<std::string, std::string>& m, fk_str name, fk_str* out) {
  auto it = m.find(to_string(name));
  if (it == m.end()) return FK_ERR_NOT_FOUND;
  *out = as_fk(it->second);
  return FK_OK;
}
fk_status req_path_param(const fk_request* r, fk_str name, fk_str* out) {
  return lookup(r->path_params, name, out);
}
fk_status req_query(const fk_request* r, fk_str name, fk_str* out) {
  return lookup(r->query, name, out);
}
fk_status req_header(const fk_request* r, fk_str name, fk_str* out) {
  if (fk_str_eq(name, fk_str_c("Authorization"))) return FK_ERR_NOT_FOUND;  // never visible
  return lookup(r->headers, name, out);
}
fk_status req_body(const fk_request* r, fk_str* out) {
  *out = as_fk(r->body);
  return FK_OK;
}
fk_status resp_status(fk_response* r, uint32_t s) {
  if (s < 100 || s > 599) return FK_ERR_INVALID_ARGUMENT;
  r->status = s;
  return FK_OK;
}
fk_status resp_header(fk_response* r, fk_str name, fk_str value) {
  if (fk_str_eq(name, fk_str_c("Content-Length"))) return FK_ERR_PERMISSION_DENIED;
  r->headers.emplace_back(to_string(name), to_string(value));
  return FK_OK;
}
fk_status resp_json(fk_response* r, fk_str json) {
  if (json.len == 0) return FK_ERR_INVALID_ARGUMENT;  // (the kernel validates the JSON)
  r->json = to_string(json);
  return FK_OK;
}
fk_status resp_body(fk_response*, fk_str, fk_bytes) {
  return FK_ERR_UNSUPPORTED;
}
fk_status resp_error(fk_response* r, uint32_t status, fk_str code, fk_str message, fk_str details) {
  if (status < 400 || status > 599) return FK_ERR_INVALID_ARGUMENT;
  r->is_error = true;
  r->error_status = status;
  r->error_code = to_string(code);
  r->error_message = to_string(message);
  r->error_details = to_string(details);
  return FK_OK;
}
const fk_http_api kHttp = {sizeof(fk_http_api), 0,         req_method, req_path,  req_route,
                           req_path_param,      req_query, req_header, req_body,  resp_status,
                           resp_header,         resp_json, resp_body,  resp_error};

// --- db: echoes its parameters as one row; "fail" and "SET" fail -------------
fk_status db_exec(fk_txn* txn, fk_str sql, const fk_str* params, size_t n, fk_result** out,
                  fk_error* err) {
  if (out != nullptr) *out = nullptr;
  if (txn == nullptr || (n > 0 && params == nullptr)) return FK_ERR_INVALID_ARGUMENT;
  const std::string text = to_string(sql);
  txn->statements.push_back(text);
  if (text.rfind("SET", 0) == 0) {
    return fail(txn, err, FK_ERR_PERMISSION_DENIED, "statement refused: SET", "STATEMENT_REFUSED");
  }
  if (text.find("fail") != std::string::npos) {
    return fail(txn, err, FK_ERR_DB, "relation \"fail\" does not exist", "42P01");
  }
  std::vector<std::optional<std::string>> row;
  for (size_t i = 0; i < n; ++i) {
    row.push_back(params[i].data ? std::optional<std::string>(to_string(params[i])) : std::nullopt);
  }
  txn->params.push_back(row);
  if (out != nullptr) {
    auto* r = new fk_result;
    r->txn = txn;
    if (text.rfind("INSERT INTO hello_processed_events", 0) == 0 && n == 1) {
      // ON CONFLICT DO NOTHING: 1 row the first time an event id is seen, then 0.
      static std::set<std::string> processed;
      r->affected = processed.insert(row[0].value_or("")).second ? 1 : 0;
    } else if (text.rfind("INSERT INTO hello_greetings", 0) == 0 && n == 2) {
      // What PostgreSQL returns for the example's INSERT ... RETURNING.
      r->columns = {"id", "message", "created_by", "to_char"};
      r->rows.push_back({std::string("5d0c8f9e-8f55-4c1e-9d6f-1b2a3c4d5e6f"), row[0], row[1],
                         std::string("2026-01-02T03:04:05.678Z")});
      r->affected = 1;
    } else if (text.rfind("SELECT id, message", 0) == 0) {
      r->columns = {"id", "message", "created_by", "to_char"};
      r->rows.push_back({std::string("00000000-0000-4000-8000-000000000002"), std::string("second"),
                         std::string("user:b"), std::string("2026-01-02T00:00:00.000Z")});
      r->rows.push_back({std::string("00000000-0000-4000-8000-000000000001"), std::string("first"),
                         std::string("user:a"), std::string("2026-01-01T00:00:00.000Z")});
    } else {
      for (size_t i = 0; i < n; ++i) r->columns.push_back("p" + std::to_string(i + 1));
      r->rows.push_back(row);
    }
    *out = r;
    ++txn->live_results;
  }
  return FK_OK;
}
fk_status db_free(fk_result* r) {
  if (r == nullptr) return FK_OK;
  --r->txn->live_results;
  delete r;
  return FK_OK;
}
fk_status db_rows(const fk_result* r, uint64_t* out) {
  *out = r->rows.size();
  return FK_OK;
}
fk_status db_cols(const fk_result* r, uint32_t* out) {
  *out = static_cast<uint32_t>(r->columns.size());
  return FK_OK;
}
fk_status db_col_name(const fk_result* r, uint32_t c, fk_str* out) {
  if (c >= r->columns.size()) return FK_ERR_INVALID_ARGUMENT;
  *out = as_fk(r->columns[c]);
  return FK_OK;
}
fk_status db_value(const fk_result* r, uint64_t row, uint32_t c, fk_str* out) {
  if (row >= r->rows.size() || c >= r->columns.size()) return FK_ERR_INVALID_ARGUMENT;
  const auto& v = r->rows[row][c];
  *out = v ? as_fk(*v) : fk_str{nullptr, 0};
  return FK_OK;
}
fk_status db_affected(const fk_result* r, uint64_t* out) {
  *out = r->affected;
  return FK_OK;
}
const fk_db_api kDb = {sizeof(fk_db_api), 0,           db_exec,  db_free,    db_rows,
                       db_cols,           db_col_name, db_value, db_affected};

// --- audit, events, config, authz, plugins, crypto ---------------------------
fk_status audit_record(fk_txn* txn, const fk_audit_entry* e, fk_error*) {
  if (!FK_HAS_FIELD(e, details_json)) return FK_ERR_INVALID_ARGUMENT;
  txn->audits.push_back(to_string(e->action) + " " + to_string(e->resource_type) + "/" +
                        to_string(e->resource_id) + " " + to_string(e->details_json));
  return FK_OK;
}
const fk_audit_api kAudit = {sizeof(fk_audit_api), 0, audit_record};

fk_status events_publish(fk_txn* txn, fk_str type, fk_str payload, fk_error* err) {
  if (txn->ctx == nullptr || txn->ctx->plugin == nullptr ||
      txn->ctx->plugin->publishes.count(to_string(type)) == 0) {
    return fail(txn, err, FK_ERR_PERMISSION_DENIED, "event type not declared", "UNDECLARED_EVENT");
  }
  txn->events.emplace_back(to_string(type), to_string(payload));
  return FK_OK;
}
fk_status events_publish_event(fk_txn* txn, const fk_event_spec* spec, fk_error* err) {
  if (spec == nullptr || !FK_HAS_FIELD(spec, payload_json) || spec->version == 0) {
    return fail(txn, err, FK_ERR_INVALID_ARGUMENT, "bad fk_event_spec", "INVALID_EVENT");
  }
  const fk_status s = events_publish(txn, spec->type, spec->payload_json, err);
  if (s != FK_OK) return s;
  txn->envelopes.push_back(to_string(spec->type) + " " + to_string(spec->aggregate_type) + "/" +
                           to_string(spec->aggregate_id) + " v" + std::to_string(spec->version));
  return FK_OK;
}
const fk_events_api kEvents = {sizeof(fk_events_api), 0, events_publish, events_publish_event};
// What an ABI 1.0 kernel offers: the table ends after publish.
const fk_events_api kEvents10 = {static_cast<uint32_t>(FK_SIZE_THROUGH(fk_events_api, publish)), 0,
                                 events_publish, nullptr};

fk_status config_get(fk_plugin* self, const fk_tenant_ctx*, fk_str key, char* buf, size_t cap,
                     size_t* out_len) {
  auto it = self->config.find(to_string(key));
  if (it == self->config.end()) return FK_ERR_NOT_FOUND;
  *out_len = it->second.size();
  if (cap < it->second.size()) return FK_ERR_BUFFER_TOO_SMALL;
  std::memcpy(buf, it->second.data(), it->second.size());
  return FK_OK;
}
const fk_config_api kConfig = {sizeof(fk_config_api), 0, config_get};

fk_status authz_tenant(const fk_tenant_ctx* c, fk_str* out) {
  *out = as_fk(c->tenant_id);
  return FK_OK;
}
fk_status authz_principal(const fk_tenant_ctx* c, fk_str* out) {
  *out = as_fk(c->principal);
  return FK_OK;
}
fk_status authz_request(const fk_tenant_ctx* c, fk_str* out) {
  *out = as_fk(c->request_id);
  return FK_OK;
}
fk_status authz_has(const fk_tenant_ctx* c, fk_str perm, fk_bool* out) {
  *out = c->permissions.count(to_string(perm)) ? FK_TRUE : FK_FALSE;
  return FK_OK;
}
const fk_authz_api kAuthz = {sizeof(fk_authz_api), 0,        authz_tenant, authz_principal,
                             authz_request,        authz_has};

fk_status plugins_call(fk_txn* txn, fk_str, fk_str, fk_str request, fk_str* out, fk_error*) {
  txn->reply = to_string(request);
  *out = as_fk(txn->reply);
  return FK_OK;
}
const fk_plugins_api kPlugins = {sizeof(fk_plugins_api), 0, plugins_call};

fk_status crypto_random(fk_plugin*, uint8_t* out, size_t len) {
  for (size_t i = 0; i < len; ++i) out[i] = static_cast<uint8_t>(i * 7u + 1u);
  return FK_OK;
}
const fk_crypto_api kCrypto = {
    sizeof(fk_crypto_api), 0, crypto_random, nullptr, nullptr, nullptr, nullptr};

fk_host_api make_host() {
  fk_host_api h{};
  h.struct_size = sizeof(fk_host_api);
  h.abi_major = FK_ABI_MAJOR;
  h.abi_minor = FK_ABI_MINOR;
  h.host_version = fk_str_c("harness");
  h.log = &kLog;
  h.http = &kHttp;
  h.db = &kDb;
  h.crypto = &kCrypto;
  h.audit = &kAudit;
  h.events = &kEvents;
  h.config = &kConfig;
  h.authz = &kAuthz;
  h.plugins = &kPlugins;
  return h;
}

// ---------------------------------------------------------------------------
// Loading, as the kernel does it.
// ---------------------------------------------------------------------------
struct Loaded {
  void* handle = nullptr;
  const fk_plugin_info* info = nullptr;
  const fk_plugin_callbacks* cb = nullptr;
};

bool load(const char* path, Loaded& out) {
  out.handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (out.handle == nullptr) {
    std::fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
    return false;
  }
  void* sym = dlsym(out.handle, FK_PLUGIN_ENTRY_SYMBOL);
  if (sym == nullptr) {
    std::fprintf(stderr, "%s does not export %s\n", path, FK_PLUGIN_ENTRY_SYMBOL);
    return false;
  }
  auto entry = reinterpret_cast<fk_plugin_entry_fn>(sym);
  out.info = entry();
  char message[256];
  const fk_status s = fk_abi_check(out.info, FK_ABI_MAJOR, FK_ABI_MINOR, message, sizeof message);
  std::printf("abi check: %s: %s\n", fk_status_name(s), message);
  if (s != FK_OK) return false;
  out.cb = out.info->callbacks;
  // The same block is refused by a host of another major, with both versions named.
  const fk_status other = fk_abi_check(out.info, 2, 0, message, sizeof message);
  CHECK_EQ(other, FK_ERR_ABI_MISMATCH);
  CHECK(std::strstr(message, "but this kernel provides plugin ABI 2.0") != nullptr);
  return true;
}

struct Call {
  fk_tenant_ctx tenant;
  fk_txn txn;
  fk_request request;
  fk_response response;
  Call(fk_plugin* plugin, uint32_t method, std::string route) {
    tenant.plugin = plugin;
    txn.ctx = &tenant;
    request.method = method;
    request.route = route;
    request.path = std::move(route);
  }
};

fk_status run_request(const Loaded& p, void* state, Call& call) {
  fk_request_args args{};
  args.struct_size = sizeof args;
  args.request = &call.request;
  args.response = &call.response;
  args.tenant = &call.tenant;
  args.txn = &call.txn;
  const fk_status s = p.cb->handle_request(state, &args);
  CHECK_EQ(call.txn.live_results, 0);  // every fk_result freed (RAII)
  return s;
}

void* init_plugin(const Loaded& p, const fk_host_api& host, fk_plugin& self, fk_status expected) {
  fk_init_args args{};
  args.struct_size = sizeof args;
  args.host = &host;
  args.self = &self;
  args.plugin_dir = fk_str_c("/nonexistent/plugin");
  void* state = reinterpret_cast<void*>(0x1);  // must be overwritten
  const fk_status s = p.cb->init(&args, &state);
  CHECK_EQ(s, expected);
  if (s != FK_OK) CHECK(state == nullptr);
  return s == FK_OK ? state : nullptr;
}

// ---------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------
int scenario_cpp(const char* path) {
  Loaded p;
  if (!load(path, p)) return 1;
  CHECK_EQ(to_string(p.info->name), std::string("probe"));
  CHECK(p.cb->migrate && p.cb->handle_request && p.cb->handle_event && p.cb->handle_call);
  const fk_host_api host = make_host();

  // init failures: a returned Error and a thrown exception both become a
  // status; no state leaks (ASan's leak checker watches).
  {
    fk_plugin self;
    self.name = "probe";
    self.config["fail_init"] = "true";
    (void)init_plugin(p, host, self, FK_ERR_INTERNAL);
    CHECK(contains(self.logs, "init refused by config"));
    fk_plugin self2;
    self2.name = "probe";
    self2.config["throw_init"] = "true";
    (void)init_plugin(p, host, self2, FK_ERR_INTERNAL);
    CHECK(contains(self2.logs, "init exploded"));
  }

  fk_plugin self;
  self.name = "probe";
  self.config["greeting"] = "\"" + std::string(1000, 'g') + "\"";  // > first buffer: retry path
  self.config["page_size"] = "25";
  void* state = init_plugin(p, host, self, FK_OK);
  CHECK(state != nullptr);
  CHECK(contains(self.logs, "probe initialised greetingBytes=1000"));

  {  // parameters, NULL vs "", RAII results, headers
    Call c(&self, FK_METHOD_GET, "/echo");
    CHECK_EQ(run_request(p, state, c), FK_OK);
    CHECK_EQ(c.response.json, std::optional<std::string>(R"(["text","42",null,null,""])"));
    CHECK(c.response.headers.size() == 1 && c.response.headers[0].first == "X-Probe");
    CHECK(c.txn.params.size() == 1 && c.txn.params[0].size() == 5);
    CHECK(!c.txn.params[0][2] && !c.txn.params[0][3] && c.txn.params[0][4] == std::string());
  }
  {  // std::exception: INTERNAL, logged, nothing sent to the client
    Call c(&self, FK_METHOD_GET, "/throw-std");
    CHECK_EQ(run_request(p, state, c), FK_ERR_INTERNAL);
    CHECK(!c.response.is_error && !c.response.json);
    CHECK(contains(self.logs, "boom: internal detail"));
  }
  {  // a non-std exception
    Call c(&self, FK_METHOD_GET, "/throw-int");
    CHECK_EQ(run_request(p, state, c), FK_ERR_INTERNAL);
    CHECK(contains(self.logs, "non-standard exception"));
  }
  {  // a 4xx Error becomes the error response, with details
    Call c(&self, FK_METHOD_GET, "/missing");
    CHECK_EQ(run_request(p, state, c), FK_ERR_NOT_FOUND);
    CHECK(c.response.is_error && c.response.error_status == 404);
    CHECK_EQ(c.response.error_code, std::string("NOT_FOUND"));
    CHECK_EQ(c.response.error_message, std::string("no such greeting"));
    CHECK_EQ(c.response.error_details, std::string(R"({"id":"x"})"));
  }
  {  // Result::value() on a DB error propagates FK_ERR_DB; no leak to the client
    Call c(&self, FK_METHOD_GET, "/db-error");
    CHECK_EQ(run_request(p, state, c), FK_ERR_DB);
    CHECK(!c.response.is_error);
    CHECK(contains(self.logs, "42P01"));
  }
  {  // the plugin maps the SQLSTATE to its own 409
    Call c(&self, FK_METHOD_GET, "/db-error-mapped");
    CHECK_EQ(run_request(p, state, c), FK_ERR_CONFLICT);
    CHECK(c.response.error_status == 409 && c.response.error_code == "MAPPED_CONFLICT");
  }
  {  // events and audit recorded in the call's transaction
    Call c(&self, FK_METHOD_POST, "/publish");
    CHECK_EQ(run_request(p, state, c), FK_OK);
    CHECK(c.response.status == 201);
    CHECK(c.txn.events.size() == 1 && c.txn.events[0].first == "probe.thing.created");
    CHECK(c.txn.audits.size() == 1 && c.txn.audits[0] == R"(probe.thing.create thing/t-1 {"n":1})");
  }
  {  // wrong method on a known route: 405; unknown route: 404
    Call c(&self, FK_METHOD_DELETE, "/echo");
    CHECK_EQ(run_request(p, state, c), FK_ERR_UNSUPPORTED);
    CHECK(c.response.error_status == 405 && c.response.error_code == "METHOD_NOT_ALLOWED");
    Call d(&self, FK_METHOD_GET, "/nowhere");
    CHECK_EQ(run_request(p, state, d), FK_ERR_NOT_FOUND);
    CHECK(d.response.error_status == 404);
    Call e(&self, 99, "/echo");  // a method value newer than the SDK: tolerated
    CHECK_EQ(run_request(p, state, e), FK_ERR_UNSUPPORTED);
  }
  {  // full host: every service present
    Call c(&self, FK_METHOD_GET, "/features");
    CHECK_EQ(run_request(p, state, c), FK_OK);
    CHECK_EQ(c.response.json, std::optional<std::string>(
                                  R"({"crypto":true,"plugins":true,"call":"ok","random":"ok"})"));
  }
  {  // config: ints, and an undeclared key
    Call c(&self, FK_METHOD_GET, "/config");
    CHECK_EQ(run_request(p, state, c), FK_OK);
    CHECK_EQ(c.response.json,
             std::optional<std::string>(
                 R"({"pageSize":25,"greetingBytes":1000,"undeclared":"FK_ERR_NOT_FOUND"})"));
  }
  {  // identity and permissions; credentials never visible
    Call c(&self, FK_METHOD_GET, "/identity");
    c.request.query["q"] = "x y";
    c.request.headers["Authorization"] = "Bearer secret";
    CHECK_EQ(run_request(p, state, c), FK_OK);
    CHECK(c.response.json &&
          c.response.json->find(R"("canWrite":true,"canAdmin":false)") != std::string::npos);
    CHECK(c.response.json->find(R"("query":"x y")") != std::string::npos);
    CHECK(c.response.json->find(R"("auth":"<hidden>")") != std::string::npos);
    CHECK(c.response.json->find("secret") == std::string::npos);
  }
  {  // events: handled, and a throwing handler becomes INTERNAL
    fk_event ev{};
    ev.struct_size = sizeof ev;
    ev.attempt = 1;
    ev.id = fk_str_c("6b0c1c6e-0f8e-4a51-bb39-7e1a1c2d3e4f");
    ev.type = fk_str_c("probe.thing.created");
    ev.source = fk_str_c("probe");
    ev.payload_json = fk_str_c(R"({"n":1})");
    fk_tenant_ctx tenant;
    fk_txn txn;
    txn.ctx = &tenant;
    fk_event_args args{};
    args.struct_size = sizeof args;
    args.event = &ev;
    args.tenant = &tenant;
    args.txn = &txn;
    CHECK_EQ(p.cb->handle_event(state, &args), FK_OK);
    CHECK(contains(self.logs, "event received"));
    ev.payload_json = fk_str_c(R"({"throw":true})");
    CHECK_EQ(p.cb->handle_event(state, &args), FK_ERR_INTERNAL);
    // An older host's smaller fk_event: fields beyond struct_size are not read.
    ev.payload_json = fk_str_c(R"({"n":2})");
    ev.struct_size = static_cast<uint32_t>(FK_SIZE_THROUGH(fk_event, payload_json));
    CHECK_EQ(p.cb->handle_event(state, &args), FK_OK);
  }
  {  // plugin calls: exported method echoes; unknown method is unsupported
    fk_tenant_ctx tenant;
    fk_txn txn;
    txn.ctx = &tenant;
    fk_response reply;
    fk_call_args args{};
    args.struct_size = sizeof args;
    args.caller = fk_str_c("other");
    args.method = fk_str_c("echo");
    args.request_json = fk_str_c(R"({"a":1})");
    args.tenant = &tenant;
    args.txn = &txn;
    args.reply = &reply;
    CHECK_EQ(p.cb->handle_call(state, &args), FK_OK);
    CHECK_EQ(reply.json, std::optional<std::string>(R"({"a":1})"));
    args.method = fk_str_c("nope");
    fk_response reply2;
    args.reply = &reply2;
    CHECK_EQ(p.cb->handle_call(state, &args), FK_ERR_UNSUPPORTED);
  }
  {  // migrate
    fk_tenant_ctx tenant;
    fk_txn txn;
    txn.ctx = &tenant;
    fk_migrate_args args{};
    args.struct_size = sizeof args;
    args.from_version = fk_str_c("");
    args.to_version = fk_str_c("0.1.0");
    args.tenant = &tenant;
    args.txn = &txn;
    CHECK_EQ(p.cb->migrate(state, &args), FK_OK);
    CHECK(txn.params.size() == 1 && txn.params[0][1] == std::string("0.1.0"));
    CHECK_EQ(txn.live_results, 0);
  }
  {  // invalid arguments from a broken host are refused, not dereferenced
    CHECK_EQ(p.cb->handle_request(state, nullptr), FK_ERR_INVALID_ARGUMENT);
    fk_request_args tiny{};
    tiny.struct_size = 8;  // claims to have no handles
    CHECK_EQ(p.cb->handle_request(state, &tiny), FK_ERR_INVALID_ARGUMENT);
  }
  p.cb->shutdown(state);
  CHECK(contains(self.logs, "probe shutdown eventsSeen=2"));

  // An older host: its table ends before `plugins`, and crypto is disabled.
  // The plugin must see both as absent (FK_HOST_HAS) and get UNSUPPORTED.
  {
    fk_host_api old = make_host();
    old.struct_size = static_cast<uint32_t>(FK_SIZE_THROUGH(fk_host_api, authz));
    old.abi_minor = 0;
    old.crypto = nullptr;
    fk_plugin self_old;
    self_old.name = "probe";
    void* st = init_plugin(p, old, self_old, FK_OK);
    Call c(&self_old, FK_METHOD_GET, "/features");
    CHECK_EQ(run_request(p, st, c), FK_OK);
    CHECK_EQ(
        c.response.json,
        std::optional<std::string>(
            R"({"crypto":false,"plugins":false,"call":"FK_ERR_UNSUPPORTED","random":"FK_ERR_UNSUPPORTED"})"));
    p.cb->shutdown(st);
  }
  dlclose(p.handle);
  return failures == 0 ? 0 : 1;
}

int scenario_c(const char* path) {
  Loaded p;
  if (!load(path, p)) return 1;
  CHECK_EQ(to_string(p.info->name), std::string("c-plugin"));
  CHECK(p.cb->migrate == nullptr && p.cb->handle_call == nullptr);
  const fk_host_api host = make_host();
  fk_plugin self;
  self.name = "c-plugin";
  void* state = init_plugin(p, host, self, FK_OK);
  for (int i = 1; i <= 2; ++i) {
    Call c(&self, FK_METHOD_GET, "/c/echo");
    CHECK_EQ(run_request(p, state, c), FK_OK);
    CHECK_EQ(c.response.json,
             std::optional<std::string>(R"({"plugin":"c","echo":"from-c","requests":)" +
                                        std::to_string(i) + "}"));
  }
  Call d(&self, FK_METHOD_GET, "/c/other");
  CHECK_EQ(run_request(p, state, d), FK_ERR_NOT_FOUND);
  CHECK(d.response.error_status == 404 && d.response.error_code == "NO_ROUTE");
  fk_event ev{};
  ev.struct_size = sizeof ev;
  ev.type = fk_str_c("c.poison");
  fk_tenant_ctx tenant;
  fk_txn txn;
  fk_event_args args{};
  args.struct_size = sizeof args;
  args.event = &ev;
  args.tenant = &tenant;
  args.txn = &txn;
  CHECK_EQ(p.cb->handle_event(state, &args), FK_ERR_VALIDATION);
  p.cb->shutdown(state);
  CHECK(contains(self.logs, "c plugin shutdown"));
  dlclose(p.handle);
  return failures == 0 ? 0 : 1;
}

// The example partner plugin (sdk/examples/hello): its validation answers,
// the statement it runs, and the event + audit record in the same transaction.
int scenario_hello(const char* path) {
  Loaded p;
  if (!load(path, p)) return 1;
  CHECK_EQ(to_string(p.info->name), std::string("hello"));
  const fk_host_api host = make_host();
  fk_plugin self;
  self.name = "hello";
  self.publishes = {"hello.greeting.created"};
  self.config["default_page_size"] = "20";
  self.config["max_page_size"] = "50";
  void* state = init_plugin(p, host, self, FK_OK);
  const std::string route = "/v1/hello/greetings";

  for (const char* bad : {"abc", "0", "51", "2x", "-1"}) {
    Call c(&self, FK_METHOD_GET, route);
    c.request.query["limit"] = bad;
    CHECK_EQ(run_request(p, state, c), FK_ERR_VALIDATION);
    CHECK(c.response.error_status == 422 && c.response.error_code == "VALIDATION_FAILED");
    CHECK_EQ(c.response.error_details, std::string(R"({"field":"limit"})"));
    CHECK(c.txn.statements.empty());
  }
  {
    Call c(&self, FK_METHOD_GET, route);
    c.request.query["limit"] = "2";
    CHECK_EQ(run_request(p, state, c), FK_OK);
    CHECK(c.txn.params.size() == 1 && c.txn.params[0][0] == std::string("2"));
    CHECK(c.txn.statements[0].find("tenant_id") == std::string::npos);  // RLS filters
    CHECK(c.response.json && c.response.json->find(R"("count":2)") != std::string::npos);
    CHECK(c.response.json->find(R"("message":"second")") < c.response.json->find("first"));
  }
  {
    Call c(&self, FK_METHOD_GET, route);  // no ?limit: the configured default
    CHECK_EQ(run_request(p, state, c), FK_OK);
    CHECK(c.txn.params.size() == 1 && c.txn.params[0][0] == std::string("20"));
  }
  const std::vector<std::pair<std::string, std::string>> bad_bodies = {
      {"not json", "request body must be a JSON object"},
      {"[1]", "request body must be a JSON object"},
      {R"({"message":"hi","tenant_id":"x"})", R"("tenant_id" is not accepted here)"},
      {R"({"message":5})", "message is required and must be a string"},
      {"{}", "message is required and must be a string"},
      {R"({"message":""})", "message must be 1 to 280 characters"},
      {R"({"message":")" + std::string(281, 'x') + "\"}", "message must be 1 to 280 characters"}};
  for (const auto& [body, message] : bad_bodies) {
    Call c(&self, FK_METHOD_POST, route);
    c.request.body = body;
    CHECK_EQ(run_request(p, state, c), FK_ERR_VALIDATION);
    CHECK_EQ(c.response.error_message, message);
    CHECK(c.response.error_status == 422);
    CHECK(c.txn.statements.empty() && c.txn.events.empty() && c.txn.audits.empty());
  }
  {  // 280 characters of 2-byte UTF-8 are fine (characters, not bytes)
    std::string text;
    for (int i = 0; i < 280; ++i) text += "\\u00fc";
    Call c(&self, FK_METHOD_POST, route);
    c.request.body = R"({"message":")" + text + "\"}";
    CHECK_EQ(run_request(p, state, c), FK_OK);
  }
  {
    Call c(&self, FK_METHOD_POST, route);
    c.request.body = R"({"message":"Grüße"})";
    CHECK_EQ(run_request(p, state, c), FK_OK);
    CHECK(c.response.status == 201);
    CHECK(c.txn.statements.size() == 1 &&
          c.txn.statements[0].find("(SELECT fk_current_tenant())") != std::string::npos);
    CHECK(c.txn.params[0][0] == std::string("Grüße") && c.txn.params[0][1] == c.tenant.principal);
    CHECK(c.response.json &&
          c.response.json->find(R"("id":"5d0c8f9e-8f55-4c1e-9d6f-1b2a3c4d5e6f")") !=
              std::string::npos);
    CHECK(c.response.json->find(R"("createdAt":"2026-01-02T03:04:05.678Z")") != std::string::npos);
    CHECK(c.txn.events.size() == 1 && c.txn.events[0].first == "hello.greeting.created");
    CHECK(c.txn.events[0].second.find("5d0c8f9e") != std::string::npos);
    // ABI 1.1 host: the full envelope, the greeting as the aggregate.
    CHECK(c.txn.envelopes.size() == 1 && c.txn.envelopes[0] ==
                                             "hello.greeting.created "
                                             "greeting/5d0c8f9e-8f55-4c1e-9d6f-1b2a3c4d5e6f v1");
    CHECK(c.txn.audits.size() == 1);
    CHECK_EQ(c.txn.audits[0], std::string("hello.greeting.create greeting/"
                                          "5d0c8f9e-8f55-4c1e-9d6f-1b2a3c4d5e6f "
                                          R"({"characters":5})"));
  }
  {  // an ABI 1.0 kernel (no publish_event): hello asks only for 1.0 and
     // falls back to publish
    CHECK(p.info->abi_minor == 0);
    fk_host_api old_host = host;
    old_host.abi_minor = 0;
    old_host.events = &kEvents10;
    void* old_state = init_plugin(p, old_host, self, FK_OK);
    Call c(&self, FK_METHOD_POST, route);
    c.request.body = R"({"message":"old kernel"})";
    CHECK_EQ(run_request(p, old_state, c), FK_OK);
    CHECK(c.txn.events.size() == 1 && c.txn.events[0].first == "hello.greeting.created");
    CHECK(c.txn.envelopes.empty());
    p.cb->shutdown(old_state);
  }
  {  // events: its own type is logged once per event id; other types are
     // ignored; junk is refused
    fk_event ev{};
    ev.struct_size = sizeof ev;
    ev.attempt = 1;
    ev.id = fk_str_c("2f0e3b8c-1d2e-4f5a-9b8c-7d6e5f4a3b2c");
    ev.type = fk_str_c("hello.greeting.created");
    ev.source = fk_str_c("hello");
    ev.payload_json = fk_str_c(R"({"id":"g-1","message":"hi"})");
    fk_tenant_ctx tenant;
    fk_txn txn;
    txn.ctx = &tenant;
    fk_event_args args{};
    args.struct_size = sizeof args;
    args.event = &ev;
    args.tenant = &tenant;
    args.txn = &txn;
    CHECK_EQ(p.cb->handle_event(state, &args), FK_OK);
    CHECK(contains(self.logs, "greeting created requestId=req-harness-1 greetingId=g-1"));
    CHECK(txn.statements.size() == 1 &&
          txn.statements[0].rfind("INSERT INTO hello_processed_events", 0) == 0 &&
          txn.statements[0].find("(SELECT fk_current_tenant())") != std::string::npos &&
          txn.statements[0].find("ON CONFLICT DO NOTHING") != std::string::npos);
    CHECK(txn.params.size() == 1 &&
          txn.params[0][0] == std::string("2f0e3b8c-1d2e-4f5a-9b8c-7d6e5f4a3b2c"));
    // The same event again (a redelivery): recognised, not handled twice.
    ev.attempt = 2;
    CHECK_EQ(p.cb->handle_event(state, &args), FK_OK);
    CHECK(contains(self.logs, "duplicate delivery skipped"));
    CHECK(!contains(self.logs, "attempt=2"));
    ev.type = fk_str_c("hello.something.else");
    CHECK_EQ(p.cb->handle_event(state, &args), FK_OK);
    ev.type = fk_str_c("hello.greeting.created");
    ev.payload_json = fk_str_c("not json");
    CHECK_EQ(p.cb->handle_event(state, &args), FK_ERR_VALIDATION);
  }
  {
    Call c(&self, FK_METHOD_DELETE, route);  // not a registered method
    CHECK_EQ(run_request(p, state, c), FK_ERR_UNSUPPORTED);
    CHECK(c.response.error_status == 405);
  }
  p.cb->shutdown(state);
  dlclose(p.handle);
  return failures == 0 ? 0 : 1;
}

int scenario_load(const char* path, const char* expected_name) {
  Loaded p;
  if (!load(path, p)) return 1;
  if (expected_name != nullptr) CHECK_EQ(to_string(p.info->name), std::string(expected_name));
  const fk_host_api host = make_host();
  fk_plugin self;
  self.name = to_string(p.info->name);
  void* state = init_plugin(p, host, self, FK_OK);
  p.cb->shutdown(state);
  dlclose(p.handle);
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s cpp|c|hello|load <plugin.so> [expected-name]\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  int rc = 2;
  if (mode == "cpp") {
    rc = scenario_cpp(argv[2]);
  } else if (mode == "c") {
    rc = scenario_c(argv[2]);
  } else if (mode == "hello") {
    rc = scenario_hello(argv[2]);
  } else if (mode == "load") {
    rc = scenario_load(argv[2], argc > 3 ? argv[3] : nullptr);
  }
  if (failures != 0) std::fprintf(stderr, "harness: %d check(s) failed\n", failures);
  if (rc == 0) std::printf("harness %s: all checks passed\n", mode.c_str());
  return rc;
}
