#include "api/pipeline.hpp"

#include "api/approval_gate.hpp"
#include "api/authorizer.hpp"
#include "audit/audit_log.hpp"
#include "db/tenant_transaction.hpp"
#include "http/api_error.hpp"
#include "http/envelope.hpp"
#include "log/json_log.hpp"

#include <pqxx/pqxx>

#include <chrono>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <tuple>

namespace fk::api {

namespace {

bool sane_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (unsigned char c : id) {
    if (!std::isalnum(c) && c != '.' && c != '_' && c != ':' && c != '-') return false;
  }
  return true;
}

std::string random_uuid() {
  // Request ids are correlation handles, not secrets: a per-thread PRNG suffices.
  thread_local std::mt19937_64 generator{std::random_device{}()};
  const std::uint64_t high = (generator() & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  const std::uint64_t low = (generator() & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char text[37];
  std::snprintf(text, sizeof text, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(high >> 32),
                static_cast<unsigned>((high >> 16) & 0xffff), static_cast<unsigned>(high & 0xffff),
                static_cast<unsigned>(low >> 48),
                static_cast<unsigned long long>(low & 0xffffffffffffULL));
  return text;
}

http::Response render(const Reply& reply, const std::string& request_id) {
  http::Response response;
  if (reply.raw_content_type.empty()) {
    response = http::success_response(reply.status, reply.data, request_id);
  } else {
    response.status = reply.status;
    response.set_header("Content-Type", reply.raw_content_type);
    response.set_header("X-Request-Id", request_id);
    response.body = reply.raw_body;
  }
  for (const auto& [name, value] : reply.headers) response.set_header(name, value);
  return response;
}

bool changes_state(const std::string& method) {
  return method != "GET" && method != "HEAD";
}

// The audit record of one request: who, what (route template), on what (path),
// with which outcome. No bodies: the summary holds only non-secret facts.
audit::AuditRecord request_record(const http::Request& request, const std::string& request_id,
                                  const std::string& route, const std::string& actor_type,
                                  const std::string& actor_id, const std::string& outcome,
                                  int status) {
  audit::AuditRecord record;
  record.actor_type = actor_type;
  record.actor_id = actor_id;
  record.action = "http." + request.method + " " + route;
  record.resource = request.path;
  record.outcome = outcome;
  record.request_id = request_id;
  record.client_address = request.remote_address;
  record.summary = {{"status", status}};
  return record;
}

std::pair<std::string, std::string> actor_of(const Principal& principal) {
  if (principal.dev_trusted) return {"system", "dev_mode"};
  if (principal.platform) return {"platform_admin", principal.user_id};
  if (!principal.api_key_id.empty()) return {"api_key", principal.api_key_id};
  return {"user", principal.user_id};
}

}  // namespace

void enforce(const ratelimit::Decision& decision, const char* scope) {
  if (decision.allowed) return;
  throw http::ApiError(429, "RATE_LIMITED", "too many requests; retry later",
                       {{"scope", scope}, {"retryAfterSeconds", decision.retry_after.count()}})
      .with_header("Retry-After", std::to_string(decision.retry_after.count()));
}

std::string choose_request_id(const http::Request& request) {
  if (auto given = request.header("x-request-id"); given && sane_request_id(*given)) {
    return std::string(*given);
  }
  return random_uuid();
}

Pipeline::Pipeline(PipelineServices services, std::vector<Route> routes)
    : services_(services), routes_(std::move(routes)) {
  for (auto& route : approval_routes()) routes_.push_back(std::move(route));
  if (const auto problem = undeclared_permission(*services_.policy.current()); !problem.empty()) {
    throw std::invalid_argument(problem);
  }
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const auto& route = routes_[i];
    if (!route.handler) {
      throw std::invalid_argument("route " + route.method + " " + route.path + " has no handler");
    }
    router_.add(route.method, route.path, i);
  }
}

http::Response Pipeline::dispatch_platform(const Route& route, RequestContext& context,
                                           const Principal& principal) {
  if (!principal.platform) {
    throw http::ApiError(403, "FORBIDDEN", "this route is for platform administrators");
  }
  const auto limits = services_.limits.current();
  enforce(services_.limiter.take("platform:" + principal.user_id,
                                 limits->plans.at(limits->default_plan).principal,
                                 std::chrono::steady_clock::now()),
          "principal");
  const auto policy = services_.policy.current();
  auto authorization = authorize_platform(services_.pool, principal, route.permission, *policy);
  context.user_id_ = principal.user_id;
  context.roles_ = std::move(authorization.roles);
  context.permissions_ = std::move(authorization.permissions);
  const Reply reply = route.handler(context);
  if (changes_state(context.request().method)) {
    // Platform handlers act through the owner role in their own transactions,
    // so this record follows the change rather than sharing its transaction.
    audit::append_platform(
        services_.pool,
        request_record(context.request(), context.request_id(), route.path, "platform_admin",
                       principal.user_id, "success", reply.status));
  }
  return render(reply, context.request_id());
}

void Pipeline::record_denial(const http::Request& request, const std::string& request_id,
                             const Labels& labels, const std::string& code) noexcept {
  // A denial changes nothing, so it is recorded in its own transaction; an
  // audit failure is logged and never changes the answer.
  try {
    auto record = request_record(request, request_id, labels.route, labels.actor_type,
                                 labels.actor_id, "denied", 403);
    record.summary["code"] = code;
    if (labels.tenant.empty()) {
      audit::append_platform(services_.pool, record);
    } else {
      audit::append_standalone(services_.pool, labels.tenant, record);
    }
  } catch (const std::exception& e) {
    log::error("denial not audited", {{"requestId", request_id}, {"error", e.what()}});
  }
}

std::string Pipeline::undeclared_permission(const authz::RbacPolicy& policy) const {
  for (const auto& route : routes_) {
    if (route.permission.empty()) {
      return "route " + route.method + " " + route.path +
             " declares no permission; every route must declare one";
    }
    if (route.permission != "public" && !policy.is_declared(route.permission)) {
      return "route " + route.method + " " + route.path + " declares permission \"" +
             route.permission + "\", which the RBAC policy does not declare";
    }
  }
  return {};
}

http::Response Pipeline::protocol_error(int status, std::string_view code,
                                        std::string_view message) {
  const std::string request_id = random_uuid();
  log::warn("request rejected by transport",
            {{"requestId", request_id}, {"status", status}, {"code", code}});
  services_.metrics.observe_request("-", "(protocol)", status, std::chrono::nanoseconds(0));
  return http::error_response(status, code, message, request_id);
}

http::Response Pipeline::handle(http::Request& request) {
  const auto started = std::chrono::steady_clock::now();
  const std::string request_id = choose_request_id(request);
  Labels labels;

  // Every log line of this request carries the same correlation fields.
  const auto request_fields = [&] {
    nlohmann::json fields = {
        {"requestId", request_id}, {"method", request.method}, {"route", labels.route}};
    if (!labels.tenant.empty()) fields["tenantId"] = labels.tenant;
    return fields;
  };
  const auto with_error = [&](const char* what) {
    auto fields = request_fields();
    fields["error"] = what;
    return fields;
  };

  http::Response response;
  try {
    response = dispatch(request, request_id, labels);
  } catch (const http::ApiError& e) {
    response = http::error_response(e.status(), e.code(), e.what(), request_id, e.details());
    for (const auto& [name, value] : e.headers()) response.set_header(name, value);
    if (e.status() == 403) record_denial(request, request_id, labels, e.code());
  } catch (const db::PoolUnavailable& e) {
    log::error("database unavailable", with_error(e.what()));
    response = http::error_response(503, "DATABASE_UNAVAILABLE",
                                    "the database is unavailable; retry shortly", request_id);
    response.set_header("Retry-After", "1");
  } catch (const pqxx::broken_connection& e) {
    log::error("database connection lost", with_error(e.what()));
    response = http::error_response(503, "DATABASE_UNAVAILABLE",
                                    "the database is unavailable; retry shortly", request_id);
    response.set_header("Retry-After", "1");
  } catch (const std::exception& e) {
    // The details stay in the log; the client gets the request id to quote.
    log::error("unhandled error", with_error(e.what()));
    response = http::error_response(500, "INTERNAL_ERROR",
                                    "internal error; quote the request id to support", request_id);
  } catch (...) {
    log::error("unhandled non-standard exception", request_fields());
    response = http::error_response(500, "INTERNAL_ERROR",
                                    "internal error; quote the request id to support", request_id);
  }

  const auto elapsed = std::chrono::steady_clock::now() - started;
  services_.metrics.observe_request(request.method, labels.route, response.status, elapsed);
  if (log::enabled(log::Level::info)) {
    auto fields = request_fields();
    fields["status"] = response.status;
    fields["durationMs"] = std::chrono::duration<double, std::milli>(elapsed).count();
    log::info("request", fields);
  }
  return response;
}

http::Response Pipeline::dispatch(http::Request& request, const std::string& request_id,
                                  Labels& labels) {
  if (draining_) {
    auto response =
        http::error_response(503, "SHUTTING_DOWN", "server is shutting down", request_id);
    response.set_header("Connection", "close");
    return response;
  }

  // Route match: unknown paths and wrong methods answer in the envelope too.
  auto lookup = router_.find(request.method, request.path);
  if (!lookup.match) {
    if (!lookup.allowed.empty()) {
      std::string allow;
      for (const auto& method : lookup.allowed) allow += (allow.empty() ? "" : ", ") + method;
      auto response = http::error_response(405, "METHOD_NOT_ALLOWED",
                                           "method " + request.method + " is not allowed here",
                                           request_id, {{"allowed", lookup.allowed}});
      response.set_header("Allow", allow);
      return response;
    }
    return http::error_response(404, "NOT_FOUND", "no such resource", request_id);
  }
  const Route& route = routes_[lookup.match->index];
  labels.route = route.path;
  RequestContext context(request, request_id, lookup.match->params);

  if (route.scope == Scope::open) return render(route.handler(context), request_id);

  // Authenticate: who is calling, for which tenant.
  const Principal principal = services_.authenticator.authenticate(request);
  std::tie(labels.actor_type, labels.actor_id) = actor_of(principal);
  if (route.scope == Scope::platform) return dispatch_platform(route, context, principal);
  if (principal.platform) {
    throw http::ApiError(403, "FORBIDDEN", "platform credentials do not act inside a tenant");
  }
  context.tenant_id_ = principal.tenant_id;
  context.user_id_ = principal.user_id;
  labels.tenant = principal.tenant_id;

  // Tenant status: deleted and unknown tenants are indistinguishable.
  const auto status = services_.tenants.status(context.tenant_id_);
  if (!status || *status == tenancy::TenantStatus::deleted) {
    throw http::ApiError(404, "TENANT_NOT_FOUND", "no such tenant");
  }
  if (*status == tenancy::TenantStatus::suspended) {
    throw http::ApiError(403, "TENANT_SUSPENDED", "this tenant is suspended");
  }

  // Rate limits: the tenant's plan, then the calling principal's share of it.
  const auto limits = services_.limits.current();
  const auto& plan = limits->plan_for(principal.tenant_id);
  const auto now = std::chrono::steady_clock::now();
  enforce(services_.limiter.take("tenant:" + principal.tenant_id, plan.tenant, now), "tenant");
  if (!principal.user_id.empty()) {
    enforce(services_.limiter.take("principal:" + principal.tenant_id + ":" + principal.user_id,
                                   plan.principal, now),
            "principal");
  }

  // One transaction per request; it commits only if the handler returned.
  db::TenantTransaction transaction(services_.pool, context.tenant_id_);
  context.transaction_ = &transaction;
  // RBAC reads the caller's current roles and token version in the same
  // transaction, so a role change or disable applies to the very next request.
  const auto policy = services_.policy.current();  // one policy for the whole request
  auto authorization = authorize(transaction.work(), principal, route.permission, *policy);
  context.roles_ = std::move(authorization.roles);
  context.permissions_ = std::move(authorization.permissions);
  context.api_key_id_ = principal.api_key_id;
  if (const auto* rule = policy->approval_rule(route.permission);
      rule && approval_applies(*rule, route, context)) {
    Reply pending = submit_for_approval(route, context, *rule);
    const auto [actor_type, actor_id] = actor_of(principal);
    // Recorded as a successful submission; the execution is audited when approved.
    auto record = request_record(request, context.request_id(), route.path, actor_type, actor_id,
                                 "success", pending.status);
    record.summary["pendingApproval"] = pending.data["approval"]["id"];
    audit::append(transaction.work(), record);
    transaction.commit();
    return render(pending, request_id);
  }
  Reply reply = route.handler(context);
  // Same transaction as the change: no change without its record, and no
  // record of a change that rolled back. Last, because it holds the chain
  // head; the handler's own records (a plugin's) go first, in one append.
  auto records = std::move(context.deferred_audit_);
  if (changes_state(request.method)) {
    const auto [actor_type, actor_id] = actor_of(principal);
    records.push_back(request_record(request, request_id, route.path, actor_type, actor_id,
                                     "success", reply.status));
  }
  // The events and records go with the COMMIT, in one round trip: the
  // chain head (and whatever rows the handler locked) are held that long only.
  std::vector<db::Statement> last;
  if (!context.deferred_events_.empty()) {
    last.push_back(events::publish_statement(context.tenant_id_, context.deferred_events_));
  }
  if (!records.empty()) last.push_back(audit::append_statement(records));
  transaction.commit(last);
  return render(reply, request_id);
}

}  // namespace fk::api
