#pragma once
// TOTP second factor (RFC 6238): enrol (a pending secret), confirm with a
// first code (enables it), disable with a current code, and the login-time
// check. A code is accepted once: its time step must be newer than the last
// accepted one, so a code seen over a shoulder cannot be replayed.

#include "auth/user_store.hpp"

#include <string>

namespace fk::auth {

struct TotpEnrolment {
  std::string secret_base32;
  std::string otpauth_uri;
};

// Throws AuthError 409 TOTP_ALREADY_ENABLED.
TotpEnrolment begin_totp_enrolment(pqxx::transaction_base& tx, const UserRecord& user,
                                   const std::string& issuer);
// Throws AuthError 409 TOTP_NOT_PENDING, 422 INVALID_TOTP.
void confirm_totp(pqxx::transaction_base& tx, const UserRecord& user, const std::string& code);
// Throws AuthError 409 TOTP_NOT_ENABLED, 422 INVALID_TOTP.
void disable_totp(pqxx::transaction_base& tx, const UserRecord& user, const std::string& code);

// True if `code` is valid now and newer than the last accepted step; records it.
bool accept_totp_code(pqxx::transaction_base& tx, const UserRecord& user, const std::string& code);

}  // namespace fk::auth
