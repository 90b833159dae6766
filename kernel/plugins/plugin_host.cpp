#include "plugins/plugin_host.hpp"

#include "audit/audit_log.hpp"
#include "db/migrator.hpp"
#include "events/outbox.hpp"
#include "http/api_error.hpp"
#include "http/query_string.hpp"
#include "log/json_log.hpp"
#include "plugins/host_api.hpp"
#include "plugins/package/package_signature.hpp"
#include "plugins/plugin_schema.hpp"
#include "plugins/request_measure.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace fk::plugins {
namespace {

constexpr int kMaxCallDepth = 8;

// The deadline passed and the transaction was taken away.
struct Abandoned {};

fk_str str(const std::string& s) {
  return fk_str{s.data(), s.size()};
}

// Runs `body` with the call's transaction, unless its deadline took it.
template <class Body>
auto with_work(fk_txn& txn, Body&& body) {
  std::lock_guard lock(txn.slot->mutex);
  if (txn.slot->work == nullptr) throw Abandoned{};
  return body(*txn.slot->work);
}

void link(CallFrame& frame, LoadedPlugin& plugin, PluginHost& host,
          std::shared_ptr<TransactionSlot> slot) {
  frame.txn.slot = std::move(slot);
  frame.txn.audit_records = &frame.audit_records;
  frame.txn.events = &frame.events;
  frame.txn.plugin = &plugin;
  frame.txn.ctx = &frame.ctx;
  frame.txn.host = &host;
  frame.ctx.plugin = &plugin;
  frame.ctx.txn = &frame.txn;
}

// What an error reply of a plugin becomes for the client. 5xx texts stay in
// the log: they may carry internals.
http::ApiError plugin_error(const LoadedPlugin& plugin, fk_status status,
                            const fk_response& response, const std::string& request_id) {
  int http_status = response.status;
  std::string code = response.error_code;
  std::string message = response.error_message;
  nlohmann::json details = response.error_details;
  if (!response.is_error) {
    http_status = status != FK_OK ? http_status_of(status) : response.status;
    code = status != FK_OK ? error_code_of(status) : "PLUGIN_ERROR";
    message = "the request was refused";
    const auto data = nlohmann::json::parse(response.json, nullptr, false);
    details = data.is_object() ? data : nlohmann::json::object();
  }
  if (http_status >= 500) {
    log::error("plugin request failed", {{"plugin", plugin.name()},
                                         {"requestId", request_id},
                                         {"status", status},
                                         {"code", code},
                                         {"message", message}});
    return http::ApiError(
        http_status, http_status == 503 ? code : "INTERNAL_ERROR",
        http_status == 503 ? "the service is temporarily unavailable" : "internal error");
  }
  return http::ApiError(http_status, code.empty() ? "PLUGIN_ERROR" : code, message, details);
}

fk_status status_for_http(int http_status) {
  switch (http_status) {
    case 400:
      return FK_ERR_INVALID_ARGUMENT;
    case 403:
      return FK_ERR_PERMISSION_DENIED;
    case 404:
      return FK_ERR_NOT_FOUND;
    case 409:
      return FK_ERR_CONFLICT;
    case 422:
      return FK_ERR_VALIDATION;
    case 503:
      return FK_ERR_UNAVAILABLE;
    default:
      return http_status >= 500 ? FK_ERR_INTERNAL : FK_ERR_INVALID_ARGUMENT;
  }
}

}  // namespace

PluginHost::PluginHost(PluginHostOptions options, db::ConnectionPool& pool,
                       keys::TenantKeyService* keys)
    : options_(std::move(options)),
      pool_(pool),
      keys_(keys),
      enablement_(options_.enablement_ttl),
      executor_(std::make_unique<CallExecutor>(options_.workers)) {}

PluginHost::~PluginHost() {
  // No callback may run once a library is gone: workers first, then
  // shutdown + unload, last loaded first (dependents before dependencies).
  executor_.reset();
  while (!plugins_.empty()) plugins_.pop_back();
}

void PluginHost::load_all() {
  if (options_.plugins_dir.empty() || !std::filesystem::is_directory(options_.plugins_dir)) return;
  std::vector<std::filesystem::path> pending;
  for (const auto& entry : std::filesystem::directory_iterator(options_.plugins_dir)) {
    if (entry.is_directory()) pending.push_back(entry.path());
  }
  std::sort(pending.begin(), pending.end());
  // Dependencies first: repeat passes while one loads; what is left waits
  // for a plugin that never loaded.
  std::map<std::filesystem::path, std::string> last_error;
  bool progress = true;
  while (progress && !pending.empty()) {
    progress = false;
    for (auto it = pending.begin(); it != pending.end();) {
      try {
        load(*it);
        it = pending.erase(it);
        progress = true;
      } catch (const std::exception& e) {
        last_error[*it] = e.what();
        ++it;
      }
    }
  }
  for (const auto& dir : pending) {
    PluginStatus status;
    status.name = dir.filename().string();
    status.directory = dir.string();
    status.state = "refused";
    status.reason = last_error[dir];
    log::error("plugin refused", {{"directory", status.directory}, {"reason", status.reason}});
    statuses_.push_back(std::move(status));
  }
}

void PluginHost::load(const std::filesystem::path& package_dir) {
  const auto trusted = load_trusted_publishers(options_.publishers_file);
  VerifiedPackage package = read_verified_package(package_dir, trusted, options_.require_signature);
  const PluginManifest& manifest = package.manifest;
  if (find(manifest.name) != nullptr) {
    throw PluginLoadError("plugin " + manifest.name + " is loaded twice (second copy in " +
                          package_dir.string() + ")");
  }
  for (const auto& dependency : manifest.depends_on) {
    if (find(dependency.plugin) == nullptr) {
      throw PluginLoadError("plugin " + manifest.name + " depends on " + dependency.plugin +
                            ", which is not loaded");
    }
  }
  if (!package.signed_ok) {
    log::warn("loading an unsigned plugin because dev_mode is on",
              {{"plugin", manifest.name}, {"reason", package.unsigned_reason}});
  }
  auto plugin = std::make_unique<LoadedPlugin>(manifest, package.library_bytes, package_dir);

  std::vector<db::MigrationSource> migrations;
  for (const auto& migration : package.migrations) {
    migrations.push_back(db::MigrationSource{migration.path, migration.sql});
  }
  migrate_plugin(options_.owner_url, manifest.name, migrations);

  {
    auto connection = pool_.acquire();
    pqxx::read_transaction tx(connection.get());
    const auto rows = tx.exec_params(
        "SELECT config::text FROM fk_plugin_settings WHERE plugin = $1", manifest.name);
    if (!rows.empty()) {
      plugin->platform_config = nlohmann::json::parse(rows[0][0].as<std::string>());
      validate_plugin_config(manifest, plugin->platform_config);
    }
  }
  plugin->initialize(host_api_table());

  PluginStatus status;
  status.name = manifest.name;
  status.version = manifest.version;
  status.directory = package_dir.string();
  status.state = "loaded";
  status.publisher = package.publisher;
  status.signature_verified = package.signed_ok;
  statuses_.push_back(std::move(status));
  log::info("plugin loaded", {{"plugin", manifest.name},
                              {"version", manifest.version},
                              {"signed", package.signed_ok},
                              {"routes", manifest.routes.size()}});
  plugins_.push_back(std::move(plugin));
}

LoadedPlugin* PluginHost::find(std::string_view name) const {
  for (const auto& plugin : plugins_) {
    if (plugin->name() == name) return plugin.get();
  }
  return nullptr;
}

authz::RbacPolicy::PermissionMap PluginHost::permissions() const {
  authz::RbacPolicy::PermissionMap all;
  for (const auto& plugin : plugins_) {
    for (const auto& [name, description] : plugin->manifest().permissions) all[name] = description;
  }
  return all;
}

std::vector<api::Route> PluginHost::routes() {
  std::vector<api::Route> routes;
  for (const auto& plugin : plugins_) {
    for (const auto& route : plugin->manifest().routes) {
      LoadedPlugin* target = plugin.get();
      routes.emplace_back(route.method, route.path, api::Scope::tenant, route.permission,
                          [this, target, route](api::RequestContext& context) {
                            return handle_request(*target, route, context);
                          });
      routes.back().measure = [this, target, route](api::RequestContext& context) {
        return measure_request(*target, route, context);
      };
    }
  }
  return routes;
}

std::optional<TenantPlugin> PluginHost::ready_for_tenant(LoadedPlugin& plugin, fk_txn& txn) {
  const std::string& tenant = txn.ctx->tenant_id;
  TenantPlugin state =
      with_work(txn, [&](auto& work) { return enablement_.get(work, tenant, plugin.name()); });
  if (!state.enabled) return std::nullopt;
  if (state.installed_version == plugin.manifest().version) return state;

  // First use of this version by the tenant: its code migration, once (the
  // row lock makes concurrent first requests wait for the first one).
  const std::string from = with_work(txn, [&](auto& work) {
    return work
        .exec_params1(
            "SELECT coalesce(installed_version, '') FROM fk_plugin_tenants WHERE plugin = $1 "
            "FOR UPDATE",
            plugin.name())[0]
        .template as<std::string>();
  });
  if (from != plugin.manifest().version) {
    if (plugin.callbacks().migrate != nullptr) {
      fk_tenant_ctx system = *txn.ctx;
      system.principal = "system";
      system.actor_type = "system";
      system.actor_id.clear();
      fk_migrate_args args{};
      args.struct_size = sizeof args;
      args.from_version = str(from);
      args.to_version = str(plugin.manifest().version);
      args.tenant = &system;
      args.txn = &txn;
      fk_status status = FK_ERR_INTERNAL;
      try {
        status = plugin.callbacks().migrate(plugin.state(), &args);
      } catch (...) {
        status = FK_ERR_INTERNAL;
      }
      if (status != FK_OK || txn.slot->failed) {
        log::error("plugin migrate failed for tenant",
                   {{"plugin", plugin.name()}, {"tenantId", tenant}, {"status", status}});
        throw http::ApiError(503, "PLUGIN_NOT_READY",
                             "the plugin could not be prepared for this tenant");
      }
    }
    with_work(txn, [&](auto& work) {
      record_installed_version(work, plugin.name(), plugin.manifest().version);
      return 0;
    });
  }
  enablement_.forget(tenant, plugin.name());
  state.installed_version = plugin.manifest().version;
  return state;
}

bool PluginHost::run_with_deadline(const std::shared_ptr<CallFrame>& frame,
                                   std::function<fk_status(CallFrame&)> callback,
                                   fk_status& status) {
  auto result = std::make_shared<fk_status>(FK_ERR_INTERNAL);
  const std::string plugin = frame->txn.plugin->name();
  const bool in_time = executor_->run(
      [frame, callback = std::move(callback), result, plugin] {
        try {
          *result = callback(*frame);
        } catch (...) {
          // Only a plugin breaking the ABI's no-exceptions rule gets here.
          log::error("an exception escaped a plugin callback", {{"plugin", plugin}});
          *result = FK_ERR_INTERNAL;
        }
      },
      options_.deadline);
  if (!in_time) {
    std::lock_guard lock(frame->txn.slot->mutex);
    frame->txn.slot->work = nullptr;  // the late callback can no longer touch it
    log::error("plugin callback missed its deadline",
               {{"plugin", plugin}, {"deadlineMs", options_.deadline.count()}});
    return false;
  }
  status = *result;
  return true;
}

api::Reply PluginHost::handle_request(LoadedPlugin& plugin, const ManifestRoute& route,
                                      api::RequestContext& context) {
  auto frame = std::make_shared<CallFrame>();
  const http::Request& request = context.request();
  describe_request(*frame, route, context);
  fk_tenant_ctx& ctx = frame->ctx;
  link(*frame, plugin, *this, std::make_shared<TransactionSlot>(&context.db()));

  std::optional<TenantPlugin> state;
  try {
    state = ready_for_tenant(plugin, frame->txn);
  } catch (const Abandoned&) {
    throw http::ApiError(503, "TIMEOUT", "the request ran out of time");
  }
  if (!state) {
    // Not enabled for this tenant: as if the route did not exist.
    throw http::ApiError(404, "NOT_FOUND", "no route for " + request.method + " " + request.path);
  }
  ctx.config = effective_config(plugin.manifest(), plugin.platform_config, state->config);

  fk_status status = FK_ERR_INTERNAL;
  const bool in_time = run_with_deadline(
      frame,
      [](CallFrame& call) {
        fk_request_args args{};
        args.struct_size = sizeof args;
        args.request = &call.request;
        args.response = &call.response;
        args.tenant = &call.ctx;
        args.txn = &call.txn;
        LoadedPlugin& target = *call.txn.plugin;
        return target.callbacks().handle_request(target.state(), &args);
      },
      status);
  if (!in_time) {
    throw http::ApiError(503, "TIMEOUT", "the request did not complete within its deadline");
  }
  const fk_response& response = frame->response;
  if (status == FK_OK && response.status < 400 && frame->txn.slot->failed) {
    // A statement failed and the plugin carried on: the transaction is
    // aborted in PostgreSQL and cannot commit what the plugin believes.
    log::error("plugin ignored a failed statement", {{"plugin", plugin.name()}});
    status = FK_ERR_INTERNAL;
  }
  if (status != FK_OK || response.status >= 400) {
    throw plugin_error(plugin, status, response, context.request_id());
  }
  for (auto& record : frame->audit_records) context.defer_audit(std::move(record));
  for (auto& event : frame->events) context.defer_event(std::move(event));
  api::Reply reply;
  reply.status = response.status;
  if (!response.raw_content_type.empty()) {
    reply.raw_content_type = response.raw_content_type;
    reply.raw_body = response.raw_body;
  } else {
    reply.data = nlohmann::json::parse(response.json);
  }
  reply.headers = response.headers;
  return reply;
}

fk_status PluginHost::publish(fk_txn& txn, const PublishSpec& spec, std::string& code,
                              std::string& message) {
  const PluginManifest& manifest = txn.plugin->manifest();
  if (std::find(manifest.publishes.begin(), manifest.publishes.end(), spec.type) ==
      manifest.publishes.end()) {
    code = "EVENT_NOT_DECLARED";
    message = "event type \"" + spec.type + "\" is not listed under events.publishes";
    return FK_ERR_PERMISSION_DENIED;
  }
  if (spec.version < 1) {
    code = "INVALID_EVENT";
    message = "an event's version must be at least 1";
    return FK_ERR_INVALID_ARGUMENT;
  }
  try {
    return with_work(txn, [&](auto& work) {
      std::vector<std::string> subscribers;
      for (const auto& name : subscribers_of(spec.type)) {
        if (enablement_.get(work, txn.ctx->tenant_id, name).enabled) subscribers.push_back(name);
      }
      events::EventToPublish event;
      event.source = manifest.name;
      event.type = spec.type;
      event.aggregate_type = spec.aggregate_type;
      event.aggregate_id = spec.aggregate_id;
      event.payload_json = spec.payload_json;
      event.version = spec.version;
      event.principal = txn.ctx->principal;
      event.correlation_id = txn.ctx->request_id;
      event.causation_id = txn.ctx->causation_id;
      // Written with the transaction's commit, with the others (a batch's
      // events are one statement); checked now (prepare: the payload is one
      // JSON object), so the plugin hears of a mistake.
      if (txn.events == nullptr) return FK_ERR_INTERNAL;
      try {
        txn.events->push_back(events::prepare(std::move(event), subscribers));
      } catch (const std::invalid_argument& e) {
        code = "INVALID_EVENT";
        message = e.what();
        return FK_ERR_INVALID_ARGUMENT;
      }
      return FK_OK;
    });
  } catch (const Abandoned&) {
    code = "DEADLINE_EXCEEDED";
    message = "the call's deadline has passed";
    return FK_ERR_TIMEOUT;
  } catch (const pqxx::sql_error& e) {
    txn.slot->failed = true;
    code = e.sqlstate();
    message = e.what();
    return FK_ERR_DB;
  }
}

fk_status PluginHost::call(fk_txn& txn, std::string_view plugin_name, std::string_view method,
                           std::string_view request_json, std::string& reply, std::string& code,
                           std::string& message) {
  const LoadedPlugin& caller = *txn.plugin;
  const auto& allowed = caller.manifest().calls;
  const bool listed = std::any_of(allowed.begin(), allowed.end(), [&](const PluginCall& c) {
    return c.plugin == plugin_name && c.method == method;
  });
  const std::string target_name(plugin_name);
  const std::string what = target_name + "." + std::string(method);
  if (!listed) {
    code = "CALL_NOT_DECLARED";
    message = "plugin " + caller.name() + " may not call " + what +
              ": it is not listed under calls in its manifest";
    return FK_ERR_PERMISSION_DENIED;
  }
  LoadedPlugin* target = find(plugin_name);
  const bool exported = target != nullptr && std::find(target->manifest().exports.begin(),
                                                       target->manifest().exports.end(),
                                                       method) != target->manifest().exports.end();
  if (!exported) {
    code = "NO_SUCH_METHOD";
    message = what + " is not loaded or not exported";
    return FK_ERR_NOT_FOUND;
  }
  if (txn.call_depth >= kMaxCallDepth) {
    code = "CALL_DEPTH";
    message = "plugin calls nested deeper than " + std::to_string(kMaxCallDepth);
    return FK_ERR_PERMISSION_DENIED;
  }
  if (!nlohmann::json::accept(request_json)) {
    code = "INVALID_JSON";
    message = "the call's request is not JSON";
    return FK_ERR_INVALID_ARGUMENT;
  }

  // The callee acts for the same principal with the same permissions (never
  // more), in the same transaction and under the same deadline.
  CallFrame frame;
  frame.ctx = *txn.ctx;
  link(frame, *target, *this, txn.slot);
  frame.txn.audit_records = txn.audit_records;  // one list per call chain
  frame.txn.events = txn.events;
  frame.txn.call_depth = txn.call_depth + 1;
  try {
    const auto state = ready_for_tenant(*target, frame.txn);
    if (!state) {
      code = "PLUGIN_DISABLED";
      message = "plugin " + target_name + " is not enabled for this tenant";
      return FK_ERR_NOT_FOUND;
    }
    frame.ctx.config = effective_config(target->manifest(), target->platform_config, state->config);
  } catch (const Abandoned&) {
    code = "DEADLINE_EXCEEDED";
    message = "the call's deadline has passed";
    return FK_ERR_TIMEOUT;
  }
  const std::string caller_name = caller.name();
  const std::string method_name(method);
  const std::string request(request_json);
  fk_call_args args{};
  args.struct_size = sizeof args;
  args.caller = str(caller_name);
  args.method = str(method_name);
  args.request_json = str(request);
  args.tenant = &frame.ctx;
  args.txn = &frame.txn;
  args.reply = &frame.response;
  fk_status status = FK_ERR_INTERNAL;
  try {
    status = target->callbacks().handle_call(target->state(), &args);
  } catch (...) {
    log::error("an exception escaped a plugin callback", {{"plugin", target_name}});
    status = FK_ERR_INTERNAL;
  }
  if (status == FK_OK && frame.response.is_error) status = status_for_http(frame.response.status);
  if (status == FK_OK && frame.txn.slot->failed) status = FK_ERR_INTERNAL;
  if (status != FK_OK) {
    code = frame.response.is_error ? frame.response.error_code : error_code_of(status);
    message = frame.response.is_error ? frame.response.error_message : what + " failed";
    return status;
  }
  reply = frame.response.json;
  return FK_OK;
}

std::vector<std::string> PluginHost::subscribers_of(const std::string& type) const {
  std::vector<std::string> names;
  for (const auto& plugin : plugins_) {
    const auto& subscribes = plugin->manifest().subscribes;
    if (std::find(subscribes.begin(), subscribes.end(), type) != subscribes.end()) {
      names.push_back(plugin->name());
    }
  }
  return names;
}

events::DeliveryOutcome PluginHost::deliver(const std::string& subscriber, pqxx::dbtransaction& tx,
                                            const std::string& tenant_id,
                                            const events::DeliveredEvent& event) {
  LoadedPlugin* plugin = find(subscriber);
  if (plugin == nullptr) return {false, "subscriber " + subscriber + " is not loaded"};
  auto frame = std::make_shared<CallFrame>();
  fk_tenant_ctx& ctx = frame->ctx;
  ctx.tenant_id = tenant_id;
  ctx.principal = "system";
  ctx.actor_type = "system";
  ctx.request_id = event.correlation_id;
  ctx.causation_id = event.id;
  // Events act for the platform within the plugin's own permissions.
  for (const auto& [name, description] : plugin->manifest().permissions) {
    ctx.permissions.insert(name);
  }
  link(*frame, *plugin, *this, std::make_shared<TransactionSlot>(&tx));
  try {
    const auto state = ready_for_tenant(*plugin, frame->txn);
    if (!state) return {true, ""};  // disabled since publication: nothing to deliver
    ctx.config = effective_config(plugin->manifest(), plugin->platform_config, state->config);
  } catch (const std::exception& e) {
    return {false, e.what()};
  }

  // Strings the fk_event points into live in the frame-owned copy.
  auto owned = std::make_shared<events::DeliveredEvent>(event);
  fk_status status = FK_ERR_INTERNAL;
  const bool in_time = run_with_deadline(
      frame,
      [owned](CallFrame& call) {
        fk_event delivered{};
        delivered.struct_size = sizeof delivered;
        delivered.attempt = static_cast<uint32_t>(owned->attempt);
        delivered.id = str(owned->id);
        delivered.type = str(owned->type);
        delivered.source = str(owned->source);
        delivered.payload_json = str(owned->payload_json);
        delivered.occurred_at_ms = owned->occurred_at_ms;
        delivered.aggregate_type = str(owned->aggregate_type);
        delivered.aggregate_id = str(owned->aggregate_id);
        delivered.correlation_id = str(owned->correlation_id);
        delivered.causation_id = str(owned->causation_id);
        delivered.version = static_cast<uint32_t>(owned->version);
        fk_event_args args{};
        args.struct_size = sizeof args;
        args.event = &delivered;
        args.tenant = &call.ctx;
        args.txn = &call.txn;
        LoadedPlugin& target = *call.txn.plugin;
        return target.callbacks().handle_event(target.state(), &args);
      },
      status);
  if (!in_time) return {false, "the handler missed its deadline"};
  if (status == FK_OK && frame->txn.slot->failed) return {false, "a statement failed"};
  if (status != FK_OK) {
    return {false, std::string("handle_event returned ") + error_code_of(status)};
  }
  try {
    events::publish_all(tx, tenant_id, frame->events);
  } catch (const std::exception& e) {
    return {false, std::string("publishing its events failed: ") + e.what()};
  }
  if (!frame->audit_records.empty()) {
    try {
      audit::append_all(tx, frame->audit_records);
    } catch (const std::exception& e) {
      return {false, std::string("audit append failed: ") + e.what()};
    }
  }
  return {true, ""};
}

}  // namespace fk::plugins
