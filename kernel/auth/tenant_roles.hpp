#pragma once
// Roles a tenant defines for itself. Their permissions must lie within the
// platform's ceiling for tenant roles (policies/rbac.yaml:
// tenant_role_ceiling); a request to grant more is refused. Names may not
// shadow a role the platform ships.

#include "authz/rbac_policy.hpp"

#include <set>
#include <string>
#include <vector>

namespace pqxx {
class transaction_base;
}

namespace fk::auth {

struct TenantRole {
  std::string name;
  std::vector<std::string> permissions;
};

// Throws UserInputError naming the field (name, permissions).
TenantRole put_tenant_role(pqxx::transaction_base& tx, const authz::RbacPolicy& rbac,
                           const std::string& name, const std::vector<std::string>& permissions);
std::vector<TenantRole> list_tenant_roles(pqxx::transaction_base& tx);

// Every permission the roles grant, shipped and tenant-defined together.
std::set<std::string> effective_permissions(pqxx::transaction_base& tx,
                                            const authz::RbacPolicy& rbac,
                                            const std::vector<std::string>& roles);

}  // namespace fk::auth
