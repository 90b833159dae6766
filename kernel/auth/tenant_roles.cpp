#include "auth/tenant_roles.hpp"
#include "common/split.hpp"

#include "auth/user_admin.hpp"

#include <pqxx/pqxx>

#include <regex>

namespace fk::auth {

namespace {}  // namespace

TenantRole put_tenant_role(pqxx::transaction_base& tx, const authz::RbacPolicy& rbac,
                           const std::string& name, const std::vector<std::string>& permissions) {
  static const std::regex pattern("^[a-z][a-z0-9-]{0,62}$");
  if (!std::regex_match(name, pattern)) {
    throw UserInputError("name", "role name must be lower-case letters, digits and '-'");
  }
  if (rbac.role(name)) throw UserInputError("name", "\"" + name + "\" is a platform role");
  std::string literal = "{";
  for (const auto& permission : permissions) {
    if (!rbac.is_declared(permission)) {
      throw UserInputError("permissions", "unknown permission \"" + permission + "\"");
    }
    if (!rbac.within_tenant_ceiling(permission)) {
      throw UserInputError("permissions",
                           "\"" + permission + "\" is beyond what tenant roles may grant");
    }
    literal += (literal.size() > 1 ? "," : "") + permission;
  }
  literal += "}";
  tx.exec_params(
      "INSERT INTO tenant_roles (tenant_id, name, permissions) VALUES (fk_current_tenant(), $1, "
      "$2::text[]) "
      "ON CONFLICT (tenant_id, name) DO UPDATE SET permissions = EXCLUDED.permissions",
      name, literal);
  // Holders re-authenticate: their permissions just changed.
  tx.exec_params(
      "UPDATE users SET token_version = token_version + 1 WHERE id IN "
      "(SELECT user_id FROM role_bindings WHERE role = $1)",
      name);
  return {name, permissions};
}

std::vector<TenantRole> list_tenant_roles(pqxx::transaction_base& tx) {
  std::vector<TenantRole> roles;
  for (const auto& row :
       tx.exec("SELECT name, array_to_string(permissions, ',') FROM tenant_roles ORDER BY name")) {
    roles.push_back({row[0].as<std::string>(), split_commas(row[1].as<std::string>())});
  }
  return roles;
}

std::set<std::string> effective_permissions(pqxx::transaction_base& tx,
                                            const authz::RbacPolicy& rbac,
                                            const std::vector<std::string>& roles) {
  auto granted = rbac.permissions_of(roles);
  std::vector<std::string> custom;
  for (const auto& role : roles) {
    if (!rbac.role(role)) custom.push_back(role);
  }
  if (custom.empty()) return granted;
  std::string literal = "{";
  for (const auto& role : custom) literal += (literal.size() > 1 ? "," : "") + role;
  literal += "}";
  for (const auto& row : tx.exec_params("SELECT array_to_string(permissions, ',') FROM "
                                        "tenant_roles WHERE name = ANY($1::text[])",
                                        literal)) {
    for (auto& permission : split_commas(row[0].as<std::string>())) {
      // Re-checked at use: a ceiling lowered after the role was written wins.
      if (rbac.within_tenant_ceiling(permission)) granted.insert(permission);
    }
  }
  return granted;
}

}  // namespace fk::auth
