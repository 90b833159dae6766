#pragma once
// TOTP second factor (RFC 6238): enrol (a pending secret), confirm with a
// first code (enables it), disable with a current code, and the login-time
// check. A code is accepted once: its time step must be newer than the last
// accepted one, so a code seen over a shoulder cannot be replayed.
//
// Secrets are stored encrypted with the tenant's data key (docs/keys.md),
// purpose "users.totp_secret:<user id>", pending and confirmed alike; the
// column holds an `fkc1.` ciphertext, never the base32 text.

#include "auth/user_store.hpp"
#include "keys/tenant_keys.hpp"

#include <string>

namespace fk::auth {

struct TotpEnrolment {
  std::string secret_base32;
  std::string otpauth_uri;
};

// Where a user's TOTP secret is sealed: the tenant's key service (nullptr
// when the kernel has no master key) and the tenant of the transaction.
struct TotpKeys {
  keys::TenantKeyService* keys = nullptr;
  std::string tenant_id;
};

// Every function below throws AuthError 503 MASTER_KEY_UNAVAILABLE when
// `keys.keys` is null, and 409 TOTP_SECRET_UNREADABLE when the stored secret
// does not decrypt: moved from another row or tenant, altered (a security
// event, logged by the key service), under a retired or shredded key, or
// legacy plaintext written before secrets were encrypted (must re-enrol).

// Throws AuthError 409 TOTP_ALREADY_ENABLED.
TotpEnrolment begin_totp_enrolment(pqxx::transaction_base& tx, const TotpKeys& keys,
                                   const UserRecord& user, const std::string& issuer);
// Throws AuthError 409 TOTP_NOT_PENDING, 422 INVALID_TOTP.
void confirm_totp(pqxx::transaction_base& tx, const TotpKeys& keys, const UserRecord& user,
                  const std::string& code);
// Throws AuthError 409 TOTP_NOT_ENABLED, 422 INVALID_TOTP.
void disable_totp(pqxx::transaction_base& tx, const TotpKeys& keys, const UserRecord& user,
                  const std::string& code);

// True if `code` is valid now and newer than the last accepted step; records it.
bool accept_totp_code(pqxx::transaction_base& tx, const TotpKeys& keys, const UserRecord& user,
                      const std::string& code);

}  // namespace fk::auth
