#include "api/authorizer.hpp"

#include "auth/user_store.hpp"
#include "http/api_error.hpp"
#include "log/json_log.hpp"

namespace fk::api {

Authorization authorize(pqxx::transaction_base& tx, const Principal& principal,
                        const std::string& permission, const authz::RbacPolicy& policy) {
  if (principal.dev_trusted) return {};
  const auto user = auth::find_user(tx, principal.user_id);
  if (!user || user->status != "active" || user->token_version != principal.token_version) {
    throw http::ApiError(401, "TOKEN_REVOKED", "this session is no longer valid; log in again");
  }
  if (!policy.allows(user->roles, permission)) {
    log::warn("permission denied", {{"tenantId", principal.tenant_id},
                                    {"userId", principal.user_id},
                                    {"permission", permission}});
    throw http::ApiError(403, "FORBIDDEN", "missing permission " + permission,
                         {{"permission", permission}});
  }
  return Authorization{user->roles};
}

}  // namespace fk::api
