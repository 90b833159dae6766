// peer -- the second test plugin: exports methods another plugin calls (to
// show calls carry the caller's identity and permissions, never more) and
// subscribes to probe's events (each subscriber gets its own delivery).
#include <finkernel/fk_plugin.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace {

using fk::sdk::CallContext;
using fk::sdk::Error;
using fk::sdk::EventContext;
using fk::sdk::Result;
using nlohmann::json;

class PeerPlugin final : public fk::sdk::Plugin {
 public:
  Result<void> on_call(CallContext& ctx) override {
    if (ctx.method() == "whoami") {
      ctx.reply().json(json{{"caller", ctx.caller()},
                            {"principal", ctx.tenant().principal()},
                            {"tenant", ctx.tenant().id()},
                            {"mayReadSecret", ctx.tenant().has_permission("peer:secret.read")}}
                           .dump());
      return {};
    }
    if (ctx.method() == "secret") {
      if (!ctx.tenant().has_permission("peer:secret.read")) {
        return Error::permission_denied("peer:secret.read is required").with_api_code("NO_SECRET");
      }
      ctx.reply().json(R"({"secret":"42"})");
      return {};
    }
    return Error::not_found("no such method");
  }

  Result<void> on_event(EventContext& ctx) override {
    fk::sdk::first_delivery(ctx.tx(), "peer_seen", ctx.event().id).value();
    return {};
  }
};

}  // namespace

FK_CPP_PLUGIN(PeerPlugin, "peer", "1.0.0")
