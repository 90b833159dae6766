#include "events/outbox.hpp"

#include "db/prepared.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <stdexcept>

namespace fk::events {

namespace {

void require(bool condition, const std::string& message) {
  if (!condition) throw std::invalid_argument("event not published: " + message);
}

}  // namespace

bool is_json_object(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  // accept() checks the whole text without building it (a SAX pass).
  return first != std::string_view::npos && text[first] == '{' &&
         nlohmann::json::accept(text.begin(), text.end());
}

OutgoingEvent prepare(EventToPublish event, const std::vector<std::string>& subscribers) {
  require(!event.type.empty(), "the event type is empty");
  require(!event.source.empty(), "the source of event \"" + event.type + "\" is empty");
  require(event.version >= 1, "event \"" + event.type + "\" has version " +
                                  std::to_string(event.version) + " (must be >= 1)");
  // Checked here, not only by the table's CHECK, so the publisher gets a
  // message naming the event instead of a SQL error. publish_statement
  // relies on it: it writes the payload into its JSON as it is.
  require(is_json_object(event.payload_json),
          "the payload of event \"" + event.type + "\" is not a JSON object");
  std::set<std::string> distinct;
  for (const auto& subscriber : subscribers) {
    require(!subscriber.empty(), "event \"" + event.type + "\" names an empty subscriber");
    distinct.insert(subscriber);
  }
  return OutgoingEvent{std::move(event),
                       std::vector<std::string>(distinct.begin(), distinct.end())};
}

namespace {

// Appends `"key":<value>` to a JSON object being written, with the comma
// before every member but its first. `raw` is JSON text already checked.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  ~ObjectWriter() { out_ += '}'; }
  ObjectWriter(const ObjectWriter&) = delete;
  ObjectWriter& operator=(const ObjectWriter&) = delete;

  void raw(std::string_view key, std::string_view json_text) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += key;
    out_ += "\":";
    out_ += json_text;
  }
  void string(std::string_view key, const std::string& value) {
    // Ids, types and names are plain ASCII: quoted as they are. Anything
    // else (quotes, control characters, UTF-8) is escaped by the library.
    const bool plain = std::all_of(value.begin(), value.end(), [](unsigned char c) {
      return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
    });
    if (!plain) return raw(key, nlohmann::json(value).dump());
    raw(key, "\"");
    out_ += value;
    out_ += '"';
  }

 private:
  std::string& out_;
  bool first_ = true;
};

}  // namespace

db::Statement publish_statement(const std::string& tenant_id,
                                const std::vector<OutgoingEvent>& events) {
  // One array parameter; the function writes every row (fk_outbox_publish,
  // migrations 0010 and 0011). Each payload goes in as the text the
  // publisher wrote -- prepare() checked that it is one JSON object -- so
  // PostgreSQL parses it once, as it would a payload bound on its own, and
  // no number is rewritten on the way.
  std::size_t size = 2;
  for (const auto& outgoing : events) size += outgoing.event.payload_json.size() + 400;
  std::string rows;
  rows.reserve(size);
  rows += '[';
  for (const auto& outgoing : events) {
    const auto& event = outgoing.event;
    if (rows.size() > 1) rows += ',';
    ObjectWriter row(rows);
    row.string("type", event.type);
    row.string("source", event.source);
    row.string("aggregateType", event.aggregate_type);
    row.string("aggregateId", event.aggregate_id);
    row.raw("version", std::to_string(event.version));
    row.string("principal", event.principal);
    row.string("correlationId", event.correlation_id);
    row.string("causationId", event.causation_id);
    row.raw("subscribers", nlohmann::json(outgoing.subscribers).dump());
    row.raw("payload", event.payload_json);
  }
  rows += ']';
  return db::Statement{"SELECT fk_outbox_publish($1::uuid, $2::jsonb)::text",
                       {tenant_id, std::move(rows)}};
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
