#include "events/outbox.hpp"

#include <nlohmann/json.hpp>

#include <set>
#include <stdexcept>

namespace fk::events {

namespace {

void require(bool condition, const std::string& message) {
  if (!condition) throw std::invalid_argument("event not published: " + message);
}

}  // namespace

std::string publish(pqxx::transaction_base& tx, const std::string& tenant_id,
                    const EventToPublish& event, const std::vector<std::string>& subscribers) {
  require(!event.type.empty(), "the event type is empty");
  require(!event.source.empty(), "the source of event \"" + event.type + "\" is empty");
  require(event.version >= 1, "event \"" + event.type + "\" has version " +
                                  std::to_string(event.version) + " (must be >= 1)");
  // Checked here, not only by the table's CHECK, so the publisher gets a
  // message naming the event instead of a SQL error.
  const auto payload = nlohmann::json::parse(event.payload_json, nullptr, false);
  require(payload.is_object(), "the payload of event \"" + event.type + "\" is not a JSON object");
  std::set<std::string> distinct;
  for (const auto& subscriber : subscribers) {
    require(!subscriber.empty(), "event \"" + event.type + "\" names an empty subscriber");
    distinct.insert(subscriber);
  }

  const auto row = tx.exec_params1(
      "INSERT INTO fk_outbox (tenant_id, type, source, aggregate_type, aggregate_id, payload, "
      "metadata, version) VALUES ($1::uuid, $2, $3, $4, $5, $6::jsonb, jsonb_build_object("
      "'userId', $7::text, 'correlationId', $8::text, 'causationId', $9::text, "
      "'tenantId', $1::text, "
      "'timestamp', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')), $10) "
      "RETURNING event_id::text, seq",
      tenant_id, event.type, event.source, event.aggregate_type, event.aggregate_id,
      event.payload_json, event.principal, event.correlation_id, event.causation_id, event.version);
  const auto event_id = row[0].as<std::string>();
  const auto seq = row[1].as<long long>();
  for (const auto& subscriber : distinct) {
    tx.exec_params(
        "INSERT INTO fk_event_deliveries (tenant_id, event_id, subscriber, seq, aggregate_type, "
        "aggregate_id) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6)",
        tenant_id, event_id, subscriber, seq, event.aggregate_type, event.aggregate_id);
  }
  // Delivered by PostgreSQL at commit only, and folded with identical
  // notifications of the same transaction.
  if (!distinct.empty()) tx.exec_params("SELECT pg_notify($1, $2)", kNotifyChannel, tenant_id);
  return event_id;
}

}  // namespace fk::events
