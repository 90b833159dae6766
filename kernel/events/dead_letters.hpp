#pragma once
// Dead letters: deliveries that failed max_attempts times (status 'dead' in
// fk_event_deliveries). An administrator lists them and replays one after
// fixing its cause; replay puts it back to pending with attempts reset.
// Both run in a tenant transaction of the tenant concerned (fk.tenant_id set).

#include <pqxx/pqxx>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fk::events {

struct DeadLetter {
  std::string event_id;
  std::string subscriber;
  std::string type;
  std::string source;
  std::string aggregate_type;
  std::string aggregate_id;
  std::string payload_json;
  std::string metadata_json;  // {userId, timestamp, correlationId, causationId, tenantId}
  std::string last_error;
  std::string occurred_at;  // RFC 3339 UTC
  std::string dead_at;      // RFC 3339 UTC
  std::int64_t seq = 0;     // the event's publication order in its tenant
  int version = 1;
  int attempts = 0;
  int replays = 0;  // how often it was replayed before
};

// Keyset position: the (seq, subscriber) of the last dead letter seen.
struct DeadLetterCursor {
  std::int64_t seq = 0;
  std::string subscriber;
};

// Dead letters of the transaction's tenant in publication order, after
// `after`; `limit` is clamped to 1..500.
std::vector<DeadLetter> list_dead_letters(pqxx::transaction_base& tx, std::size_t limit,
                                          const std::optional<DeadLetterCursor>& after = {});

// Moves the dead delivery (event_id, subscriber) back to pending, due now,
// attempts reset to 0, and notifies the dispatcher on commit. Returns false
// when no such dead delivery exists (unknown, malformed id, or not dead).
bool replay(pqxx::transaction_base& tx, const std::string& event_id, const std::string& subscriber);

// Whether `text` is a canonical lower- or upper-case UUID.
bool is_uuid(const std::string& text);

}  // namespace fk::events
