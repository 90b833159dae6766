// A test plugin written with the C++ wrapper. The harness
// (harness/fk_sdk_harness.cpp) loads it through the C ABI and drives every
// path: parameters and NULLs, RAII results, errors returned and thrown
// (std and non-std exceptions must become status codes, never cross the
// ABI), 4xx vs 5xx error responses, events, audit, plugin calls, config
// (including the BUFFER_TOO_SMALL retry), and FK_HOST_HAS on an older host.
#include <finkernel/fk_plugin.hpp>

#include <atomic>
#include <stdexcept>
#include <string>

namespace {

using fk::sdk::Error;
using fk::sdk::Method;
using fk::sdk::RequestContext;
using fk::sdk::Result;

class ProbePlugin : public fk::sdk::Plugin {
 public:
  ProbePlugin() {
    route(Method::Get, "/echo", &ProbePlugin::echo);
    route(Method::Get, "/throw-std", [](RequestContext&) -> Result<void> {
      throw std::runtime_error("boom: internal detail");
    });
    route(Method::Get, "/throw-int", [](RequestContext&) -> Result<void> { throw 42; });
    route(Method::Get, "/missing", [](RequestContext&) -> Result<void> {
      return Error::not_found("no such greeting").with_details(R"({"id":"x"})");
    });
    route(Method::Get, "/db-error", [](RequestContext& ctx) -> Result<void> {
      auto rows = ctx.tx().exec("SELECT fail").value();  // throws: FK_ERR_DB
      return {};
    });
    route(Method::Get, "/db-error-mapped", [](RequestContext& ctx) -> Result<void> {
      auto rows = ctx.tx().exec("SELECT fail");
      if (!rows && rows.error().subcode == "42P01") {
        return Error::conflict("mapped").with_api_code("MAPPED_CONFLICT");
      }
      return Error::internal("unexpected");
    });
    route(Method::Post, "/publish", &ProbePlugin::publish);
    route(Method::Get, "/features", &ProbePlugin::features);
    route(Method::Get, "/config", &ProbePlugin::config_values);
    route(Method::Get, "/identity", &ProbePlugin::identity);
  }

  Result<void> on_init(fk::sdk::InitContext& ctx) override {
    if (ctx.config().get_bool("throw_init").value_or(false)) {
      throw std::runtime_error("init exploded");
    }
    if (ctx.config().get_bool("fail_init").value_or(false)) {
      return Error::internal("init refused by config");
    }
    auto greeting = ctx.config().get_string("greeting");
    greeting_ = greeting ? *greeting : std::string("hi");
    ctx.log().info("probe initialised", {{"greetingBytes", std::to_string(greeting_.size())}});
    return {};
  }

  Result<void> on_event(fk::sdk::EventContext& ctx) override {
    if (ctx.event().payload_json.find("throw") != std::string_view::npos) {
      throw std::logic_error("event handler bug");
    }
    events_seen_.fetch_add(1);
    ctx.log().info("event received", {{"type", ctx.event().type},
                                      {"id", ctx.event().id},
                                      {"attempt", std::to_string(ctx.event().attempt)}});
    return {};
  }

  Result<void> on_call(fk::sdk::CallContext& ctx) override {
    if (ctx.method() == "echo") {
      ctx.reply().json(ctx.request_json());
      return {};
    }
    return Plugin::on_call(ctx);
  }

  Result<void> on_migrate(fk::sdk::MigrateContext& ctx) override {
    auto rows = ctx.tx().exec("SELECT $1, $2", ctx.from_version(), ctx.to_version()).value();
    return {};
  }

  void on_shutdown() override {
    log().info("probe shutdown", {{"eventsSeen", std::to_string(events_seen_.load())}});
  }

 private:
  Result<void> echo(RequestContext& ctx) {
    const std::optional<std::string> absent;
    auto rows = ctx.tx()
                    .exec("SELECT $1, $2, $3, $4, $5", "text", int64_t{42}, nullptr, absent, "")
                    .value();
    std::string json = "[";
    for (auto row : rows) {
      for (uint32_t c = 0; c < rows.columns(); ++c) {
        if (c != 0) json += ",";
        auto v = row.get(c);
        json += v ? fk::sdk::json_quote(*v) : "null";
      }
    }
    json += "]";
    ctx.response().status(200).header("X-Probe", "1").json(json);
    return {};
  }

  Result<void> publish(RequestContext& ctx) {
    auto published = ctx.tx().publish("probe.thing.created", R"({"n":1})");
    if (!published) return published;
    auto audited = ctx.tx().audit({"probe.thing.create", "thing", "t-1", R"({"n":1})"});
    if (!audited) return audited;
    ctx.response().status(201).json(R"({"ok":true})");
    return {};
  }

  Result<void> features(RequestContext& ctx) {
    const fk_host_api* host = ctx.host_api();
    auto called = ctx.tx().call("other", "echo", "{}");
    auto random = ctx.crypto().random(8);
    std::string json = "{\"crypto\":";
    json += FK_HOST_HAS(host, crypto) ? "true" : "false";
    json += ",\"plugins\":";
    json += FK_HOST_HAS(host, plugins) ? "true" : "false";
    json += ",\"call\":";
    json += fk::sdk::json_quote(called ? std::string("ok") : fk_status_name(called.error().code));
    json += ",\"random\":";
    json += fk::sdk::json_quote(random ? std::string("ok") : fk_status_name(random.error().code));
    json += "}";
    ctx.response().json(json);
    return {};
  }

  Result<void> config_values(RequestContext& ctx) {
    const int64_t page = ctx.config().get_int("page_size").value();
    auto missing = ctx.config().get("undeclared");
    ctx.response().json(
        "{\"pageSize\":" + std::to_string(page) +
        ",\"greetingBytes\":" + std::to_string(greeting_.size()) + ",\"undeclared\":" +
        fk::sdk::json_quote(missing ? "found" : fk_status_name(missing.error().code)) + "}");
    return {};
  }

  Result<void> identity(RequestContext& ctx) {
    const auto& t = ctx.tenant();
    ctx.response().json(
        "{\"tenant\":" + fk::sdk::json_quote(t.id()) +
        ",\"principal\":" + fk::sdk::json_quote(t.principal()) +
        ",\"requestId\":" + fk::sdk::json_quote(t.request_id()) +
        ",\"canWrite\":" + (t.has_permission("probe:things.write") ? "true" : "false") +
        ",\"canAdmin\":" + (t.has_permission("probe:admin") ? "true" : "false") + ",\"query\":" +
        fk::sdk::json_quote(ctx.request().query("q").value_or("<none>")) + ",\"auth\":" +
        fk::sdk::json_quote(ctx.request().header("Authorization").value_or("<hidden>")) + "}");
    return {};
  }

  std::string greeting_;
  std::atomic<int> events_seen_{0};
};

}  // namespace

FK_CPP_PLUGIN(ProbePlugin, "probe", "0.1.0")
