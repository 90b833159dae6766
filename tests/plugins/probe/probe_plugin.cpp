// probe -- the kernel's test plugin: one route per behaviour the plugin
// host must handle (tests/integration/plugins_test.cpp drives it over HTTP).
#include <finkernel/fk_plugin.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

using fk::sdk::Error;
using fk::sdk::EventContext;
using fk::sdk::Method;
using fk::sdk::RequestContext;
using fk::sdk::Result;
using nlohmann::json;

class ProbePlugin final : public fk::sdk::Plugin {
 public:
  ProbePlugin() {
    route(Method::Get, "/v1/probe/ping", &ProbePlugin::ping);
    route(Method::Post, "/v1/probe/items", &ProbePlugin::create_item);
    route(Method::Get, "/v1/probe/items", &ProbePlugin::list_items);
    route(Method::Get, "/v1/probe/seen/{item}", &ProbePlugin::seen);
    route(Method::Get, "/v1/probe/throw", &ProbePlugin::throws);
    route(Method::Get, "/v1/probe/error", &ProbePlugin::error);
    route(Method::Get, "/v1/probe/sleep", &ProbePlugin::sleep);
    route(Method::Post, "/v1/probe/sql", &ProbePlugin::sql);
    route(Method::Post, "/v1/probe/call", &ProbePlugin::call_peer);
    route(Method::Post, "/v1/probe/secret", &ProbePlugin::secret);
  }

  // Records each delivery of probe.item.created once; an item created with
  // "fail": true makes its handler fail, to exercise retries and dead letters.
  Result<void> on_event(EventContext& ctx) override {
    const json payload = json::parse(ctx.event().payload_json, nullptr, false);
    if (payload.value("fail", false)) {
      // Fails until an item named "fixed" exists (then a replay succeeds).
      auto fixed = ctx.tx().exec("SELECT 1 FROM probe_items WHERE name = 'fixed'").value();
      if (fixed.empty()) return Error::unavailable("asked to fail");
    }
    if (payload.value("slow", false)) {
      // Long enough for a test to kill the kernel while this delivery is open.
      std::this_thread::sleep_for(std::chrono::milliseconds(2000));
    }
    if (!fk::sdk::first_delivery(ctx.tx(), "probe_seen", ctx.event().id).value()) return {};
    ctx.tx()
        .exec("UPDATE probe_items SET deliveries = deliveries + 1 WHERE id = $1::uuid",
              payload.value("id", std::string()))
        .value();
    return {};
  }

 private:
  Result<void> ping(RequestContext& ctx) {
    json headers_seen = json::object();
    for (const char* name : {"authorization", "x-api-key", "x-probe"}) {
      headers_seen[name] = ctx.request().header(name).has_value();
    }
    ctx.response().json(json{
        {"tenant", ctx.tenant().id()},
        {"principal", ctx.tenant().principal()},
        {"pageSize", ctx.config().get_int("page_size").value()},
        {"headers",
         headers_seen}}.dump());
    return {};
  }

  Result<void> create_item(RequestContext& ctx) {
    const json body = json::parse(ctx.request().body(), nullptr, false);
    if (!body.is_object() || !body.contains("name")) return Error::validation("name is required");
    auto rows = ctx.tx()
                    .exec(
                        "INSERT INTO probe_items (tenant_id, name) "
                        "VALUES ((SELECT fk_current_tenant()), $1) RETURNING id::text",
                        body["name"].get<std::string>())
                    .value();
    const std::string id(rows.begin().operator*().get(0).value_or(""));
    json payload = {
        {"id", id}, {"fail", body.value("fail", false)}, {"slow", body.value("slow", false)}};
    // "badPayload": a payload that is not one JSON object, which the kernel refuses.
    const std::string payload_text = body.value("badPayload", false) ? "[1]" : payload.dump();
    ctx.tx().publish(fk::sdk::EventSpec{"probe.item.created", "item", id, payload_text, 1}).value();
    ctx.tx().audit({"probe.item.create", "item", id, "{}"}).value();
    if (body.value("reject", false)) {
      // Refused after writing: the row, the event and the audit record roll back.
      return Error::validation("rejected on request").with_api_code("REJECTED");
    }
    ctx.response().status(201).json(json{{"id", id}}.dump());
    return {};
  }

  Result<void> list_items(RequestContext& ctx) {
    auto rows = ctx.tx().exec("SELECT id::text, name FROM probe_items ORDER BY name").value();
    json items = json::array();
    for (auto row : rows)
      items.push_back({{"id", row.get(0).value_or("")}, {"name", row.get(1).value_or("")}});
    ctx.response().json(json{{"items", items}}.dump());
    return {};
  }

  Result<void> seen(RequestContext& ctx) {
    auto rows = ctx.tx()
                    .exec("SELECT deliveries FROM probe_items WHERE id = $1::uuid",
                          ctx.request().path_param("item").value())
                    .value();
    if (rows.empty()) return Error::not_found("no such item");
    ctx.response().json(
        json{{"deliveries", std::stoi(std::string(rows.begin().operator*().get(0).value_or("0")))}}
            .dump());
    return {};
  }

  Result<void> throws(RequestContext&) { throw std::runtime_error("probe threw on purpose"); }

  Result<void> error(RequestContext&) {
    return Error::conflict("the probe refuses").with_api_code("PROBE_REFUSES");
  }

  Result<void> sleep(RequestContext& ctx) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    // The deadline has passed: the transaction is gone.
    auto late = ctx.tx().exec("SELECT 1");
    ctx.response().json(json{{"lateQueryFailed", !late.has_value()}}.dump());
    return {};
  }

  // Runs the SQL it is given and reports what the kernel answered.
  Result<void> sql(RequestContext& ctx) {
    const json body = json::parse(ctx.request().body(), nullptr, false);
    auto result = ctx.tx().exec(body.value("sql", std::string()));
    if (result.has_value()) {
      ctx.response().json(json{{"status", 0}}.dump());
      return {};
    }
    return Error::permission_denied(result.error().message)
        .with_api_code("SQL_" + std::to_string(result.error().code));
  }

  Result<void> call_peer(RequestContext& ctx) {
    const json body = json::parse(ctx.request().body(), nullptr, false);
    auto reply = ctx.tx().call("peer", body.value("method", std::string("whoami")), "{}");
    if (!reply.has_value()) {
      return Error::permission_denied(reply.error().message).with_api_code("CALL_FAILED");
    }
    ctx.response().json(reply.value());
    return {};
  }

  Result<void> secret(RequestContext& ctx) {
    const json body = json::parse(ctx.request().body(), nullptr, false);
    const std::string sealed = ctx.crypto().encrypt("note", body.value("text", "")).value();
    const std::string opened = ctx.crypto().decrypt("note", sealed).value();
    ctx.response().json(json{{"sealed", sealed}, {"opened", opened}}.dump());
    return {};
  }
};

}  // namespace

FK_CPP_PLUGIN(ProbePlugin, "probe", "1.0.0")
