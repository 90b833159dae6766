#include "auth/user_admin.hpp"

#include "auth/auth_service.hpp"
#include "identity/password_hasher.hpp"

#include <pqxx/pqxx>

namespace fk::auth {

void check_tenant_roles(pqxx::transaction_base& tx, const authz::RbacPolicy& rbac,
                        const std::vector<std::string>& roles) {
  for (const auto& name : roles) {
    const auto* role = rbac.role(name);
    if (!role) {
      if (!tx.exec_params("SELECT 1 FROM tenant_roles WHERE name = $1", name).empty()) continue;
      throw UserInputError("roles", "unknown role \"" + name + "\"");
    }
    if (role->realm != authz::Realm::tenant) {
      throw UserInputError("roles", "role \"" + name + "\" is a platform role");
    }
  }
}

UserRecord create_user(pqxx::transaction_base& tx, const AuthPolicy& policy,
                       const authz::RbacPolicy& rbac, const std::string& email,
                       const std::string& display_name, const std::string& password,
                       const std::vector<std::string>& roles) {
  const auto normalized = normalize_email(email);
  if (normalized.empty()) throw UserInputError("email", "email is not a valid address");
  if (display_name.size() > 200)
    throw UserInputError("displayName", "displayName is over 200 characters");
  if (const auto problem = policy.password_problem(password, normalized); !problem.empty()) {
    throw UserInputError("password", problem);
  }
  check_tenant_roles(tx, rbac, roles);
  const auto hash = identity::hash_password(password, identity::minimum_params());
  return insert_user(tx, normalized, display_name, hash, roles);
}

}  // namespace fk::auth
