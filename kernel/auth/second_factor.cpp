#include "auth/second_factor.hpp"

#include "auth/auth_service.hpp"
#include "identity/secure_random.hpp"
#include "identity/totp.hpp"
#include "keys/encrypted_columns.hpp"
#include "log/json_log.hpp"

#include <chrono>

namespace fk::auth {

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

keys::TenantKeyService& require_keys(const TotpKeys& keys) {
  if (keys.keys == nullptr) {
    throw AuthError(503, "MASTER_KEY_UNAVAILABLE",
                    "second factors cannot be stored or checked: the kernel has no master key "
                    "(identity.master_key_file or FINKERNEL_MASTER_KEY; finkernel keys init)");
  }
  return *keys.keys;
}

// The user's raw TOTP secret, decrypted from the stored ciphertext.
std::string secret_of(pqxx::transaction_base& tx, const TotpKeys& keys, const UserRecord& user) {
  auto& service = require_keys(keys);
  if (user.totp_secret.rfind("fkc1.", 0) != 0) {
    // Written before secrets were encrypted. Not migrated (there was no
    // production data): the factor must be cleared and enrolled again.
    log::error("TOTP secret stored in plaintext (legacy); refusing it, the user must re-enrol",
               {{"tenantId", keys.tenant_id}, {"userId", user.id}});
    throw AuthError(409, "TOTP_SECRET_UNREADABLE",
                    "this account's second factor was stored in an obsolete form and must be "
                    "reset by an administrator");
  }
  try {
    const auto base32 =
        service.decrypt(tx, keys.tenant_id, keys::totp_secret_purpose(user.id), user.totp_secret);
    return identity::base32_decode(base32);
  } catch (const keys::KeyError& e) {
    // TamperedCiphertext is also logged by the key service as a security event.
    log::warn("security: TOTP secret does not decrypt", {{"event", "totp_secret_unreadable"},
                                                         {"tenantId", keys.tenant_id},
                                                         {"userId", user.id},
                                                         {"error", e.what()}});
    throw AuthError(409, "TOTP_SECRET_UNREADABLE",
                    "this account's second factor cannot be read; an administrator must reset it");
  }
}

// The matched step if `code` is valid (±1 step for clock drift) and newer than the last used.
std::optional<std::int64_t> fresh_step(pqxx::transaction_base& tx, const TotpKeys& keys,
                                       const UserRecord& user, const std::string& code) {
  if (user.totp_secret.empty()) return std::nullopt;
  const auto secret = secret_of(tx, keys, user);
  std::int64_t step = 0;
  if (!identity::totp_verify(secret, code, unix_now(), 1, 6, identity::TotpAlgorithm::sha1, 30,
                             &step)) {
    return std::nullopt;
  }
  if (user.totp_last_step && step <= *user.totp_last_step) return std::nullopt;
  return step;
}

}  // namespace

TotpEnrolment begin_totp_enrolment(pqxx::transaction_base& tx, const TotpKeys& keys,
                                   const UserRecord& user, const std::string& issuer) {
  if (user.totp_enabled) {
    throw AuthError(409, "TOTP_ALREADY_ENABLED",
                    "a second factor is already enabled; disable it first");
  }
  auto& service = require_keys(keys);
  // 160 bits, the RFC 4226 recommendation for HMAC-SHA1 secrets.
  const auto secret = identity::random_bytes(20);
  const auto encoded = identity::base32_encode(secret);
  set_pending_totp(
      tx, user.id,
      service.encrypt(tx, keys.tenant_id, keys::totp_secret_purpose(user.id), encoded));
  return {encoded, identity::otpauth_uri(issuer, user.email, secret)};
}

void confirm_totp(pqxx::transaction_base& tx, const TotpKeys& keys, const UserRecord& user,
                  const std::string& code) {
  if (user.totp_enabled || user.totp_secret.empty()) {
    throw AuthError(409, "TOTP_NOT_PENDING", "no second-factor enrolment is pending");
  }
  const auto step = fresh_step(tx, keys, user, code);
  if (!step) throw AuthError(422, "INVALID_TOTP", "the code is not valid");
  accept_totp_step(tx, user.id, *step, /*enable=*/true);
}

void disable_totp(pqxx::transaction_base& tx, const TotpKeys& keys, const UserRecord& user,
                  const std::string& code) {
  if (!user.totp_enabled) throw AuthError(409, "TOTP_NOT_ENABLED", "no second factor is enabled");
  if (!fresh_step(tx, keys, user, code)) {
    throw AuthError(422, "INVALID_TOTP", "the code is not valid");
  }
  clear_totp(tx, user.id);
}

bool accept_totp_code(pqxx::transaction_base& tx, const TotpKeys& keys, const UserRecord& user,
                      const std::string& code) {
  const auto step = fresh_step(tx, keys, user, code);
  if (!step) return false;
  accept_totp_step(tx, user.id, *step, /*enable=*/false);
  return true;
}

}  // namespace fk::auth
