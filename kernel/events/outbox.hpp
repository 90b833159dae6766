#pragma once
// Publishing events through the transactional outbox (docs/architecture.md,
// "Events"). An event is a row written in the publisher's own tenant
// transaction, next to the change it announces, so it exists if and only if
// that change commits. Delivery is the dispatcher's job (dispatcher.hpp).

#include <pqxx/pqxx>

#include <string>
#include <vector>

namespace fk::events {

// What a publisher says. Fields map to the envelope of shared/seeds/004:
// eventType, aggregateType, aggregateId, payload, version, and metadata
// {userId: principal, correlationId, causationId, timestamp, tenantId}.
struct EventToPublish {
  std::string source;          // publishing plugin's name, or "kernel"
  std::string type;            // e.g. "hello.greeting.created"
  std::string aggregate_type;  // e.g. "greeting"; may be empty
  std::string aggregate_id;    // empty = no ordering constraint with other events
  std::string payload_json;    // a JSON object
  int version = 1;             // payload schema version, >= 1
  std::string principal;       // who acted: "user:<uuid>", "apikey:<id>", "system"
  std::string correlation_id;  // the publishing request's id
  std::string causation_id;    // the event being handled when this one was published
};

// In the caller's tenant transaction (fk.tenant_id set to `tenant_id`):
// inserts the outbox row and one pending delivery per distinct subscriber,
// and queues pg_notify('fk_events', tenant_id), which PostgreSQL sends only
// on commit. Returns the new event id. A rollback publishes nothing.
// Throws std::invalid_argument for an empty type/source/subscriber, a
// payload that is not a JSON object or a version < 1; database errors
// (including an RLS refusal for a foreign tenant) propagate as pqxx errors.
std::string publish(pqxx::transaction_base& tx, const std::string& tenant_id,
                    const EventToPublish& event, const std::vector<std::string>& subscribers);

// The channel the dispatcher LISTENs on; the payload is the tenant id.
inline constexpr const char* kNotifyChannel = "fk_events";

}  // namespace fk::events
