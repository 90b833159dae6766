#pragma once
// Asking a plugin how much money a request would move (ABI 1.2,
// fk_plugin_callbacks.measure_request), for maker-checker amount thresholds
// (api/approval_gate.hpp). PluginHost::measure_request is defined in
// request_measure.cpp; this header holds what it shares with handle_request.

#include "api/route.hpp"
#include "plugins/host_objects.hpp"
#include "plugins/package/manifest.hpp"

#include <finkernel/fk_plugin.h>

#include <map>
#include <string>

// What a plugin reports through fk_measure_args.add_amount: totals per
// currency. Opaque to plugins (fk_plugin.h); lives in the call's frame.
struct fk_measure_sink {
  std::map<std::string, std::string> totals;  // currency -> normalized exact decimal
  std::string refusal;                        // why a pair was refused; empty if none
};

namespace fk::plugins {

// The fk_request and fk_tenant_ctx a plugin sees for `context` on `route`:
// no credential headers; the caller's identity and current permissions.
void describe_request(CallFrame& frame, const ManifestRoute& route,
                      const api::RequestContext& context);

// The host side of add_amount: checks the pair (ISO 4217 code, exact
// non-negative decimal) and adds it to the currency's total.
fk_status measure_add_amount(fk_measure_sink* sink, fk_str currency, fk_str amount) noexcept;

}  // namespace fk::plugins
