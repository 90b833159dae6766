#pragma once
// What the dispatcher delivers to: the plugin host (or a test double)
// implements EventSink. The dispatcher owns retries, ordering and dead
// letters; the sink only knows who subscribes and how to run one handler.

#include <pqxx/pqxx>

#include <cstdint>
#include <string>
#include <vector>

namespace fk::events {

// One delivery of one event, in the envelope's terms.
struct DeliveredEvent {
  std::string id;  // eventId, stable across redeliveries: deduplicate on it
  std::string type;
  std::string source;
  std::string aggregate_type;
  std::string aggregate_id;
  std::string payload_json;
  std::string principal;       // metadata.userId
  std::string correlation_id;  // metadata.correlationId
  std::string causation_id;    // metadata.causationId
  std::string occurred_at;     // RFC 3339 UTC, metadata.timestamp
  std::int64_t occurred_at_ms = 0;
  int version = 1;
  int attempt = 1;  // 1 on first delivery
};

struct DeliveryOutcome {
  bool ok = false;
  std::string error;  // why not, when !ok (stored as last_error)
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  // The subscribers of `type`, at publication time (plugin names).
  [[nodiscard]] virtual std::vector<std::string> subscribers_of(const std::string& type) const = 0;
  // Runs `subscriber`'s handler in `tx`, a tenant transaction the dispatcher
  // opened (fk.tenant_id = tenant_id) and commits iff the outcome is ok; the
  // handler's writes are rolled back otherwise. Must not commit or abort
  // `tx`, and should not throw (the dispatcher also catches: a throw counts
  // as a failed attempt).
  virtual DeliveryOutcome deliver(const std::string& subscriber, pqxx::dbtransaction& tx,
                                  const std::string& tenant_id, const DeliveredEvent& event) = 0;
};

}  // namespace fk::events
