#include "approvals/approval_store.hpp"

#include <pqxx/pqxx>

namespace fk::approvals {

namespace {

constexpr const char* kColumns =
    "id::text, action, request::text, maker_id::text, status, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "coalesce(decided_by::text, ''), coalesce(result::text, 'null'), expires_at <= now()";

PendingAction from_row(const pqxx::row& row) {
  PendingAction action;
  action.id = row[0].as<std::string>();
  action.action = row[1].as<std::string>();
  action.request = nlohmann::json::parse(row[2].as<std::string>());
  action.maker_id = row[3].as<std::string>();
  action.status = row[4].as<std::string>();
  action.created_at = row[5].as<std::string>();
  action.expires_at = row[6].as<std::string>();
  action.decided_by = row[7].as<std::string>();
  action.result = nlohmann::json::parse(row[8].as<std::string>());
  // Expiry is read as of now even before a decision marks it.
  if (action.status == "pending" && row[9].as<bool>()) action.status = "expired";
  return action;
}

}  // namespace

PendingAction submit(pqxx::transaction_base& tx, const std::string& action,
                     const nlohmann::json& request, const std::string& maker_id,
                     long long expires_seconds) {
  return from_row(tx.exec_params1(
      std::string("INSERT INTO approvals (tenant_id, action, request, maker_id, expires_at) "
                  "VALUES (fk_current_tenant(), $1, $2::jsonb, $3::uuid, "
                  "now() + make_interval(secs => $4)) RETURNING ") +
          kColumns,
      action, request.dump(), maker_id, expires_seconds));
}

std::vector<PendingAction> list(pqxx::transaction_base& tx, const std::string& status_filter) {
  std::vector<PendingAction> actions;
  const auto rows = status_filter.empty()
                        ? tx.exec(std::string("SELECT ") + kColumns +
                                  " FROM approvals ORDER BY created_at DESC LIMIT 500")
                        : tx.exec_params(std::string("SELECT ") + kColumns +
                                             " FROM approvals WHERE status = $1 "
                                             "ORDER BY created_at DESC LIMIT 500",
                                         status_filter);
  for (const auto& row : rows) actions.push_back(from_row(row));
  return actions;
}

std::optional<PendingAction> find(pqxx::transaction_base& tx, const std::string& id) {
  const auto rows =
      tx.exec_params(std::string("SELECT ") + kColumns + " FROM approvals WHERE id = $1::uuid", id);
  if (rows.empty()) return std::nullopt;
  return from_row(rows[0]);
}

PendingAction claim(pqxx::transaction_base& tx, const std::string& id,
                    const std::string& checker_id) {
  const auto rows = tx.exec_params(
      std::string("SELECT ") + kColumns + " FROM approvals WHERE id = $1::uuid FOR UPDATE", id);
  if (rows.empty()) throw DecisionError(404, "APPROVAL_NOT_FOUND", "no such approval");
  auto action = from_row(rows[0]);
  if (action.status == "expired") {
    throw DecisionError(409, "APPROVAL_EXPIRED", "this approval expired before a decision");
  }
  if (action.status != "pending") {
    throw DecisionError(409, "APPROVAL_NOT_PENDING", "this approval was already " + action.status);
  }
  if (action.maker_id == checker_id) {
    throw DecisionError(403, "MAKER_CANNOT_DECIDE", "the maker of an action cannot decide on it");
  }
  return action;
}

void conclude(pqxx::transaction_base& tx, const std::string& id, const std::string& status,
              const std::string& checker_id, const nlohmann::json& result) {
  tx.exec_params(
      "UPDATE approvals SET status = $2, decided_by = $3::uuid, decided_at = now(), "
      "result = $4::jsonb WHERE id = $1::uuid",
      id, status, checker_id, result.dump());
}

}  // namespace fk::approvals
