#pragma once
// Publishing events through the transactional outbox (docs/architecture.md,
// "Events"). An event is a row written in the publisher's own tenant
// transaction, next to the change it announces, so it exists if and only if
// that change commits. Delivery is the dispatcher's job (dispatcher.hpp).

#include "db/statement.hpp"

#include <pqxx/pqxx>

#include <string>
#include <string_view>
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

// An event checked and ready to be written, with the plugins that receive it.
struct OutgoingEvent {
  EventToPublish event;
  std::vector<std::string> subscribers;  // distinct, none empty
};

// Whether `text` is exactly one JSON object (whitespace around it allowed).
bool is_json_object(std::string_view text);

// Checks what a publisher asked for, so the publisher hears of its mistake:
// throws std::invalid_argument for an empty type/source/subscriber, a
// payload that is not a JSON object or a version < 1.
OutgoingEvent prepare(EventToPublish event, const std::vector<std::string>& subscribers);

// The statement that publishes `events` for `tenant_id` (which must be the
// tenant set in the transaction it runs in: row-level security refuses any
// other): outbox rows in order, one pending delivery per subscriber, and
// pg_notify('fk_events', tenant_id), which PostgreSQL sends only on commit.
// A request sends it with its COMMIT (TenantTransaction::commit).
db::Statement publish_statement(const std::string& tenant_id,
                                const std::vector<OutgoingEvent>& events);

// Publishes at once in the caller's tenant transaction (fk.tenant_id set to
// `tenant_id`); returns the new event ids in order. A rollback publishes
// nothing. Database errors (an RLS refusal for a foreign tenant) propagate
// as pqxx errors.
std::vector<std::string> publish_all(pqxx::transaction_base& tx, const std::string& tenant_id,
                                     const std::vector<OutgoingEvent>& events);
// One event: prepare() then publish_all(); returns its id.
std::string publish(pqxx::transaction_base& tx, const std::string& tenant_id,
                    const EventToPublish& event, const std::vector<std::string>& subscribers);

// The channel the dispatcher LISTENs on; the payload is the tenant id.
inline constexpr const char* kNotifyChannel = "fk_events";

}  // namespace fk::events
