// bench/plugin_dispatch: what crossing the plugin ABI costs, next to the
// same work as a direct C++ call, measured in the same run (docs/performance.md,
// "Plugin dispatch"). No database: the transaction-bound parts of a request
// are measured by the HTTP benchmarks; this isolates the ABI and the
// deadline executor.
//
//   fk_bench_plugin_dispatch [iterations]     (default 2,000,000)
//
//   route dispatch   host -> plugin handle_request that writes "{}" through
//                    the host's response builder, vs a virtual C++ handler
//                    doing the same (validate + copy the JSON)
//   host call        plugin -> host authz.tenant_id, vs a non-inlined C++
//                    accessor returning the same string_view
//   deadline hop     a callback run on the executor's worker thread with a
//                    deadline, vs the same callback called directly

#include "plugins/call_executor.hpp"
#include "plugins/host_api.hpp"
#include "plugins/host_objects.hpp"
#include "plugins/loaded_plugin.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

namespace {

using Clock = std::chrono::steady_clock;

double ns_per(Clock::duration elapsed, std::size_t count) {
  return static_cast<double>(
             std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()) /
         static_cast<double>(count);
}

std::string read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// The direct-call baselines: what the same work costs without the ABI.
struct DirectHandler {
  virtual ~DirectHandler() = default;
  virtual int handle(fk_response& response) = 0;
};
struct WriteEmptyObject final : DirectHandler {
  int handle(fk_response& response) override {
    const std::string_view json = "{}";
    if (!nlohmann::json::accept(json)) return 1;
    response.json.assign(json);
    return 0;
  }
};

[[gnu::noinline]] std::string_view tenant_of(const fk_tenant_ctx& ctx) {
  return ctx.tenant_id;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t iterations = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2'000'000;

  fk::plugins::PluginManifest manifest;
  manifest.name = "noop";
  manifest.version = "1.0.0";
  manifest.abi_major = 1;
  manifest.abi_minor = FK_ABI_MINOR;
  manifest.library = "noop.so";
  manifest.routes.push_back({"GET", "/v1/noop", "noop:ping"});
  manifest.exports.push_back("spin");
  fk::plugins::LoadedPlugin plugin(manifest, read_file(FK_BENCH_NOOP_PLUGIN), ".");
  plugin.initialize(fk::plugins::host_api_table());

  fk::plugins::CallFrame frame;
  frame.ctx.tenant_id = "3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e";
  frame.ctx.plugin = &plugin;
  fk_request_args request{};
  request.struct_size = sizeof request;
  request.request = &frame.request;
  request.response = &frame.response;
  request.tenant = &frame.ctx;
  request.txn = &frame.txn;

  // Route dispatch.
  const auto& callbacks = plugin.callbacks();
  auto start = Clock::now();
  for (std::size_t i = 0; i < iterations; ++i) {
    if (callbacks.handle_request(plugin.state(), &request) != FK_OK) return 1;
  }
  const double abi_dispatch = ns_per(Clock::now() - start, iterations);
  std::unique_ptr<DirectHandler> direct = std::make_unique<WriteEmptyObject>();
  start = Clock::now();
  for (std::size_t i = 0; i < iterations; ++i) {
    if (direct->handle(frame.response) != 0) return 1;
  }
  const double direct_dispatch = ns_per(Clock::now() - start, iterations);

  // Host calls from the plugin: one handle_call making `iterations` calls.
  const std::string count(iterations, ' ');
  fk_call_args call{};
  call.struct_size = sizeof call;
  call.request_json = fk_str{count.data(), count.size()};
  call.tenant = &frame.ctx;
  call.txn = &frame.txn;
  call.reply = &frame.response;
  start = Clock::now();
  if (callbacks.handle_call(plugin.state(), &call) != FK_OK) return 1;
  const double abi_host_call = ns_per(Clock::now() - start, iterations);
  std::size_t total = 0;
  start = Clock::now();
  for (std::size_t i = 0; i < iterations; ++i) total += tenant_of(frame.ctx).size();
  const double direct_host_call = ns_per(Clock::now() - start, iterations);
  if (total != iterations * 36) return 1;

  // The deadline executor's thread hop (every plugin request pays it).
  const std::size_t hops = iterations / 20;
  fk::plugins::CallExecutor executor(4);
  start = Clock::now();
  for (std::size_t i = 0; i < hops; ++i) {
    if (!executor.run([&] { (void)callbacks.handle_request(plugin.state(), &request); },
                      std::chrono::seconds(10))) {
      return 1;
    }
  }
  const double hop = ns_per(Clock::now() - start, hops);
  fk::plugins::CallExecutor inline_executor(0);
  start = Clock::now();
  for (std::size_t i = 0; i < hops; ++i) {
    inline_executor.run([&] { (void)callbacks.handle_request(plugin.state(), &request); },
                        std::chrono::seconds(10));
  }
  const double no_hop = ns_per(Clock::now() - start, hops);

  std::printf("iterations %zu (deadline hop: %zu)\n", iterations, hops);
  std::printf("route dispatch   ABI %8.1f ns   direct C++ %8.1f ns   ratio %.2f\n", abi_dispatch,
              direct_dispatch, abi_dispatch / direct_dispatch);
  std::printf("host call        ABI %8.1f ns   direct C++ %8.1f ns   ratio %.2f\n", abi_host_call,
              direct_host_call, abi_host_call / direct_host_call);
  std::printf("deadline hop     worker %8.1f ns   inline %8.1f ns   added %.1f ns\n", hop, no_hop,
              hop - no_hop);
  return 0;
}
