#include "plugins/request_measure.hpp"

#include "approvals/decimal_amount.hpp"
#include "http/api_error.hpp"
#include "http/query_string.hpp"
#include "log/json_log.hpp"
#include "plugins/plugin_host.hpp"

#include <memory>
#include <string_view>

namespace fk::plugins {

namespace {

uint32_t method_code(const std::string& method) {
  if (method == "GET") return FK_METHOD_GET;
  if (method == "POST") return FK_METHOD_POST;
  if (method == "PUT") return FK_METHOD_PUT;
  if (method == "PATCH") return FK_METHOD_PATCH;
  if (method == "DELETE") return FK_METHOD_DELETE;
  if (method == "HEAD") return FK_METHOD_HEAD;
  if (method == "OPTIONS") return FK_METHOD_OPTIONS;
  return FK_METHOD_UNKNOWN;
}

// Credentials never reach plugin code (fk_plugin.h, request_header).
bool credential_header(const std::string& lower_name) {
  return lower_name == "authorization" || lower_name == "cookie" || lower_name == "x-api-key" ||
         lower_name == "proxy-authorization";
}

bool currency_code(std::string_view code) {
  if (code.size() != 3) return false;
  for (char c : code) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

std::string_view view(fk_str s) {
  return s.data == nullptr ? std::string_view() : std::string_view(s.data, s.len);
}

}  // namespace

void describe_request(CallFrame& frame, const ManifestRoute& route,
                      const api::RequestContext& context) {
  const http::Request& request = context.request();
  frame.request.method = method_code(request.method);
  frame.request.path = http::percent_decode(request.path, false);
  frame.request.route = route.path;
  frame.request.body = request.body;
  for (const auto& [name, value] : request.headers) {
    if (!credential_header(name)) frame.request.headers.emplace_back(name, value);
  }
  for (const auto& [name, value] : context.params()) {
    frame.request.path_params.emplace(name, http::percent_decode(value, false));
  }
  frame.request.query = http::parse_query(request.query);

  fk_tenant_ctx& ctx = frame.ctx;
  ctx.tenant_id = context.tenant_id();
  ctx.request_id = context.request_id();
  ctx.client_address = request.remote_address;
  if (!context.api_key_id().empty()) {
    ctx.principal = "apikey:" + context.api_key_id();
    ctx.actor_type = "api_key";
    ctx.actor_id = context.api_key_id();
  } else if (!context.user_id().empty()) {
    ctx.principal = "user:" + context.user_id();
    ctx.actor_type = "user";
    ctx.actor_id = context.user_id();
  } else {
    ctx.principal = "dev";  // the dev_mode caller, who holds every permission
    ctx.actor_type = "system";
    ctx.actor_id = "dev_mode";
    ctx.all_permissions = true;
  }
  ctx.permissions = context.permissions();
}

fk_status measure_add_amount(fk_measure_sink* sink, fk_str currency, fk_str amount) noexcept {
  if (sink == nullptr) return FK_ERR_INVALID_ARGUMENT;
  try {
    const std::string_view code = view(currency);
    const auto parsed = approvals::DecimalAmount::parse(view(amount));
    if (!currency_code(code) || !parsed) {
      if (sink->refusal.empty()) {
        sink->refusal = "add_amount refused currency \"" + std::string(code.substr(0, 16)) +
                        "\" amount \"" + std::string(view(amount).substr(0, 40)) + "\"";
      }
      return FK_ERR_INVALID_ARGUMENT;
    }
    std::string& total = sink->totals[std::string(code)];
    total = total.empty() ? parsed->text()
                          : approvals::DecimalAmount::parse(total)->plus(*parsed).text();
    return FK_OK;
  } catch (...) {
    return FK_ERR_INTERNAL;
  }
}

std::optional<api::Route::Amounts> PluginHost::measure_request(LoadedPlugin& plugin,
                                                               const ManifestRoute& route,
                                                               api::RequestContext& context) {
  // A plugin built before ABI 1.2 has a shorter callbacks table: LoadedPlugin
  // copied it within its struct_size and zero-filled the rest, so the member
  // reads NULL here ("cannot measure").
  if (plugin.callbacks().measure_request == nullptr) return std::nullopt;

  // Not enabled for this tenant: as if the route did not exist (as handle_request).
  const TenantPlugin state = enablement_.get(context.db(), context.tenant_id(), plugin.name());
  if (!state.enabled) {
    throw http::ApiError(404, "NOT_FOUND",
                         "no route for " + context.request().method + " " + context.request().path);
  }
  auto frame = std::make_shared<CallFrame>();
  describe_request(*frame, route, context);
  frame->ctx.config = effective_config(plugin.manifest(), plugin.platform_config, state.config);
  frame->ctx.plugin = &plugin;
  frame->ctx.txn = &frame->txn;
  // No transaction for the plugin: measuring reads the request only. The
  // empty slot is what a late callback is cut off from at the deadline.
  frame->txn.slot = std::make_shared<TransactionSlot>(nullptr);
  frame->txn.audit_records = &frame->audit_records;
  frame->txn.plugin = &plugin;
  frame->txn.ctx = &frame->ctx;
  frame->txn.host = this;

  auto sink = std::make_shared<fk_measure_sink>();
  fk_status status = FK_ERR_INTERNAL;
  const bool in_time = run_with_deadline(
      frame,
      [sink](CallFrame& call) {
        fk_measure_args args{};
        args.struct_size = sizeof args;
        args.method = call.request.method;
        args.route = fk_str{call.request.route.data(), call.request.route.size()};
        args.request = &call.request;
        args.tenant = &call.ctx;
        args.sink = sink.get();
        args.add_amount = &measure_add_amount;
        LoadedPlugin& target = *call.txn.plugin;
        return target.callbacks().measure_request(target.state(), &args);
      },
      status);
  if (!in_time) {
    throw http::ApiError(503, "TIMEOUT", "the request did not complete within its deadline");
  }
  if (status != FK_OK || !sink->refusal.empty()) {
    log::info("plugin could not measure the request; the approval rule applies",
              {{"plugin", plugin.name()},
               {"requestId", context.request_id()},
               {"route", route.path},
               {"status", status},
               {"refusal", sink->refusal}});
    return std::nullopt;
  }
  return sink->totals;
}

}  // namespace fk::plugins
