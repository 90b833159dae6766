#pragma once
// The plugins of one kernel: found in plugins.dir (one package directory
// each), verified (signature, manifest), loaded, migrated, initialised and
// mounted. A plugin that fails any step is refused alone, with the reason
// kept for `finkernel plugin list` and the admin API; the kernel serves on.
// The host also carries out what plugins ask of the kernel beyond a single
// transaction: publishing events, calling each other, and being delivered
// events by the dispatcher (events::EventSink).

#include "api/route.hpp"
#include "authz/rbac_policy.hpp"
#include "db/connection_pool.hpp"
#include "events/event_sink.hpp"
#include "plugins/call_executor.hpp"
#include "plugins/host_objects.hpp"
#include "plugins/loaded_plugin.hpp"
#include "plugins/plugin_enablement.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace fk::keys {
class TenantKeyService;
}

namespace fk::plugins {

struct PluginHostOptions {
  std::filesystem::path plugins_dir;          // empty or missing: no plugins
  std::filesystem::path publishers_file;      // trusted publisher keys (policies/)
  bool require_signature = true;              // false only in dev_mode
  std::string owner_url;                      // plugin migrations run as the owner role
  std::chrono::milliseconds deadline{10000};  // per request, event delivery or call chain
  std::size_t workers = 16;                   // threads running plugin callbacks
  std::chrono::milliseconds enablement_ttl{1000};
};

// What the admin API and `finkernel plugin list` show for each package.
struct PluginStatus {
  std::string name;
  std::string version;
  std::string directory;
  std::string state;   // "loaded" | "refused"
  std::string reason;  // why refused
  std::string publisher;
  bool signature_verified = false;
};

struct PublishSpec {
  std::string type;
  std::string aggregate_type;
  std::string aggregate_id;
  std::string payload_json;
  int version = 1;
};

class PluginHost : public events::EventSink {
 public:
  PluginHost(PluginHostOptions options, db::ConnectionPool& pool, keys::TenantKeyService* keys);
  ~PluginHost() override;  // stops the workers, then shutdown + unload in reverse load order
  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;

  // Loads every package under plugins_dir, in dependency order. Never
  // throws for a plugin's fault (see statuses()).
  void load_all();
  // Loads one package directory; throws what refused it (tests, CLI verify).
  void load(const std::filesystem::path& package_dir);

  // Routes of every loaded plugin, each with its manifest permission.
  std::vector<api::Route> routes();
  // Every loaded plugin's declared permissions (for the RBAC policy).
  [[nodiscard]] authz::RbacPolicy::PermissionMap permissions() const;
  [[nodiscard]] std::vector<PluginStatus> statuses() const { return statuses_; }
  [[nodiscard]] LoadedPlugin* find(std::string_view name) const;
  EnablementCache& enablement() { return enablement_; }

  // For the host API (host_api.cpp). Set before serving; null = no master key.
  keys::TenantKeyService* key_service() { return keys_; }
  void use_key_service(keys::TenantKeyService* keys) { keys_ = keys; }
  fk_status publish(fk_txn& txn, const PublishSpec& spec, std::string& code, std::string& message);
  fk_status call(fk_txn& txn, std::string_view plugin, std::string_view method,
                 std::string_view request_json, std::string& reply, std::string& code,
                 std::string& message);

  // events::EventSink
  [[nodiscard]] std::vector<std::string> subscribers_of(const std::string& type) const override;
  events::DeliveryOutcome deliver(const std::string& subscriber, pqxx::dbtransaction& tx,
                                  const std::string& tenant_id,
                                  const events::DeliveredEvent& event) override;

  // Set by the kernel: called after a request that published events commits.
  std::function<void()> on_published;

 private:
  api::Reply handle_request(LoadedPlugin& plugin, const ManifestRoute& route,
                            api::RequestContext& context);
  // The money a request would move, per the plugin's measure_request (ABI
  // 1.2); nullopt when it cannot say (request_measure.cpp).
  std::optional<api::Route::Amounts> measure_request(LoadedPlugin& plugin,
                                                     const ManifestRoute& route,
                                                     api::RequestContext& context);
  // The tenant's state of `plugin`, running its migrate callback first when
  // the tenant last ran another version. Empty optional: not enabled.
  std::optional<TenantPlugin> ready_for_tenant(LoadedPlugin& plugin, fk_txn& txn);
  // Runs `callback` with the call's deadline; abandons the transaction if it
  // is late. Returns false on timeout.
  bool run_with_deadline(const std::shared_ptr<CallFrame>& frame,
                         std::function<fk_status(CallFrame&)> callback, fk_status& status);

  PluginHostOptions options_;
  db::ConnectionPool& pool_;
  keys::TenantKeyService* keys_;
  EnablementCache enablement_;
  std::vector<std::unique_ptr<LoadedPlugin>> plugins_;  // load order
  std::vector<PluginStatus> statuses_;
  std::unique_ptr<CallExecutor> executor_;
};

}  // namespace fk::plugins
