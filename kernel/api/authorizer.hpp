#pragma once
// RBAC at request time, inside the request's tenant transaction: the
// caller's user must still exist, be active and hold the token version its
// token carries (so role changes and disabling take effect at the next
// request), and one of its roles must grant the route's permission.

#include "api/authenticator.hpp"
#include "authz/rbac_policy.hpp"
#include "db/connection_pool.hpp"

#include <set>
#include <string>
#include <vector>

namespace pqxx {
class transaction_base;
}

namespace fk::api {

struct Authorization {
  std::vector<std::string> roles;
  std::set<std::string> permissions;  // what the caller may do now (for API keys: the key's share)
};

// Platform realm: the administrator must be active at the token's version
// and hold a platform role granting `permission`. Throws like authorize().
Authorization authorize_platform(db::ConnectionPool& pool, const Principal& principal,
                                 const std::string& permission, const authz::RbacPolicy& policy);

// Throws http::ApiError 401 TOKEN_REVOKED or 403 FORBIDDEN.
Authorization authorize(pqxx::transaction_base& tx, const Principal& principal,
                        const std::string& permission, const authz::RbacPolicy& policy);

}  // namespace fk::api
