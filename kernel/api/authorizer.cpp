#include "api/authorizer.hpp"

#include "auth/tenant_roles.hpp"
#include "auth/user_store.hpp"
#include "http/api_error.hpp"
#include "log/json_log.hpp"

namespace fk::api {

Authorization authorize(pqxx::transaction_base& tx, const Principal& principal,
                        const std::string& permission, const authz::RbacPolicy& policy) {
  if (principal.dev_trusted) {
    return {{}, std::set<std::string>{}};
  }
  const auto user = auth::find_user(tx, principal.user_id);
  const bool is_key = !principal.api_key_id.empty();
  if (!user || user->status != "active" || (!is_key && user->token_version != principal.token_version)) {
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
