#include "events/dead_letters.hpp"

#include "events/delivery_sql.hpp"
#include "events/outbox.hpp"

#include <algorithm>
#include <regex>

namespace fk::events {

bool is_uuid(const std::string& text) {
  static const std::regex pattern(
      "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
  return std::regex_match(text, pattern);
}

std::vector<DeadLetter> list_dead_letters(pqxx::transaction_base& tx, std::size_t limit,
                                          const std::optional<DeadLetterCursor>& after) {
  const auto clamped = static_cast<long long>(std::clamp<std::size_t>(limit, 1, 500));
  const std::string columns =
      std::string(
          "SELECT d.event_id::text, d.subscriber, o.type, o.source, o.aggregate_type, "
          "o.aggregate_id, o.payload::text, o.metadata::text, d.last_error, "
          "to_char(o.occurred_at AT TIME ZONE 'UTC', ") +
      sql::kRfc3339 + "), to_char(d.dead_at AT TIME ZONE 'UTC', " + sql::kRfc3339 +
      "), d.seq, o.version, d.attempts, d.replays "
      "FROM fk_event_deliveries d JOIN fk_outbox o "
      "ON o.tenant_id = d.tenant_id AND o.event_id = d.event_id WHERE d.status = 'dead' ";
  const std::string order = " ORDER BY d.seq, d.subscriber LIMIT $1";
  const auto rows =
      after ? tx.exec_params(columns + "AND (d.seq, d.subscriber) > ($2, $3)" + order, clamped,
                             static_cast<long long>(after->seq), after->subscriber)
            : tx.exec_params(columns + order, clamped);
  std::vector<DeadLetter> letters;
  letters.reserve(rows.size());
  for (const auto& row : rows) {
    DeadLetter letter;
    letter.event_id = row[0].as<std::string>();
    letter.subscriber = row[1].as<std::string>();
    letter.type = row[2].as<std::string>();
    letter.source = row[3].as<std::string>();
    letter.aggregate_type = row[4].as<std::string>();
    letter.aggregate_id = row[5].as<std::string>();
    letter.payload_json = row[6].as<std::string>();
    letter.metadata_json = row[7].as<std::string>();
    letter.last_error = row[8].as<std::string>();
    letter.occurred_at = row[9].as<std::string>();
    letter.dead_at = row[10].as<std::string>();
    letter.seq = row[11].as<long long>();
    letter.version = row[12].as<int>();
    letter.attempts = row[13].as<int>();
    letter.replays = row[14].as<int>();
    letters.push_back(std::move(letter));
  }
  return letters;
}

bool replay(pqxx::transaction_base& tx, const std::string& event_id,
            const std::string& subscriber) {
  if (!is_uuid(event_id)) return false;
  const auto updated = tx.exec_params(
      "UPDATE fk_event_deliveries SET status = 'pending', attempts = 0, dead_at = NULL, "
      "next_attempt_at = now(), replays = replays + 1 "
      "WHERE event_id = $1::uuid AND subscriber = $2 AND status = 'dead' "
      "RETURNING tenant_id::text",
      event_id, subscriber);
  if (updated.empty()) return false;
  tx.exec_params("SELECT pg_notify($1, $2)", kNotifyChannel, updated[0][0].as<std::string>());
  return true;
}

}  // namespace fk::events
