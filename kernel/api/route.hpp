#pragma once
// What a route declares and what its handler sees. Handlers receive a
// RequestContext that already carries the request id, the resolved tenant
// and an open tenant transaction; they never authenticate, scope rows, audit
// or build envelopes themselves (one place for each concern: pipeline.cpp).

#include "audit/audit_record.hpp"
#include "db/tenant_transaction.hpp"
#include "events/outbox.hpp"
#include "http/request.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace fk::api {

enum class Scope {
  open,      // no identity, no tenant, no transaction: /health, /ready, /metrics
  tenant,    // resolved tenant, runs inside one tenant transaction
  platform,  // a platform administrator; no tenant, no tenant transaction
};

class RequestContext {
 public:
  RequestContext(const http::Request& request, std::string request_id,
                 const std::map<std::string, std::string, std::less<>>& params)
      : request_(request), request_id_(std::move(request_id)), params_(params) {}

  [[nodiscard]] const http::Request& request() const { return request_; }
  [[nodiscard]] const std::string& request_id() const { return request_id_; }
  [[nodiscard]] const std::string& tenant_id() const { return tenant_id_; }
  // The calling user (empty for the dev_mode caller) and their current roles.
  [[nodiscard]] const std::string& user_id() const { return user_id_; }
  [[nodiscard]] const std::vector<std::string>& roles() const { return roles_; }
  // Set when the caller is an API key (then user_id() is the key's creator).
  [[nodiscard]] const std::string& api_key_id() const { return api_key_id_; }
  // What the caller may do now; empty for the dev_mode caller (who may do anything).
  [[nodiscard]] const std::set<std::string>& permissions() const { return permissions_; }
  [[nodiscard]] const std::string& param(std::string_view name) const;
  [[nodiscard]] const std::map<std::string, std::string, std::less<>>& params() const {
    return params_;
  }

  // The request's tenant transaction; only for Scope::tenant routes.
  pqxx::dbtransaction& db();

  // An audit record to append with the request's own, just before commit
  // (plugins' business records: the chain head is locked once, briefly).
  void defer_audit(audit::AuditRecord record) { deferred_audit_.push_back(std::move(record)); }
  // An event to publish with the commit (a plugin's): all of a request's
  // events are one statement, sent with the COMMIT.
  void defer_event(events::OutgoingEvent event) { deferred_events_.push_back(std::move(event)); }

  // The body as JSON: 415 unless Content-Type is application/json,
  // 400 INVALID_JSON if empty or malformed (never a 500).
  [[nodiscard]] nlohmann::json json_body() const;

 private:
  friend class Pipeline;
  const http::Request& request_;
  std::string request_id_;
  const std::map<std::string, std::string, std::less<>>& params_;
  std::string tenant_id_;
  std::string user_id_;
  std::vector<std::string> roles_;
  std::string api_key_id_;
  std::set<std::string> permissions_;
  db::TenantTransaction* transaction_ = nullptr;
  std::vector<audit::AuditRecord> deferred_audit_;
  std::vector<events::OutgoingEvent> deferred_events_;
};

struct Reply {
  int status = 200;
  nlohmann::json data;  // wrapped in the success envelope
  // When set, sent as-is with this content type instead of an envelope (/metrics).
  std::string raw_content_type;
  std::string raw_body;
  std::vector<std::pair<std::string, std::string>> headers = {};  // extra response headers
};

struct Route {
  using Handler = std::function<Reply(RequestContext&)>;
  using Validator = std::function<void(RequestContext&)>;

  Route(std::string method_, std::string path_, Scope scope_, std::string permission_,
        Handler handler_, Validator validate_ = {})
      : method(std::move(method_)),
        path(std::move(path_)),
        scope(scope_),
        permission(std::move(permission_)),
        handler(std::move(handler_)),
        validate(std::move(validate_)) {}

  std::string method;
  std::string path;  // template, e.g. "/v1/tenant/settings"
  Scope scope = Scope::tenant;
  std::string permission;  // declared permission ("tenant:settings.read"); "public" for open routes
  Handler handler;
  // Optional: checks run when the action is put under approval (maker-checker),
  // so a request that could never execute is refused before it is stored.
  Validator validate;
  // Optional (plugin routes): the money a request would move, currency ->
  // exact decimal in major units, for approval thresholds (approval_gate.hpp);
  // nullopt when the route's owner cannot say.
  using Amounts = std::map<std::string, std::string>;
  using Measurer = std::function<std::optional<Amounts>(RequestContext&)>;
  Measurer measure = {};
};

}  // namespace fk::api
