#pragma once
// Creating platform administrators (owner role: the CLI and first start).
// Signing in and authorizing them go through the SECURITY DEFINER functions
// of migration 0005, as the runtime role.

#include "auth/auth_policy.hpp"
#include "authz/rbac_policy.hpp"

#include <string>
#include <vector>

namespace fk::auth {

// Throws UserInputError (email, password, roles) or pqxx::unique_violation.
std::string create_platform_admin(const std::string& owner_url, const AuthPolicy& policy,
                                  const authz::RbacPolicy& rbac, const std::string& email,
                                  const std::string& password,
                                  const std::vector<std::string>& roles);

bool any_platform_admin(const std::string& owner_url);

}  // namespace fk::auth
