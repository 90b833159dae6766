#pragma once
// policies/auth.yaml: token lifetimes, lockout and password rules.

#include <chrono>
#include <set>
#include <string>

namespace fk::auth {

struct AuthPolicy {
  std::string issuer = "finkernel";
  std::string audience = "finkernel-api";
  std::chrono::seconds access_ttl{900};
  std::chrono::seconds refresh_ttl{604800};
  std::chrono::seconds signing_key_overlap{1800};
  int max_failures = 5;
  std::chrono::seconds failure_window{900};
  std::chrono::seconds lock_duration{1800};
  std::size_t password_min_length = 12;
  std::size_t password_max_length = 128;
  std::set<std::string> common_passwords;  // lower-cased

  // Throws std::runtime_error naming file:line and the key at fault.
  static AuthPolicy load(const std::string& path);

  // Empty if acceptable, else why not (never echoes the password).
  [[nodiscard]] std::string password_problem(const std::string& password,
                                             const std::string& email) const;
};

}  // namespace fk::auth
