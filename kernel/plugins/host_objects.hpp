#pragma once
// The kernel's definitions of the SDK's opaque handles (fk_plugin.h,
// section 3). A plugin only ever holds pointers to these and passes them
// back to host functions (host_api.cpp). One CallFrame owns every handle of
// one plugin callback; it is shared with the executor thread running the
// callback, so nothing a late (abandoned) callback touches is freed under it.

#include "audit/audit_record.hpp"
#include "events/outbox.hpp"
#include "plugins/transaction_slot.hpp"

#include <finkernel/fk_plugin.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace fk::plugins {
class LoadedPlugin;
class PluginHost;
}  // namespace fk::plugins

struct fk_plugin {
  fk::plugins::LoadedPlugin* loaded = nullptr;
};

// Who is calling, for which tenant, and what they may do. Copied from the
// request (or "system" for events and migrations), never widened: a call
// into another plugin carries the same identity and permissions.
struct fk_tenant_ctx {
  std::string tenant_id;
  std::string principal;   // "user:<uuid>", "apikey:<id>", "system", "dev"
  std::string actor_type;  // for audit records: user | api_key | system | anonymous
  std::string actor_id;
  std::string request_id;
  std::string client_address;
  std::string causation_id;      // the event being handled, if any
  bool all_permissions = false;  // the dev_mode caller
  std::set<std::string> permissions;
  nlohmann::json config = nlohmann::json::object();  // effective config of `plugin` for the tenant
  fk::plugins::LoadedPlugin* plugin = nullptr;
  fk_txn* txn = nullptr;  // the call's transaction (crypto needs it)
};

struct fk_request {
  uint32_t method = FK_METHOD_UNKNOWN;
  std::string path;
  std::string route;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names, no credentials
  std::map<std::string, std::string, std::less<>> path_params;
  std::vector<std::pair<std::string, std::string>> query;  // decoded
};

struct fk_response {
  int status = 200;
  std::string json = "{}";  // the data of the success envelope
  bool is_error = false;
  std::string error_code;
  std::string error_message;
  nlohmann::json error_details = nlohmann::json::object();
  std::string raw_content_type;  // set by response_write_body
  std::string raw_body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct fk_result {
  pqxx::result rows;
  fk_txn* owner = nullptr;
};

struct fk_txn {
  std::shared_ptr<fk::plugins::TransactionSlot> slot;
  fk::plugins::LoadedPlugin* plugin = nullptr;
  fk_tenant_ctx* ctx = nullptr;
  fk::plugins::PluginHost* host = nullptr;
  int call_depth = 0;
  // Audit records the plugin wrote, appended by the kernel just before the
  // transaction commits (the chain head is then locked only briefly, and
  // once for all of them). Points into the root frame of a call chain.
  std::vector<fk::audit::AuditRecord>* audit_records = nullptr;
  // Events the plugin published, written the same way: with the commit.
  std::vector<fk::events::OutgoingEvent>* events = nullptr;
  // Results the plugin has not freed yet, and replies of calls into other
  // plugins: both live until the callback returns.
  std::mutex owned_mutex;
  std::set<fk_result*> open_results;
  std::vector<std::unique_ptr<std::string>> call_replies;
  // Error texts handed out through fk_error (rule M4: valid until the next
  // failing call on the same thread; kept for the callback to be simple).
  std::vector<std::unique_ptr<std::string>> error_texts;
  ~fk_txn();
};

namespace fk::plugins {

// Everything one callback needs, owned together.
struct CallFrame {
  fk_request request;
  fk_response response;
  fk_tenant_ctx ctx;
  fk_txn txn;
  std::vector<audit::AuditRecord> audit_records;  // of this call chain
  std::vector<events::OutgoingEvent> events;      // of this call chain
};

}  // namespace fk::plugins
