#pragma once
// Tenant users in SQL. Every function runs inside the caller's tenant
// transaction, so row-level security scopes it; none names a tenant.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pqxx {
class transaction_base;
}

namespace fk::auth {

struct UserRecord {
  std::string id;
  std::string email;
  std::string display_name;
  std::string password_hash;
  std::string status;  // active | disabled
  std::uint64_t token_version = 0;
  int failed_logins = 0;
  bool locked = false;  // locked_until is in the future
  std::vector<std::string> roles;
  std::string created_at;
  bool totp_enabled = false;
  std::string totp_secret;  // fkc1. ciphertext of the base32 secret; empty when never enrolled
  std::optional<std::int64_t> totp_last_step;
};

// `for_update` locks the row so concurrent logins count failures exactly.
std::optional<UserRecord> find_user_by_email(pqxx::transaction_base& tx, const std::string& email,
                                             bool for_update);
std::optional<UserRecord> find_user(pqxx::transaction_base& tx, const std::string& user_id);
std::vector<UserRecord> list_users(pqxx::transaction_base& tx);

// Throws pqxx::unique_violation when the email is taken in this tenant.
UserRecord insert_user(pqxx::transaction_base& tx, const std::string& email,
                       const std::string& display_name, const std::string& password_hash,
                       const std::vector<std::string>& roles);

// Replaces the user's roles and bumps the token version (sessions re-check at their next request).
void replace_roles(pqxx::transaction_base& tx, const std::string& user_id,
                   const std::vector<std::string>& roles);
void set_status(pqxx::transaction_base& tx, const std::string& user_id, const std::string& status);

// Counts a failure; locks the account when `max_failures` fall within `window_seconds`.
// Returns true if this failure locked it.
bool record_failed_login(pqxx::transaction_base& tx, const std::string& user_id, int max_failures,
                         long long window_seconds, long long lock_seconds);
void record_successful_login(pqxx::transaction_base& tx, const std::string& user_id,
                             const std::optional<std::string>& upgraded_hash);
void unlock_user(pqxx::transaction_base& tx, const std::string& user_id);

// TOTP state: a pending secret (not yet enabled), enabling, the last accepted
// time step (replay guard), and removal.
// `sealed_secret` is the ciphertext (second_factor.cpp encrypts), never the secret.
void set_pending_totp(pqxx::transaction_base& tx, const std::string& user_id,
                      const std::string& sealed_secret);
void accept_totp_step(pqxx::transaction_base& tx, const std::string& user_id, std::int64_t step,
                      bool enable);
void clear_totp(pqxx::transaction_base& tx, const std::string& user_id);

}  // namespace fk::auth
