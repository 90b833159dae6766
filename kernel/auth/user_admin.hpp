#pragma once
// Creating users and changing their roles, with every rule checked in one
// place for the API and the CLI alike: email shape, password policy, and
// roles that exist in the RBAC policy's tenant realm.

#include "auth/auth_policy.hpp"
#include "auth/user_store.hpp"
#include "authz/rbac_policy.hpp"

#include <stdexcept>
#include <string>
#include <vector>

namespace fk::auth {

// A client-correctable problem with one input field.
class UserInputError : public std::runtime_error {
 public:
  UserInputError(std::string field, const std::string& message)
      : std::runtime_error(message), field_(std::move(field)) {}
  [[nodiscard]] const std::string& field() const { return field_; }

 private:
  std::string field_;
};

// Runs in the caller's tenant transaction. Throws UserInputError, or
// pqxx::unique_violation when the email is taken.
UserRecord create_user(pqxx::transaction_base& tx, const AuthPolicy& policy,
                       const authz::RbacPolicy& rbac, const std::string& email,
                       const std::string& display_name, const std::string& password,
                       const std::vector<std::string>& roles);

// Throws UserInputError when a role is neither a shipped tenant role nor one
// the tenant defined (tenant_roles), or is a platform role.
void check_tenant_roles(pqxx::transaction_base& tx, const authz::RbacPolicy& rbac,
                        const std::vector<std::string>& roles);

}  // namespace fk::auth
