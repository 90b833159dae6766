#include "auth/platform_admins.hpp"

#include "auth/auth_service.hpp"
#include "auth/user_admin.hpp"
#include "identity/password_hasher.hpp"

#include <pqxx/pqxx>

namespace fk::auth {

std::string create_platform_admin(const std::string& owner_url, const AuthPolicy& policy,
                                  const authz::RbacPolicy& rbac, const std::string& email,
                                  const std::string& password,
                                  const std::vector<std::string>& roles) {
  const auto normalized = normalize_email(email);
  if (normalized.empty()) throw UserInputError("email", "email is not a valid address");
  if (const auto problem = policy.password_problem(password, normalized); !problem.empty()) {
    throw UserInputError("password", problem);
  }
  std::string literal = "{";
  for (const auto& name : roles) {
    const auto* role = rbac.role(name);
    if (!role || role->realm != authz::Realm::platform) {
      throw UserInputError("roles", "\"" + name + "\" is not a platform role");
    }
    literal += (literal.size() > 1 ? "," : "") + name;
  }
  literal += "}";
  pqxx::connection connection(owner_url);
  pqxx::work tx(connection);
  const auto id =
      tx.exec_params1(
            "INSERT INTO platform_admins (email, password_hash, roles) VALUES ($1, $2, $3::text[]) "
            "RETURNING id::text",
            normalized, identity::hash_password(password, identity::minimum_params()), literal)[0]
          .as<std::string>();
  tx.commit();
  return id;
}

bool any_platform_admin(const std::string& owner_url) {
  pqxx::connection connection(owner_url);
  pqxx::read_transaction tx(connection);
  return tx.exec("SELECT EXISTS (SELECT 1 FROM platform_admins)")[0][0].as<bool>();
}

}  // namespace fk::auth
