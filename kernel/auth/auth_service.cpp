#include "auth/auth_service.hpp"

#include "audit/audit_log.hpp"
#include "auth/second_factor.hpp"
#include "auth/user_store.hpp"
#include "db/tenant_transaction.hpp"
#include "identity/jwt.hpp"
#include "identity/opaque_token.hpp"
#include "identity/password_hasher.hpp"
#include "identity/secure_random.hpp"
#include "log/json_log.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>
#include <regex>

namespace fk::auth {

namespace {

AuthError invalid_credentials() {
  return AuthError(401, "INVALID_CREDENTIALS", "invalid tenant, email or password");
}
AuthError invalid_refresh() {
  return AuthError(401, "INVALID_REFRESH_TOKEN", "refresh token is invalid or expired");
}

audit::AuditRecord auth_event(const ClientInfo& client, const std::string& action,
                              const std::string& outcome, const std::string& user_id,
                              nlohmann::json summary = nlohmann::json::object()) {
  audit::AuditRecord record;
  record.actor_type = user_id.empty() ? "anonymous" : "user";
  record.actor_id = user_id;
  record.action = action;
  record.resource = user_id.empty() ? "" : "users/" + user_id;
  record.outcome = outcome;
  record.request_id = client.request_id;
  record.client_address = client.address;
  record.summary = std::move(summary);
  return record;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string normalize_email(const std::string& email) {
  static const std::regex pattern(R"(^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,63}$)");
  std::string out = email;
  out.erase(0, out.find_first_not_of(" \t"));
  out.erase(out.find_last_not_of(" \t") + 1);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::regex_match(out, pattern) ? out : std::string();
}

AuthService::AuthService(db::ConnectionPool& pool, AuthPolicy policy,
                         identity::SigningKeyRing& keys,
                         std::shared_ptr<keys::TenantKeyService> tenant_keys)
    : pool_(pool), policy_(std::move(policy)), keys_(keys), tenant_keys_(std::move(tenant_keys)) {}

std::optional<std::string> AuthService::tenant_id_for(const std::string& slug) {
  auto connection = pool_.acquire();
  pqxx::nontransaction tx(connection.get());
  const auto rows = tx.exec_params("SELECT fk_active_tenant_id($1)::text", slug);
  if (rows.empty() || rows[0][0].is_null()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

TokenPair AuthService::issue_tokens(pqxx::transaction_base& tx, const std::string& tenant_id,
                                    const std::string& user_id, std::uint64_t token_version,
                                    const std::string& family_id) {
  const auto refresh = identity::issue_refresh_token();
  tx.exec_params(
      "INSERT INTO refresh_tokens (tenant_id, id, family_id, user_id, secret_hash, expires_at) "
      "VALUES (fk_current_tenant(), $1, $2::uuid, $3::uuid, $4, now() + make_interval(secs => $5))",
      refresh.lookup_id, family_id, user_id, refresh.hash,
      static_cast<long long>(policy_.refresh_ttl.count()));

  return TokenPair{sign("tenant", tenant_id, user_id, token_version), policy_.access_ttl.count(),
                   refresh.plaintext, policy_.refresh_ttl.count()};
}

std::string AuthService::sign(const std::string& realm, const std::string& tenant_id,
                              const std::string& subject, std::uint64_t token_version) const {
  identity::AccessClaims claims;
  claims.iss = policy_.issuer;
  claims.aud = policy_.audience;
  claims.sub = subject;
  claims.tid = tenant_id;
  claims.jti = identity::base64url_encode(identity::random_bytes(16));
  claims.iat = unix_now();
  claims.nbf = claims.iat;
  claims.exp = claims.iat + policy_.access_ttl.count();
  claims.ver = token_version;
  claims.realm = realm;
  return identity::sign_access_token(keys_, claims);
}

TokenPair AuthService::platform_login(const std::string& email, const std::string& password,
                                      const ClientInfo& client) {
  const auto params = identity::minimum_params();
  const auto normalized = normalize_email(email);
  auto connection = pool_.acquire();
  pqxx::work tx(connection.get());
  const auto rows = normalized.empty()
                        ? pqxx::result()
                        : tx.exec_params(
                              "SELECT id::text, password_hash, token_version, active, locked "
                              "FROM fk_platform_admin_for_login($1)",
                              normalized);
  if (rows.empty() || !rows[0][3].as<bool>() || rows[0][4].as<bool>() ||
      password.size() > policy_.password_max_length) {
    identity::verify_password(password, identity::dummy_hash(params));
    throw invalid_credentials();
  }
  const auto id = rows[0][0].as<std::string>();
  const auto hash = rows[0][1].as<std::string>();
  const bool ok = identity::verify_password(password, hash);
  std::optional<std::string> upgraded;
  if (ok && identity::needs_rehash(hash, params))
    upgraded = identity::hash_password(password, params);
  tx.exec_params("SELECT fk_platform_admin_login_outcome($1::uuid, $2, $3, $4, $5, $6)", id, ok,
                 upgraded ? upgraded->c_str() : nullptr, policy_.max_failures,
                 static_cast<int>(policy_.failure_window.count()),
                 static_cast<int>(policy_.lock_duration.count()));
  tx.commit();
  auto event = auth_event(client, ok ? "auth.platform.login" : "auth.platform.login.failed",
                          ok ? "success" : "failure", "");
  event.actor_type = "platform_admin";
  event.actor_id = id;
  audit::append_platform(pool_, event);
  if (!ok) throw invalid_credentials();
  return TokenPair{sign("platform", "", id, rows[0][2].as<std::uint64_t>()),
                   policy_.access_ttl.count(), "", 0};
}

TokenPair AuthService::login(const std::string& tenant_slug, const std::string& email,
                             const std::string& password,
                             const std::optional<std::string>& totp_code,
                             const ClientInfo& client) {
  const auto params = identity::minimum_params();
  const std::string normalized = normalize_email(email);
  const auto tenant_id = tenant_id_for(tenant_slug);
  // Equal work for every failure path: one Argon2id verification.
  const auto spend_equal_time = [&] {
    identity::verify_password(password, identity::dummy_hash(params));
  };
  if (!tenant_id || normalized.empty() || password.size() > policy_.password_max_length) {
    spend_equal_time();
    const nlohmann::json facts = {{"tenant", tenant_slug}, {"email", normalized}};
    if (tenant_id) {
      audit::append_standalone(pool_, *tenant_id,
                               auth_event(client, "auth.login.failed", "failure", "", facts));
    } else {
      audit::append_platform(pool_, auth_event(client, "auth.login.failed", "failure", "", facts));
    }
    throw invalid_credentials();
  }

  db::TenantTransaction transaction(pool_, *tenant_id);
  auto& tx = transaction.work();
  const auto user = find_user_by_email(tx, normalized, /*for_update=*/true);
  if (!user || user->status != "active" || user->locked) {
    spend_equal_time();
    if (user && user->locked) {
      log::warn("login refused: account locked", {{"tenantId", *tenant_id}, {"userId", user->id}});
    }
    const std::string reason = !user ? "unknown_user" : (user->locked ? "locked" : "disabled");
    audit::append(tx, auth_event(client, "auth.login.failed", "failure", user ? user->id : "",
                                 {{"email", normalized}, {"reason", reason}}));
    transaction.commit();
    throw invalid_credentials();
  }
  if (!identity::verify_password(password, user->password_hash)) {
    const bool locked_now =
        record_failed_login(tx, user->id, policy_.max_failures, policy_.failure_window.count(),
                            policy_.lock_duration.count());
    audit::append(tx, auth_event(client, locked_now ? "auth.account.locked" : "auth.login.failed",
                                 "failure", user->id, {{"reason", "wrong_password"}}));
    transaction.commit();  // the failure must count even though the request fails
    if (locked_now) {
      log::warn("account locked after repeated failed logins",
                {{"tenantId", *tenant_id}, {"userId", user->id}});
    }
    throw invalid_credentials();
  }

  if (user->totp_enabled) {
    if (!totp_code) throw AuthError(401, "TOTP_REQUIRED", "a one-time code is required");
    bool accepted = false;
    try {
      accepted = accept_totp_code(tx, {tenant_keys_.get(), *tenant_id}, *user, *totp_code);
    } catch (const AuthError& e) {
      // No master key, or a secret that does not decrypt: refused cleanly and
      // recorded, without counting against the user (not their mistake).
      audit::append(tx, auth_event(client, "auth.login.failed", "failure", user->id,
                                   {{"reason", "totp_unavailable"}, {"code", e.code()}}));
      transaction.commit();
      throw;
    }
    if (!accepted) {
      record_failed_login(tx, user->id, policy_.max_failures, policy_.failure_window.count(),
                          policy_.lock_duration.count());
      audit::append(tx, auth_event(client, "auth.login.failed", "failure", user->id,
                                   {{"reason", "wrong_totp"}}));
      transaction.commit();
      throw AuthError(401, "INVALID_TOTP", "the one-time code is not valid");
    }
  }

  std::optional<std::string> upgraded;
  if (identity::needs_rehash(user->password_hash, params)) {
    upgraded = identity::hash_password(password, params);
  }
  record_successful_login(tx, user->id, upgraded);
  const auto family = tx.exec("SELECT gen_random_uuid()::text")[0][0].as<std::string>();
  auto tokens = issue_tokens(tx, *tenant_id, user->id, user->token_version, family);
  audit::append(tx, auth_event(client, "auth.login", "success", user->id,
                               {{"family", family}, {"hashUpgraded", upgraded.has_value()}}));
  transaction.commit();
  return tokens;
}

TokenPair AuthService::refresh(const std::string& tenant_slug, const std::string& refresh_token,
                               const ClientInfo& client) {
  const auto parsed = identity::parse_secret(refresh_token, identity::kRefreshTokenPrefix);
  const auto tenant_id = tenant_id_for(tenant_slug);
  if (!parsed || !tenant_id) throw invalid_refresh();

  db::TenantTransaction transaction(pool_, *tenant_id);
  auto& tx = transaction.work();
  const auto rows = tx.exec_params(
      "SELECT family_id::text, user_id::text, secret_hash, spent_at IS NOT NULL, "
      "revoked_at IS NOT NULL, expires_at <= now() FROM refresh_tokens WHERE id = $1 FOR UPDATE",
      parsed->lookup_id);
  if (rows.empty() || !identity::secret_matches(*parsed, rows[0][2].as<std::string>())) {
    throw invalid_refresh();
  }
  const auto family = rows[0][0].as<std::string>();
  const auto user_id = rows[0][1].as<std::string>();
  if (rows[0][3].as<bool>() && !rows[0][4].as<bool>()) {
    // A spent token presented again: whoever holds the family is not the
    // only holder. Revoke every token descended from that login.
    tx.exec_params(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1::uuid AND revoked_at IS "
        "NULL",
        family);
    audit::append(tx, auth_event(client, "auth.refresh.reused", "failure", user_id,
                                 {{"family", family}, {"securityEvent", true}}));
    transaction.commit();
    log::warn("refresh token reuse detected; family revoked",
              {{"tenantId", *tenant_id}, {"userId", user_id}, {"familyId", family}});
    throw AuthError(401, "REFRESH_TOKEN_REUSED",
                    "refresh token was already used; every session of this login is revoked");
  }
  if (rows[0][3].as<bool>() || rows[0][4].as<bool>() || rows[0][5].as<bool>())
    throw invalid_refresh();

  const auto user = find_user(tx, user_id);
  if (!user || user->status != "active") throw invalid_refresh();
  tx.exec_params("UPDATE refresh_tokens SET spent_at = now() WHERE id = $1", parsed->lookup_id);
  auto tokens = issue_tokens(tx, *tenant_id, user_id, user->token_version, family);
  audit::append(tx, auth_event(client, "auth.refresh", "success", user_id, {{"family", family}}));
  transaction.commit();
  return tokens;
}

void AuthService::logout(const std::string& tenant_slug, const std::string& refresh_token,
                         const ClientInfo& client) {
  const auto parsed = identity::parse_secret(refresh_token, identity::kRefreshTokenPrefix);
  const auto tenant_id = tenant_id_for(tenant_slug);
  if (!parsed || !tenant_id) throw invalid_refresh();
  db::TenantTransaction transaction(pool_, *tenant_id);
  auto& tx = transaction.work();
  const auto rows = tx.exec_params(
      "SELECT family_id::text, secret_hash FROM refresh_tokens WHERE id = $1", parsed->lookup_id);
  if (rows.empty() || !identity::secret_matches(*parsed, rows[0][1].as<std::string>())) {
    throw invalid_refresh();
  }
  tx.exec_params(
      "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1::uuid AND revoked_at IS "
      "NULL",
      rows[0][0].as<std::string>());
  audit::append(tx, auth_event(client, "auth.logout", "success", "",
                               {{"family", rows[0][0].as<std::string>()}}));
  transaction.commit();
}

TokenIdentity AuthService::verify_access_token(const std::string& token) const {
  identity::VerifyOptions options;
  options.issuer = policy_.issuer;
  options.audience = policy_.audience;
  const auto result = identity::verify_access_token(keys_, token, options);
  if (!result.ok() || (result.claims->realm != "tenant" && result.claims->realm != "platform")) {
    throw AuthError(401, "INVALID_TOKEN", "access token is invalid or expired");
  }
  return TokenIdentity{result.claims->realm, result.claims->tid, result.claims->sub,
                       result.claims->ver};
}

}  // namespace fk::auth
