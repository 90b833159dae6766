// ledger -- FinKernel's multi-tenant double-entry ledger, a plugin built
// against the installed SDK like any partner's.
//
// Division of labour (see docs/ledger.md):
//   * this file: routes, request shape checks and exact decimal -> minor unit
//     conversion (requests.hpp, money.hpp), one parameterized SQL call per
//     operation, the kernel audit record and the event of every change;
//   * migrations/*.sql: the business rules, as SQL functions running in the
//     request's tenant transaction under row-level security (balanced per
//     currency, open accounts, no-negative rule under row locks taken in id
//     order, idempotency, holds, statements, trial balance, export).
// One round trip per posting: no tenant round trip (the kernel sets it), no
// read-then-write race (the SQL function locks what it reads).
#include "requests.hpp"

// Only ABI 1.0 functions are required (newer ones are tested with
// FK_HOST_HAS), so the plugin loads on any 1.x kernel; manifest abi: "1.0".
#define FK_PLUGIN_REQUIRED_MINOR 0

#include <finkernel/fk_plugin.hpp>

#include "request_measure.hpp"  // after the SDK: it must not set the required minor

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#ifndef LEDGER_PLUGIN_VERSION
#error "LEDGER_PLUGIN_VERSION must be defined by the build (see CMakeLists.txt)"
#endif

namespace {

using fk::ledger::ApiError;
using fk::ledger::Parsed;
using fk::sdk::Error;
using fk::sdk::Method;
using fk::sdk::RequestContext;
using fk::sdk::Result;
using nlohmann::json;

// Events (manifest: events.publishes).
constexpr std::string_view kEntryPosted = "ledger.entry.posted";
constexpr std::string_view kEntryReversed = "ledger.entry.reversed";
constexpr std::string_view kHoldCreated = "ledger.hold.created";
constexpr std::string_view kHoldPosted = "ledger.hold.posted";
constexpr std::string_view kHoldVoided = "ledger.hold.voided";
constexpr std::string_view kHoldExpired = "ledger.hold.expired";

// Defaults of the manifest's config schema (used if the kernel has none).
constexpr int64_t kDefaultMaxEntryLines = 100;
constexpr int64_t kDefaultMaxBatchEntries = 1000;
constexpr int64_t kDefaultPageSize = 50;
constexpr int64_t kDefaultMaxPageSize = 500;
constexpr int64_t kDefaultExpireBatch = 500;

Error to_error(const ApiError& e) {
  const fk_status status = e.status == 404   ? FK_ERR_NOT_FOUND
                           : e.status == 409 ? FK_ERR_CONFLICT
                           : e.status == 422 ? FK_ERR_VALIDATION
                                             : FK_ERR_INVALID_ARGUMENT;
  return Error(status, e.message)
      .with_api_code(e.code)
      .with_http_status(e.status)
      .with_details(e.details.is_object() ? e.details.dump() : "{}");
}

// A business-rule refusal returned by a SQL function as
// {"error": {"status", "code", "message", "details"}}.
Error sql_refusal(const json& error) {
  ApiError e;
  e.status = error.value("status", 422u);
  e.code = error.value("code", std::string("VALIDATION_FAILED"));
  e.message = error.value("message", std::string("refused"));
  e.details = error.contains("details") ? error.at("details") : json::object();
  if (e.status < 400 || e.status > 499) e.status = 422;
  return to_error(e);
}

// The single jsonb (or text) value a `SELECT ledger_fn(...)` returned.
std::optional<std::string> single_value(const fk::sdk::Rows& rows) {
  if (rows.size() != 1 || rows.columns() != 1) return std::nullopt;
  const auto value = rows.get(0, 0u);
  if (!value) return std::nullopt;
  return std::string(*value);
}

// The jsonb a `SELECT ledger_fn(...)` returned in its first column (of
// `columns`); SQL NULL ("no such row") becomes JSON null.
json parse_sql_json(const fk::sdk::Rows& rows, const char* function, uint32_t columns = 1) {
  if (rows.size() != 1 || rows.columns() != columns) {
    throw fk::sdk::Exception(Error::internal(std::string(function) + " returned no row"));
  }
  const auto text = rows.get(0, 0u);
  if (!text) return json();
  json value = json::parse(*text, nullptr, false);
  if (value.is_discarded()) {
    throw fk::sdk::Exception(Error::internal(std::string(function) + " returned invalid JSON"));
  }
  return value;
}

class LedgerPlugin final : public fk::sdk::Plugin {
 public:
  LedgerPlugin() {
    route(Method::Post, "/v1/ledger/accounts", &LedgerPlugin::create_account);
    route(Method::Get, "/v1/ledger/accounts", &LedgerPlugin::list_accounts);
    route(Method::Get, "/v1/ledger/accounts/{id}", &LedgerPlugin::get_account);
    route(Method::Post, "/v1/ledger/accounts/{id}/close", &LedgerPlugin::close_account);
    route(Method::Get, "/v1/ledger/accounts/{id}/balance", &LedgerPlugin::account_balance);
    route(Method::Get, "/v1/ledger/accounts/{id}/statement", &LedgerPlugin::statement);
    route(Method::Post, "/v1/ledger/entries", &LedgerPlugin::post_entry);
    route(Method::Get, "/v1/ledger/entries", &LedgerPlugin::list_entries);
    route(Method::Get, "/v1/ledger/entries/{id}", &LedgerPlugin::get_entry);
    route(Method::Post, "/v1/ledger/entries/{id}/reverse", &LedgerPlugin::reverse_entry);
    route(Method::Post, "/v1/ledger/batches", &LedgerPlugin::post_batch);
    route(Method::Post, "/v1/ledger/holds", &LedgerPlugin::create_hold);
    route(Method::Get, "/v1/ledger/holds/{id}", &LedgerPlugin::get_hold);
    route(Method::Post, "/v1/ledger/holds/{id}/post", &LedgerPlugin::post_hold);
    route(Method::Post, "/v1/ledger/holds/{id}/void", &LedgerPlugin::void_hold);
    route(Method::Post, "/v1/ledger/maintenance/expire-holds", &LedgerPlugin::expire_holds);
    route(Method::Get, "/v1/ledger/trial-balance", &LedgerPlugin::trial_balance);
    route(Method::Get, "/v1/ledger/export", &LedgerPlugin::export_journal);
    // The money a posting moves, for maker-checker amount thresholds (ABI
    // 1.2, optional: a 1.0/1.1 kernel never asks). request_measure.hpp.
    measure(Method::Post, "/v1/ledger/entries", [](fk::sdk::MeasureContext& ctx) {
      return fk::ledger::measure_entry(ctx, kDefaultMaxEntryLines);
    });
    measure(Method::Post, "/v1/ledger/batches", [](fk::sdk::MeasureContext& ctx) {
      return fk::ledger::measure_batch(ctx, kDefaultMaxBatchEntries, kDefaultMaxEntryLines);
    });
    measure(Method::Post, "/v1/ledger/holds", [](fk::sdk::MeasureContext& ctx) {
      return fk::ledger::measure_hold(ctx, kDefaultMaxEntryLines);
    });
  }

  Result<void> on_init(fk::sdk::InitContext& ctx) override {
    ctx.log().info("ledger plugin ready", {{"version", LEDGER_PLUGIN_VERSION}});
    return {};
  }

 private:
  // ---- helpers -------------------------------------------------------------

  static int64_t config_int(const RequestContext& ctx, std::string_view key, int64_t fallback) {
    return ctx.config().get_int(key).value_or(fallback);
  }

  static Result<std::string> path_uuid(const RequestContext& ctx, std::string_view what) {
    const auto id = ctx.request().path_param("id");
    if (!id || !fk::ledger::is_uuid(*id)) {
      return Error::not_found("no such " + std::string(what))
          .with_api_code(std::string(what == "account" ? "ACCOUNT_NOT_FOUND"
                                     : what == "hold"  ? "HOLD_NOT_FOUND"
                                                       : "ENTRY_NOT_FOUND"));
    }
    return std::string(*id);
  }

  static Result<std::optional<std::string>> idempotency_key(const RequestContext& ctx) {
    const auto key = ctx.request().header("Idempotency-Key");
    if (!key) return std::optional<std::string>();
    if (auto e = fk::ledger::check_idempotency_key(*key)) return to_error(*e);
    return std::optional<std::string>(std::string(*key));
  }

  static Result<std::optional<std::string>> query_date(const RequestContext& ctx,
                                                       std::string_view name) {
    const auto raw = ctx.request().query(name);
    if (!raw) return std::optional<std::string>();
    if (!fk::ledger::is_date(*raw)) {
      return to_error(fk::ledger::field_error(std::string(name),
                                              std::string(name) + " must be a date YYYY-MM-DD"));
    }
    return std::optional<std::string>(std::string(*raw));
  }

  static Result<int64_t> page_limit(const RequestContext& ctx) {
    const Parsed p = fk::ledger::parse_limit(ctx.request().query("limit"),
                                             config_int(ctx, "default_page_size", kDefaultPageSize),
                                             config_int(ctx, "max_page_size", kDefaultMaxPageSize));
    if (p.error) return to_error(*p.error);
    return p.value.get<int64_t>();
  }

  // Runs `SELECT fn(...)` returning jsonb; a {"error": ...} value becomes
  // the 4xx Error (and the kernel rolls the transaction back).
  template <class... Args>
  static Result<json> call_json(const RequestContext& ctx, const char* function,
                                std::string_view sql, const Args&... args) {
    auto rows = ctx.tx().exec(sql, args...);
    if (!rows) return std::move(rows).error();
    json value = parse_sql_json(*rows, function);
    if (value.is_object() && value.contains("error")) return sql_refusal(value.at("error"));
    return value;
  }

  static void respond(RequestContext& ctx, uint32_t status, const json& data) {
    ctx.response().status(status).json(data.dump());
  }

  // The created/replayed answer of a write that supports Idempotency-Key.
  static void respond_write(RequestContext& ctx, const json& result) {
    const bool replayed = result.value("replayed", false);
    if (replayed) ctx.response().header("Idempotent-Replayed", "true");
    respond(ctx, replayed ? 200 : 201, result);
  }

  static void audit(const RequestContext& ctx, std::string_view action, std::string_view type,
                    const std::string& id, const json& details) {
    ctx.tx().audit({action, type, id, details.dump()}).value();
  }

  // The aggregate (the entry or the hold) orders deliveries per entity on
  // ABI 1.1 kernels; on 1.0 kernels the SDK falls back to publish(type,
  // payload), and the id is in the payload either way ("entryId"/"holdId").
  static void publish(const RequestContext& ctx, std::string_view type,
                      std::string_view aggregate_type, const std::string& aggregate_id,
                      const json& payload) {
    const std::string text = payload.dump();
    ctx.tx().publish(fk::sdk::EventSpec{type, aggregate_type, aggregate_id, text, 1}).value();
  }

  static json entry_summary(const json& entry) {
    json lines = json::array();
    for (std::size_t i = 0; i < entry.at("lines").size(); ++i) {
      const json& l = entry.at("lines")[i];
      lines.push_back({{"accountId", l.at("accountId")},
                       {"accountCode", l.at("accountCode")},
                       {"amount", l.at("amount")},
                       {"minor", l.at("minor")},
                       {"currency", l.at("currency")}});
    }
    return json{{"entryId", entry.at("id")},        {"kind", entry.at("kind")},
                {"date", entry.at("date")},         {"description", entry.at("description")},
                {"metadata", entry.at("metadata")}, {"lines", std::move(lines)}};
  }

  // ---- accounts ------------------------------------------------------------

  // POST /v1/ledger/accounts
  Result<void> create_account(RequestContext& ctx) {
    const Parsed req = fk::ledger::parse_account(ctx.request().body());
    if (req.error) return to_error(*req.error);
    const json result =
        call_json(ctx, "ledger_create_account", "SELECT ledger_create_account($1::jsonb, $2)",
                  req.value.dump(), ctx.tenant().principal())
            .value();
    const json& account = result.at("account");
    audit(ctx, "ledger.account.create", "account", account.at("id").get<std::string>(),
          {{"code", account.at("code")},
           {"type", account.at("type")},
           {"currency", account.at("currency")}});
    respond(ctx, 201, account);
    return {};
  }

  // GET /v1/ledger/accounts?type=&currency=&status=&parentId=&cursor=&limit=
  Result<void> list_accounts(RequestContext& ctx) {
    json filter = {{"limit", page_limit(ctx).value()}};
    for (const char* key : {"type", "currency", "status"}) {
      if (auto v = ctx.request().query(key)) filter[key] = std::string(*v);
    }
    if (auto v = ctx.request().query("parentId")) {
      if (!fk::ledger::is_uuid(*v)) {
        return to_error(fk::ledger::field_error("parentId", "parentId must be a UUID"));
      }
      filter["parentId"] = std::string(*v);
    }
    if (auto v = ctx.request().query("cursor")) filter["after"] = std::string(*v);
    const json page = call_json(ctx, "ledger_list_accounts",
                                "SELECT ledger_list_accounts($1::jsonb)", filter.dump())
                          .value();
    respond(ctx, 200, page);
    return {};
  }

  // GET /v1/ledger/accounts/{id}
  Result<void> get_account(RequestContext& ctx) {
    const std::string id = path_uuid(ctx, "account").value();
    const json account =
        call_json(ctx, "ledger_get_account", "SELECT ledger_get_account($1::uuid)", id).value();
    if (account.is_null())
      return Error::not_found("no such account").with_api_code("ACCOUNT_NOT_FOUND");
    respond(ctx, 200, account);
    return {};
  }

  // POST /v1/ledger/accounts/{id}/close
  Result<void> close_account(RequestContext& ctx) {
    const std::string id = path_uuid(ctx, "account").value();
    const json result =
        call_json(ctx, "ledger_close_account", "SELECT ledger_close_account($1::uuid, $2)", id,
                  ctx.tenant().principal())
            .value();
    audit(ctx, "ledger.account.close", "account", id, {{"code", result.at("account").at("code")}});
    respond(ctx, 200, result.at("account"));
    return {};
  }

  // GET /v1/ledger/accounts/{id}/balance?asOf=YYYY-MM-DD
  Result<void> account_balance(RequestContext& ctx) {
    const std::string id = path_uuid(ctx, "account").value();
    const auto as_of = query_date(ctx, "asOf").value();
    const json balance = call_json(ctx, "ledger_account_balance",
                                   "SELECT ledger_account_balance($1::uuid, $2::date)", id, as_of)
                             .value();
    if (balance.is_null())
      return Error::not_found("no such account").with_api_code("ACCOUNT_NOT_FOUND");
    respond(ctx, 200, balance);
    return {};
  }

  // GET /v1/ledger/accounts/{id}/statement?from=&to=&cursor=&limit=
  Result<void> statement(RequestContext& ctx) {
    const std::string id = path_uuid(ctx, "account").value();
    json filter = {{"limit", page_limit(ctx).value()}};
    for (const char* key : {"from", "to"}) {
      if (auto d = query_date(ctx, key).value()) filter[key] = *d;
    }
    if (auto cursor = ctx.request().query("cursor")) {
      // The statement's cursor is the last line's sequence number.
      if (cursor->empty() || cursor->size() > 18 ||
          cursor->find_first_not_of("0123456789") != std::string_view::npos) {
        return to_error(fk::ledger::field_error("cursor", "cursor is not one this API returned"));
      }
      filter["after"] = std::string(*cursor);
    }
    const json page = call_json(ctx, "ledger_statement",
                                "SELECT ledger_statement($1::uuid, $2::jsonb)", id, filter.dump())
                          .value();
    if (page.is_null())
      return Error::not_found("no such account").with_api_code("ACCOUNT_NOT_FOUND");
    respond(ctx, 200, page);
    return {};
  }

  // ---- entries -------------------------------------------------------------

  // POST /v1/ledger/entries  [Idempotency-Key]
  Result<void> post_entry(RequestContext& ctx) {
    const auto key = idempotency_key(ctx).value();
    const Parsed body = fk::ledger::parse_object(ctx.request().body());
    if (body.error) return to_error(*body.error);
    const Parsed req = fk::ledger::parse_entry(
        body.value,
        static_cast<std::size_t>(config_int(ctx, "max_entry_lines", kDefaultMaxEntryLines)));
    if (req.error) return to_error(*req.error);
    const json result =
        call_json(ctx, "ledger_post_entry", "SELECT ledger_post_entry($1::jsonb, $2, $3)",
                  req.value.dump(), key, ctx.tenant().principal())
            .value();
    const json& entry = result.at("entry");
    if (!result.value("replayed", false)) {
      const std::string id = entry.at("id").get<std::string>();
      audit(ctx, "ledger.entry.post", "entry", id,
            {{"lines", entry.at("lines").size()}, {"idempotencyKey", key ? json(*key) : json()}});
      publish(ctx, kEntryPosted, "entry", id, entry_summary(entry));
    }
    respond_write(ctx, result);
    return {};
  }

  // GET /v1/ledger/entries?from=&to=&accountId=&kind=&metadata={json}&cursor=&limit=
  Result<void> list_entries(RequestContext& ctx) {
    json filter = {{"limit", page_limit(ctx).value()}};
    for (const char* key : {"from", "to"}) {
      if (auto d = query_date(ctx, key).value()) filter[key] = *d;
    }
    if (auto v = ctx.request().query("accountId")) {
      if (!fk::ledger::is_uuid(*v)) {
        return to_error(fk::ledger::field_error("accountId", "accountId must be a UUID"));
      }
      filter["accountId"] = std::string(*v);
    }
    if (auto v = ctx.request().query("kind")) filter["kind"] = std::string(*v);
    if (auto v = ctx.request().query("metadata")) {
      json metadata = json::parse(*v, nullptr, false);
      if (metadata.is_discarded() || !metadata.is_object()) {
        return to_error(fk::ledger::field_error(
            "metadata", "metadata must be a JSON object the entries' metadata contains"));
      }
      filter["metadata"] = std::move(metadata);
    }
    if (auto v = ctx.request().query("cursor")) filter["before"] = std::string(*v);
    const json page = call_json(ctx, "ledger_list_entries", "SELECT ledger_list_entries($1::jsonb)",
                                filter.dump())
                          .value();
    respond(ctx, 200, page);
    return {};
  }

  // GET /v1/ledger/entries/{id}
  Result<void> get_entry(RequestContext& ctx) {
    const std::string id = path_uuid(ctx, "entry").value();
    const json entry =
        call_json(ctx, "ledger_get_entry", "SELECT ledger_get_entry($1::uuid)", id).value();
    if (entry.is_null()) return Error::not_found("no such entry").with_api_code("ENTRY_NOT_FOUND");
    respond(ctx, 200, entry);
    return {};
  }

  // POST /v1/ledger/entries/{id}/reverse  [Idempotency-Key]
  Result<void> reverse_entry(RequestContext& ctx) {
    const std::string id = path_uuid(ctx, "entry").value();
    const auto key = idempotency_key(ctx).value();
    const Parsed req = fk::ledger::parse_annotation(ctx.request().body());
    if (req.error) return to_error(*req.error);
    const json result = call_json(ctx, "ledger_reverse_entry",
                                  "SELECT ledger_reverse_entry($1::uuid, $2::jsonb, $3, $4)", id,
                                  req.value.dump(), key, ctx.tenant().principal())
                            .value();
    if (!result.value("replayed", false)) {
      const json& reversal = result.at("entry");
      audit(ctx, "ledger.entry.reverse", "entry", id, {{"reversalEntryId", reversal.at("id")}});
      json payload = entry_summary(reversal);
      payload["reversedEntryId"] = id;
      publish(ctx, kEntryReversed, "entry", reversal.at("id").get<std::string>(), payload);
    }
    respond_write(ctx, result);
    return {};
  }

  // POST /v1/ledger/batches {"mode": "atomic"|"independent", "entries": [...]}  [Idempotency-Key]
  Result<void> post_batch(RequestContext& ctx) {
    const auto key = idempotency_key(ctx).value();
    const Parsed req = fk::ledger::parse_batch(
        ctx.request().body(),
        static_cast<std::size_t>(config_int(ctx, "max_batch_entries", kDefaultMaxBatchEntries)),
        static_cast<std::size_t>(config_int(ctx, "max_entry_lines", kDefaultMaxEntryLines)));
    if (req.error) return to_error(*req.error);
    // Column 2: the posted entries' events as JSON Lines (migration 0008),
    // published below without being parsed here.
    const auto rows =
        ctx.tx()
            .exec(
                "SELECT b.r - 'events', ledger_batch_events(b.r) "
                "FROM ledger_post_batch_request($1::jsonb, $2::boolean, $3, $4) AS b(r)",
                req.value.at("entries").dump(), req.value.at("atomic").get<bool>(), key,
                ctx.tenant().principal())
            .value();
    const json result = parse_sql_json(rows, "ledger_post_batch_request", 2);
    if (!result.is_object()) return Error::internal("ledger_post_batch_request returned no object");
    if (result.contains("error")) return sql_refusal(result.at("error"));
    if (!result.value("replayed", false)) {
      json posted = json::array();
      const json& results = result.at("results");
      for (std::size_t i = 0; i < results.size(); ++i) {
        if (results[i].value("status", "") == "posted") posted.push_back(results[i].at("entryId"));
      }
      audit(ctx, "ledger.batch.post", "batch", "",
            {{"mode", req.value.at("atomic").get<bool>() ? "atomic" : "independent"},
             {"posted", result.at("posted")},
             {"failed", result.at("failed")},
             {"entryIds", posted}});
      // One event per posted entry, as if each had been posted alone.
      std::string_view events = rows.get(0, 1u).value_or("");
      while (!events.empty()) {
        const auto end = std::min(events.find('\n'), events.size());
        const std::string_view line = events.substr(0, end);
        const auto tab = line.find('\t');
        if (tab == std::string_view::npos) {
          return Error::internal("a batch event line has no entry id");
        }
        ctx.tx()
            .publish(fk::sdk::EventSpec{kEntryPosted, "entry", line.substr(0, tab),
                                        line.substr(tab + 1), 1})
            .value();
        events.remove_prefix(std::min(end + 1, events.size()));
      }
    }
    respond_write(ctx, result);
    return {};
  }

  // ---- holds ---------------------------------------------------------------

  // POST /v1/ledger/holds  [Idempotency-Key]
  Result<void> create_hold(RequestContext& ctx) {
    const auto key = idempotency_key(ctx).value();
    const Parsed body = fk::ledger::parse_object(ctx.request().body());
    if (body.error) return to_error(*body.error);
    const Parsed req = fk::ledger::parse_hold(
        body.value,
        static_cast<std::size_t>(config_int(ctx, "max_entry_lines", kDefaultMaxEntryLines)));
    if (req.error) return to_error(*req.error);
    const json result =
        call_json(ctx, "ledger_create_hold", "SELECT ledger_create_hold($1::jsonb, $2, $3)",
                  req.value.dump(), key, ctx.tenant().principal())
            .value();
    if (!result.value("replayed", false)) {
      const json& hold = result.at("hold");
      const std::string id = hold.at("id").get<std::string>();
      audit(ctx, "ledger.hold.create", "hold", id,
            {{"expiresAt", hold.at("hold").at("expiresAt")}});
      json payload = entry_summary(hold);
      payload["holdId"] = id;
      payload["expiresAt"] = hold.at("hold").at("expiresAt");
      publish(ctx, kHoldCreated, "hold", id, payload);
    }
    respond_write(ctx, result);
    return {};
  }

  // GET /v1/ledger/holds/{id}
  Result<void> get_hold(RequestContext& ctx) {
    const std::string id = path_uuid(ctx, "hold").value();
    const json hold =
        call_json(ctx, "ledger_get_hold", "SELECT ledger_get_hold($1::uuid)", id).value();
    if (hold.is_null()) return Error::not_found("no such hold").with_api_code("HOLD_NOT_FOUND");
    respond(ctx, 200, hold);
    return {};
  }

  // POST /v1/ledger/holds/{id}/post  [Idempotency-Key]
  Result<void> post_hold(RequestContext& ctx) {
    const std::string id = path_uuid(ctx, "hold").value();
    const auto key = idempotency_key(ctx).value();
    const Parsed req = fk::ledger::parse_annotation(ctx.request().body());
    if (req.error) return to_error(*req.error);
    const json result =
        call_json(ctx, "ledger_post_hold", "SELECT ledger_post_hold($1::uuid, $2::jsonb, $3, $4)",
                  id, req.value.dump(), key, ctx.tenant().principal())
            .value();
    if (!result.value("replayed", false)) {
      const json& entry = result.at("entry");
      audit(ctx, "ledger.hold.post", "hold", id, {{"entryId", entry.at("id")}});
      json payload = entry_summary(entry);
      payload["holdId"] = id;
      publish(ctx, kHoldPosted, "hold", id, payload);
      publish(ctx, kEntryPosted, "entry", entry.at("id").get<std::string>(), entry_summary(entry));
    }
    respond_write(ctx, result);
    return {};
  }

  // POST /v1/ledger/holds/{id}/void
  Result<void> void_hold(RequestContext& ctx) {
    const std::string id = path_uuid(ctx, "hold").value();
    const json result = call_json(ctx, "ledger_void_hold", "SELECT ledger_void_hold($1::uuid, $2)",
                                  id, ctx.tenant().principal())
                            .value();
    audit(ctx, "ledger.hold.void", "hold", id, json::object());
    publish(ctx, kHoldVoided, "hold", id, {{"holdId", id}, {"entryId", id}});
    respond(ctx, 200, result.at("hold"));
    return {};
  }

  // POST /v1/ledger/maintenance/expire-holds?limit=N
  Result<void> expire_holds(RequestContext& ctx) {
    const Parsed limit = fk::ledger::parse_limit(
        ctx.request().query("limit"), config_int(ctx, "expire_batch", kDefaultExpireBatch), 10000);
    if (limit.error) return to_error(*limit.error);
    const json result =
        call_json(ctx, "ledger_expire_holds", "SELECT ledger_expire_holds($1::int, $2)",
                  limit.value.get<int64_t>(), ctx.tenant().principal())
            .value();
    const json& expired = result.at("expired");
    if (!expired.empty()) {
      audit(ctx, "ledger.hold.expire", "hold", "", {{"holdIds", expired}});
      for (std::size_t i = 0; i < expired.size(); ++i) {
        const std::string hold_id = expired[i].get<std::string>();
        publish(ctx, kHoldExpired, "hold", hold_id, {{"holdId", hold_id}, {"entryId", hold_id}});
      }
    }
    respond(ctx, 200, result);
    return {};
  }

  // ---- reports -------------------------------------------------------------

  // GET /v1/ledger/trial-balance?asOf=YYYY-MM-DD
  Result<void> trial_balance(RequestContext& ctx) {
    const auto as_of = query_date(ctx, "asOf").value();
    const json report =
        call_json(ctx, "ledger_trial_balance", "SELECT ledger_trial_balance($1::date)", as_of)
            .value();
    respond(ctx, 200, report);
    return {};
  }

  // GET /v1/ledger/export?from=&to=  -> text/plain ledger-cli journal
  Result<void> export_journal(RequestContext& ctx) {
    const auto from = query_date(ctx, "from").value();
    const auto to = query_date(ctx, "to").value();
    auto rows = ctx.tx().exec("SELECT ledger_export_journal($1::date, $2::date)", from, to).value();
    const auto journal = single_value(rows);
    if (!journal) return Error::internal("ledger_export_journal returned no value");
    ctx.response().body("text/plain; charset=utf-8", *journal);
    return {};
  }
};

}  // namespace

FK_CPP_PLUGIN(LedgerPlugin, "ledger", LEDGER_PLUGIN_VERSION)
