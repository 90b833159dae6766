#pragma once
// Tenant lifecycle for platform administration (CLI now, admin API later).
// Uses the owner role: the tenants table is not readable by the runtime role.

#include "tenancy/tenant.hpp"

#include <stdexcept>
#include <string>
#include <vector>

namespace fk::tenancy {

// A request the caller can correct (bad slug, unknown tenant, duplicate).
class TenantAdminError : public std::runtime_error {
 public:
  TenantAdminError(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  [[nodiscard]] const std::string& code() const { return code_; }

 private:
  std::string code_;
};

class TenantAdmin {
 public:
  explicit TenantAdmin(std::string owner_url);

  Tenant create(const std::string& slug, const std::string& display_name);
  std::vector<Tenant> list();
  Tenant show(const std::string& slug_or_id);
  Tenant suspend(const std::string& slug_or_id);
  Tenant resume(const std::string& slug_or_id);
  // Marks the tenant deleted (its requests then get 404) and, in the same
  // transaction, destroys its data keys: its ciphertexts become unreadable
  // (crypto-shredding; see docs/keys.md for backups). Rows stay as ciphertext.
  Tenant remove(const std::string& slug_or_id);

 private:
  Tenant set_status(const std::string& slug_or_id, TenantStatus from, TenantStatus to);
  std::string owner_url_;
};

// Slug rule shared with the database CHECK constraint; empty if valid, else why not.
std::string slug_problem(const std::string& slug);

}  // namespace fk::tenancy
