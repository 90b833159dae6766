#include "api/authorizer.hpp"
#include "common/split.hpp"

#include "auth/tenant_roles.hpp"
#include "auth/user_store.hpp"
#include "http/api_error.hpp"
#include "log/json_log.hpp"

#include <pqxx/pqxx>

namespace fk::api {

Authorization authorize_platform(db::ConnectionPool& pool, const Principal& principal,
                                 const std::string& permission, const authz::RbacPolicy& policy) {
  auto connection = pool.acquire();
  pqxx::result rows;
  try {
    pqxx::nontransaction tx(connection.get());
    rows = tx.exec_params(
        "SELECT active, token_version, roles FROM fk_platform_admin_principal($1::uuid)",
        principal.user_id);
  } catch (const pqxx::broken_connection&) {
    connection.mark_broken();
    throw;
  }
  if (rows.empty() || !rows[0][0].as<bool>() ||
      rows[0][1].as<std::uint64_t>() != principal.token_version) {
    throw http::ApiError(401, "TOKEN_REVOKED", "this credential is no longer valid");
  }
  std::vector<std::string> roles;
  for (const auto& role : split_commas(rows[0][2].as<std::string>())) {
    // Only platform-realm roles count in the platform realm.
    if (const auto* found = policy.role(role); found && found->realm == authz::Realm::platform) {
      roles.push_back(role);
    }
  }
  auto permissions = policy.permissions_of(roles);
  if (!permissions.count(permission)) {
    log::warn("permission denied",
              {{"platformAdminId", principal.user_id}, {"permission", permission}});
    throw http::ApiError(403, "FORBIDDEN", "missing permission " + permission,
                         {{"permission", permission}});
  }
  return Authorization{roles, std::move(permissions)};
}

Authorization authorize(pqxx::transaction_base& tx, const Principal& principal,
                        const std::string& permission, const authz::RbacPolicy& policy) {
  if (principal.dev_trusted) {
    return {{}, std::set<std::string>{}};
  }
  const auto user = auth::find_user(tx, principal.user_id);
  const bool is_key = !principal.api_key_id.empty();
  if (!user || user->status != "active" ||
      (!is_key && user->token_version != principal.token_version)) {
    throw http::ApiError(401, is_key ? "INVALID_API_KEY" : "TOKEN_REVOKED",
                         "this credential is no longer valid");
  }
  auto permissions = auth::effective_permissions(tx, policy, user->roles);
  if (is_key) {
    // A key carries at most what its creator holds now.
    std::set<std::string> scoped;
    for (const auto& granted : principal.key_permissions) {
      if (permissions.count(granted)) scoped.insert(granted);
    }
    permissions = std::move(scoped);
  }
  if (!permissions.count(permission)) {
    log::warn("permission denied", {{"tenantId", principal.tenant_id},
                                    {"userId", principal.user_id},
                                    {"permission", permission}});
    throw http::ApiError(403, "FORBIDDEN", "missing permission " + permission,
                         {{"permission", permission}});
  }
  return Authorization{user->roles, std::move(permissions)};
}

}  // namespace fk::api
