#include "auth/user_store.hpp"
#include "common/split.hpp"
#include "db/prepared.hpp"

#include <pqxx/pqxx>

namespace fk::auth {

namespace {

constexpr const char* kUserColumns =
    "u.id::text, u.email, u.display_name, u.password_hash, u.status, u.token_version, "
    "u.failed_logins, coalesce(u.locked_until > now(), false), "
    "coalesce((SELECT array_to_string(array_agg(r.role ORDER BY r.role), ',') FROM role_bindings r "
    "          WHERE r.tenant_id = u.tenant_id AND r.user_id = u.id), ''), "
    "to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
    "u.totp_enabled, coalesce(u.totp_secret, ''), u.totp_last_step";

UserRecord from_row(const pqxx::row& row) {
  UserRecord user;
  user.id = row[0].as<std::string>();
  user.email = row[1].as<std::string>();
  user.display_name = row[2].as<std::string>();
  user.password_hash = row[3].as<std::string>();
  user.status = row[4].as<std::string>();
  user.token_version = row[5].as<std::uint64_t>();
  user.failed_logins = row[6].as<int>();
  user.locked = row[7].as<bool>();
  user.roles = split_commas(row[8].as<std::string>());
  user.created_at = row[9].as<std::string>();
  user.totp_enabled = row[10].as<bool>();
  user.totp_secret = row[11].as<std::string>();
  if (!row[12].is_null()) user.totp_last_step = row[12].as<std::int64_t>();
  return user;
}

void insert_roles(pqxx::transaction_base& tx, const std::string& user_id,
                  const std::vector<std::string>& roles) {
  for (const auto& role : roles) {
    tx.exec_params(
        "INSERT INTO role_bindings (tenant_id, user_id, role) VALUES (fk_current_tenant(), $1, $2) "
        "ON CONFLICT DO NOTHING",
        user_id, role);
  }
}

}  // namespace

std::optional<UserRecord> find_user_by_email(pqxx::transaction_base& tx, const std::string& email,
                                             bool for_update) {
  const auto rows =
      tx.exec_params(std::string("SELECT ") + kUserColumns + " FROM users u WHERE u.email = $1" +
                         (for_update ? " FOR UPDATE OF u" : ""),
                     email);
  if (rows.empty()) return std::nullopt;
  return from_row(rows[0]);
}

std::optional<UserRecord> find_user(pqxx::transaction_base& tx, const std::string& user_id) {
  // Read on every authenticated request (immediate revocation): prepared,
  // so it is planned once per connection.
  static const std::string sql =
      std::string("SELECT ") + kUserColumns + " FROM users u WHERE u.id = $1::uuid";
  const auto rows = db::exec_prepared_cached(tx, sql, {user_id.c_str()});
  if (rows.empty()) return std::nullopt;
  return from_row(rows[0]);
}

std::vector<UserRecord> list_users(pqxx::transaction_base& tx) {
  std::vector<UserRecord> users;
  for (const auto& row :
       tx.exec(std::string("SELECT ") + kUserColumns + " FROM users u ORDER BY u.email")) {
    users.push_back(from_row(row));
  }
  return users;
}

UserRecord insert_user(pqxx::transaction_base& tx, const std::string& email,
                       const std::string& display_name, const std::string& password_hash,
                       const std::vector<std::string>& roles) {
  const auto id = tx.exec_params1(
                        "INSERT INTO users (tenant_id, email, display_name, password_hash) "
                        "VALUES (fk_current_tenant(), $1, $2, $3) RETURNING id::text",
                        email, display_name, password_hash)[0]
                      .as<std::string>();
  insert_roles(tx, id, roles);
  return *find_user(tx, id);
}

void replace_roles(pqxx::transaction_base& tx, const std::string& user_id,
                   const std::vector<std::string>& roles) {
  tx.exec_params("DELETE FROM role_bindings WHERE user_id = $1::uuid", user_id);
  insert_roles(tx, user_id, roles);
  tx.exec_params(
      "UPDATE users SET token_version = token_version + 1, updated_at = now() WHERE id = $1::uuid",
      user_id);
}

void set_status(pqxx::transaction_base& tx, const std::string& user_id, const std::string& status) {
  tx.exec_params(
      "UPDATE users SET status = $2, token_version = token_version + 1, updated_at = now() "
      "WHERE id = $1::uuid",
      user_id, status);
}

bool record_failed_login(pqxx::transaction_base& tx, const std::string& user_id, int max_failures,
                         long long window_seconds, long long lock_seconds) {
  // A failure outside the window starts a new count; reaching the limit locks
  // the account and resets the count for the period after the lock.
  const auto row = tx.exec_params1(
      "UPDATE users SET "
      "  failed_logins = CASE WHEN first_failed_at IS NULL "
      "                        OR first_failed_at < now() - make_interval(secs => $2) "
      "                       THEN 1 ELSE failed_logins + 1 END, "
      "  first_failed_at = CASE WHEN first_failed_at IS NULL "
      "                          OR first_failed_at < now() - make_interval(secs => $2) "
      "                         THEN now() ELSE first_failed_at END "
      "WHERE id = $1::uuid RETURNING failed_logins",
      user_id, window_seconds);
  if (row[0].as<int>() < max_failures) return false;
  tx.exec_params(
      "UPDATE users SET locked_until = now() + make_interval(secs => $2), failed_logins = 0, "
      "first_failed_at = NULL WHERE id = $1::uuid",
      user_id, lock_seconds);
  return true;
}

void record_successful_login(pqxx::transaction_base& tx, const std::string& user_id,
                             const std::optional<std::string>& upgraded_hash) {
  if (upgraded_hash) {
    tx.exec_params(
        "UPDATE users SET failed_logins = 0, first_failed_at = NULL, locked_until = NULL, "
        "password_hash = $2, updated_at = now() WHERE id = $1::uuid",
        user_id, *upgraded_hash);
  } else {
    tx.exec_params(
        "UPDATE users SET failed_logins = 0, first_failed_at = NULL, locked_until = NULL "
        "WHERE id = $1::uuid AND (failed_logins <> 0 OR locked_until IS NOT NULL)",
        user_id);
  }
}

void unlock_user(pqxx::transaction_base& tx, const std::string& user_id) {
  tx.exec_params(
      "UPDATE users SET failed_logins = 0, first_failed_at = NULL, locked_until = NULL, "
      "updated_at = now() WHERE id = $1::uuid",
      user_id);
}

void set_pending_totp(pqxx::transaction_base& tx, const std::string& user_id,
                      const std::string& sealed_secret) {
  tx.exec_params(
      "UPDATE users SET totp_secret = $2, totp_enabled = false, totp_last_step = NULL, "
      "updated_at = now() WHERE id = $1::uuid",
      user_id, sealed_secret);
}

void accept_totp_step(pqxx::transaction_base& tx, const std::string& user_id, std::int64_t step,
                      bool enable) {
  tx.exec_params(
      "UPDATE users SET totp_last_step = $2, totp_enabled = totp_enabled OR $3 WHERE id = $1::uuid",
      user_id, step, enable);
}

void clear_totp(pqxx::transaction_base& tx, const std::string& user_id) {
  tx.exec_params(
      "UPDATE users SET totp_secret = NULL, totp_enabled = false, totp_last_step = NULL, "
      "token_version = token_version + 1, updated_at = now() WHERE id = $1::uuid",
      user_id);
}

}  // namespace fk::auth
