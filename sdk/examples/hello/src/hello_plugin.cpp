// hello -- an example FinKernel plugin written with the C++ wrapper.
//
//   GET  /v1/hello/greetings?limit=N   the tenant's latest greetings
//   POST /v1/hello/greetings           {"message": "..."} -> 201, the greeting
//   event hello.greeting.created       published on create (aggregate: the
//                                      greeting), handled once per event id
//
// What it shows: routes dispatched by manifest template; validation that
// answers 422 with a machine-readable code; parameterized SQL with no
// tenant filter in sight (row-level security scopes every statement to the
// request's tenant); the event and the audit record written in the same
// transaction as the row (all or nothing); an idempotent event consumer
// (fk::sdk::first_delivery over hello_processed_events); per-tenant config.

// The plugin uses ABI 1.1's publish_event when the kernel has it and falls
// back to 1.0's publish otherwise, so it asks only for ABI 1.0 (as its
// manifest says) and loads on every 1.x kernel.
#define FK_PLUGIN_REQUIRED_MINOR 0
#include <finkernel/fk_plugin.hpp>

#include <charconv>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#ifndef HELLO_PLUGIN_VERSION
#error "HELLO_PLUGIN_VERSION must be defined by the build (see CMakeLists.txt)"
#endif

namespace {

using fk::sdk::Error;
using fk::sdk::EventContext;
using fk::sdk::Method;
using fk::sdk::RequestContext;
using fk::sdk::Result;
using nlohmann::json;

constexpr std::string_view kCreatedEvent = "hello.greeting.created";
constexpr std::size_t kMaxMessageChars = 280;
constexpr std::string_view kProcessedEventsTable = "hello_processed_events";

// Columns every query returns, timestamps as RFC 3339 UTC text.
constexpr const char* kGreetingColumns =
    "id, message, created_by, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";

json greeting_json(const fk::sdk::Rows::Row& row) {
  return json{{"id", row.get(0).value_or("")},
              {"message", row.get(1).value_or("")},
              {"createdBy", row.get(2).value_or("")},
              {"createdAt", row.get(3).value_or("")}};
}

// Characters (UTF-8 code points) in s: bytes that are not continuation bytes.
// (The JSON parser has already rejected invalid UTF-8.)
std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

class HelloPlugin final : public fk::sdk::Plugin {
 public:
  HelloPlugin() {
    route(Method::Get, "/v1/hello/greetings", &HelloPlugin::list_greetings);
    route(Method::Post, "/v1/hello/greetings", &HelloPlugin::create_greeting);
  }

  Result<void> on_init(fk::sdk::InitContext& ctx) override {
    ctx.log().info("hello plugin ready", {{"version", HELLO_PLUGIN_VERSION}});
    return {};
  }

  // Delivered after the creating transaction committed, at least once. The
  // handler's effects must happen once per event: first_delivery records the
  // event id in hello_processed_events in this same transaction, so a
  // redelivery after a committed handling is recognised and skipped.
  Result<void> on_event(EventContext& ctx) override {
    if (ctx.event().type != kCreatedEvent) return {};  // tolerate types added later
    const json payload = json::parse(ctx.event().payload_json, nullptr, false);
    if (payload.is_discarded() || !payload.is_object()) {
      return Error::validation("hello.greeting.created payload is not a JSON object");
    }
    if (!fk::sdk::first_delivery(ctx.tx(), kProcessedEventsTable, ctx.event().id).value()) {
      ctx.log().info("duplicate delivery skipped", {{"eventId", ctx.event().id}});
      return {};
    }
    ctx.log().info("greeting created", {{"greetingId", payload.value("id", std::string())},
                                        {"eventId", ctx.event().id},
                                        {"attempt", std::to_string(ctx.event().attempt)}});
    return {};
  }

 private:
  // GET /v1/hello/greetings?limit=N
  Result<void> list_greetings(RequestContext& ctx) {
    const int64_t max_page = ctx.config().get_int("max_page_size").value_or(100);
    int64_t limit = ctx.config().get_int("default_page_size").value_or(20);
    if (auto raw = ctx.request().query("limit")) {
      const auto [end, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), limit);
      if (ec != std::errc() || end != raw->data() + raw->size() || limit < 1 || limit > max_page) {
        return Error::validation("limit must be an integer from 1 to " + std::to_string(max_page))
            .with_details(json{{"field", "limit"}}.dump());
      }
    }
    // No "WHERE tenant_id = ...": row-level security already confines this
    // statement to the request's tenant, and could not be bypassed anyway.
    auto rows = ctx.tx()
                    .exec(std::string("SELECT ") + kGreetingColumns +
                              " FROM hello_greetings ORDER BY created_at DESC, id LIMIT $1::int",
                          limit)
                    .value();
    json items = json::array();
    for (auto row : rows) items.push_back(greeting_json(row));
    ctx.response().json(json{{"items", items}, {"count", items.size()}}.dump());
    return {};
  }

  // POST /v1/hello/greetings {"message": "..."}
  Result<void> create_greeting(RequestContext& ctx) {
    const json body = json::parse(ctx.request().body(), nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return Error::validation("request body must be a JSON object");
    }
    for (const auto& item : body.items()) {
      if (item.key() != "message") {  // no mass assignment
        return Error::validation("\"" + item.key() + "\" is not accepted here")
            .with_details(json{{"field", item.key()}}.dump());
      }
    }
    const auto message = body.find("message");
    if (message == body.end() || !message->is_string()) {
      return Error::validation("message is required and must be a string")
          .with_details(json{{"field", "message"}}.dump());
    }
    const std::string& text = message->get_ref<const std::string&>();
    const std::size_t chars = utf8_length(text);
    if (chars == 0 || chars > kMaxMessageChars) {
      return Error::validation("message must be 1 to 280 characters")
          .with_api_code("GREETING_LENGTH")
          .with_details(json{{"field", "message"}, {"max", kMaxMessageChars}}.dump());
    }

    // The row, its event and its audit record commit together or not at all.
    auto rows =
        ctx.tx()
            .exec(std::string("INSERT INTO hello_greetings (tenant_id, message, created_by) "
                              "VALUES ((SELECT fk_current_tenant()), $1, $2) RETURNING ") +
                      kGreetingColumns,
                  text, ctx.tenant().principal())
            .value();
    if (rows.size() != 1) return Error::internal("INSERT ... RETURNING returned no row");
    const json greeting = greeting_json(*rows.begin());
    const std::string id = greeting["id"].get<std::string>();

    // The greeting is the aggregate: its events reach subscribers in order.
    const std::string payload = json{{"id", id}, {"message", text}}.dump();
    ctx.tx().publish(fk::sdk::EventSpec{kCreatedEvent, "greeting", id, payload, 1}).value();
    ctx.tx()
        .audit({"hello.greeting.create", "greeting", id, json{{"characters", chars}}.dump()})
        .value();

    ctx.response().status(201).json(greeting.dump());
    return {};
  }
};

}  // namespace

FK_CPP_PLUGIN(HelloPlugin, "hello", HELLO_PLUGIN_VERSION)
