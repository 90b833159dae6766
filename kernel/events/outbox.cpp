#include "events/outbox.hpp"

#include "db/prepared.hpp"

#include <nlohmann/json.hpp>

#include <set>
#include <stdexcept>

namespace fk::events {

namespace {

void require(bool condition, const std::string& message) {
  if (!condition) throw std::invalid_argument("event not published: " + message);
}

}  // namespace

OutgoingEvent prepare(const EventToPublish& event, const std::vector<std::string>& subscribers) {
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
  return OutgoingEvent{event, std::vector<std::string>(distinct.begin(), distinct.end())};
}

db::Statement publish_statement(const std::string& tenant_id,
                                const std::vector<OutgoingEvent>& events) {
  // One array parameter; the function writes every row (migration 0010,
  // fk_outbox_publish). The payload stays text until PostgreSQL parses it,
  // as it would a payload bound on its own (no number rewritten on the way).
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& outgoing : events) {
    const auto& event = outgoing.event;
    rows.push_back({{"type", event.type},
                    {"source", event.source},
                    {"aggregateType", event.aggregate_type},
                    {"aggregateId", event.aggregate_id},
                    {"payloadText", event.payload_json},
                    {"version", event.version},
                    {"principal", event.principal},
                    {"correlationId", event.correlation_id},
                    {"causationId", event.causation_id},
                    {"subscribers", outgoing.subscribers}});
  }
  return db::Statement{"SELECT fk_outbox_publish($1::uuid, $2::jsonb)::text",
                       {tenant_id, rows.dump()}};
}

std::vector<std::string> publish_all(pqxx::transaction_base& tx, const std::string& tenant_id,
                                     const std::vector<OutgoingEvent>& events) {
  std::vector<std::string> ids;
  if (events.empty()) return ids;
  const auto rows = db::exec(tx, publish_statement(tenant_id, events));
  for (const auto& row : rows) ids.push_back(row[0].as<std::string>());
  return ids;
}

std::string publish(pqxx::transaction_base& tx, const std::string& tenant_id,
                    const EventToPublish& event, const std::vector<std::string>& subscribers) {
  return publish_all(tx, tenant_id, {prepare(event, subscribers)}).front();
}

}  // namespace fk::events
