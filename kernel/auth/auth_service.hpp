#pragma once
// Authentication: password login with lockout, access tokens (Ed25519 JWT),
// refresh-token rotation with reuse detection, logout, and bearer-token
// verification for the request pipeline. No HTTP here: failures are
// AuthError with a stable code the API layer maps to a status.

#include "auth/auth_policy.hpp"
#include "authz/rbac_policy.hpp"
#include "db/connection_pool.hpp"
#include "identity/signing_key_ring.hpp"
#include "keys/tenant_keys.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace fk::auth {

class AuthError : public std::runtime_error {
 public:
  AuthError(int status, std::string code, const std::string& message)
      : std::runtime_error(message), status_(status), code_(std::move(code)) {}
  [[nodiscard]] int status() const { return status_; }
  [[nodiscard]] const std::string& code() const { return code_; }

 private:
  int status_;
  std::string code_;
};

struct TokenPair {
  std::string access_token;
  std::int64_t access_expires_in = 0;  // seconds
  std::string refresh_token;
  std::int64_t refresh_expires_in = 0;
};

// Who a verified access token says is calling.
struct TokenIdentity {
  std::string realm;      // "tenant" or "platform"
  std::string tenant_id;  // empty for the platform realm
  std::string user_id;
  std::uint64_t token_version = 0;
};

// Where an authentication event came from, for its audit record.
struct ClientInfo {
  std::string request_id;
  std::string address;
};

class AuthService {
 public:
  // `tenant_keys` encrypts TOTP secrets; nullptr (no master key configured)
  // leaves everything working except second factors (503 MASTER_KEY_UNAVAILABLE).
  AuthService(db::ConnectionPool& pool, AuthPolicy policy, identity::SigningKeyRing& keys,
              std::shared_ptr<keys::TenantKeyService> tenant_keys = nullptr);

  // Unknown tenant, unknown user, wrong password and locked account all
  // answer the same 401 INVALID_CREDENTIALS after about the same work.
  // With TOTP enrolled, a correct password without a code is 401
  // TOTP_REQUIRED; a wrong or replayed code is 401 INVALID_TOTP and counts
  // as a failed login. A stored secret that does not decrypt is 409
  // TOTP_SECRET_UNREADABLE, and no master key 503 MASTER_KEY_UNAVAILABLE
  // (audited, not counted towards lockout).
  // Every outcome is audited: successes and failures in the tenant's chain
  // (failures of unknown tenants in the platform chain), lockouts and refresh
  // reuse as security events.
  TokenPair login(const std::string& tenant_slug, const std::string& email,
                  const std::string& password, const std::optional<std::string>& totp_code = {},
                  const ClientInfo& client = {});
  TokenPair refresh(const std::string& tenant_slug, const std::string& refresh_token,
                    const ClientInfo& client = {});
  void logout(const std::string& tenant_slug, const std::string& refresh_token,
              const ClientInfo& client = {});

  // Platform administrators: same password and lockout rules, no tenant,
  // an access token only (no refresh: platform sessions are short by design).
  TokenPair platform_login(const std::string& email, const std::string& password,
                           const ClientInfo& client = {});

  // Verifies signature and claims only (no database); throws AuthError 401.
  TokenIdentity verify_access_token(const std::string& token) const;

  [[nodiscard]] const AuthPolicy& policy() const { return policy_; }
  // The per-tenant key service; nullptr when the kernel has no master key.
  [[nodiscard]] keys::TenantKeyService* tenant_keys() const { return tenant_keys_.get(); }

 private:
  std::optional<std::string> tenant_id_for(const std::string& slug);
  std::string sign(const std::string& realm, const std::string& tenant_id,
                   const std::string& subject, std::uint64_t token_version) const;
  TokenPair issue_tokens(pqxx::transaction_base& tx, const std::string& tenant_id,
                         const std::string& user_id, std::uint64_t token_version,
                         const std::string& family_id);

  db::ConnectionPool& pool_;
  AuthPolicy policy_;
  identity::SigningKeyRing& keys_;
  std::shared_ptr<keys::TenantKeyService> tenant_keys_;
};

// Email as stored: trimmed and lower-cased; empty if it is not plausibly an address.
std::string normalize_email(const std::string& email);

}  // namespace fk::auth
