#include "auth/second_factor.hpp"

#include "auth/auth_service.hpp"
#include "identity/secure_random.hpp"
#include "identity/totp.hpp"

#include <chrono>

namespace fk::auth {

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The matched step if `code` is valid (±1 step for clock drift) and newer than the last used.
std::optional<std::int64_t> fresh_step(const UserRecord& user, const std::string& code) {
  if (user.totp_secret.empty()) return std::nullopt;
  std::string secret;
  try {
    secret = identity::base32_decode(user.totp_secret);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  std::int64_t step = 0;
  if (!identity::totp_verify(secret, code, unix_now(), 1, 6, identity::TotpAlgorithm::sha1, 30,
                             &step)) {
    return std::nullopt;
  }
  if (user.totp_last_step && step <= *user.totp_last_step) return std::nullopt;
  return step;
}

}  // namespace

TotpEnrolment begin_totp_enrolment(pqxx::transaction_base& tx, const UserRecord& user,
                                   const std::string& issuer) {
  if (user.totp_enabled) {
    throw AuthError(409, "TOTP_ALREADY_ENABLED",
                    "a second factor is already enabled; disable it first");
  }
  // 160 bits, the RFC 4226 recommendation for HMAC-SHA1 secrets.
  const auto secret = identity::random_bytes(20);
  const auto encoded = identity::base32_encode(secret);
  set_pending_totp(tx, user.id, encoded);
  return {encoded, identity::otpauth_uri(issuer, user.email, secret)};
}

void confirm_totp(pqxx::transaction_base& tx, const UserRecord& user, const std::string& code) {
  if (user.totp_enabled || user.totp_secret.empty()) {
    throw AuthError(409, "TOTP_NOT_PENDING", "no second-factor enrolment is pending");
  }
  const auto step = fresh_step(user, code);
  if (!step) throw AuthError(422, "INVALID_TOTP", "the code is not valid");
  accept_totp_step(tx, user.id, *step, /*enable=*/true);
}

void disable_totp(pqxx::transaction_base& tx, const UserRecord& user, const std::string& code) {
  if (!user.totp_enabled) throw AuthError(409, "TOTP_NOT_ENABLED", "no second factor is enabled");
  if (!fresh_step(user, code)) throw AuthError(422, "INVALID_TOTP", "the code is not valid");
  clear_totp(tx, user.id);
}

bool accept_totp_code(pqxx::transaction_base& tx, const UserRecord& user, const std::string& code) {
  const auto step = fresh_step(user, code);
  if (!step) return false;
  accept_totp_step(tx, user.id, *step, /*enable=*/false);
  return true;
}

}  // namespace fk::auth
