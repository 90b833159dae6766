#pragma once
// Who is calling, and for which tenant. The pipeline depends only on this
// interface; handlers never look at credentials.
//
//   Authorization: Bearer <access token>  -> a tenant user (JWT verified)
//   Authorization: Bearer fk_... or X-Api-Key: fk_...  -> an API key (acts for its creator)
//   X-Tenant-Id: <uuid>                    -> dev_mode only: a trusted local caller

#include "auth/auth_service.hpp"
#include "db/connection_pool.hpp"
#include "http/request.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fk::api {

struct Principal {
  std::string tenant_id;  // canonical UUID
  std::string user_id;    // empty for the dev_mode caller
  std::uint64_t token_version = 0;
  bool dev_trusted = false;  // dev_mode header: every permission, never in production
  bool platform = false;     // a platform administrator (tenant_id empty)
  // Set for API keys: the key's id and the subset of its creator's permissions it carries.
  std::string api_key_id;
  std::vector<std::string> key_permissions;
};

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // Throws http::ApiError 401 UNAUTHENTICATED / INVALID_TOKEN, 400 INVALID_TENANT_ID.
  virtual Principal authenticate(const http::Request& request) = 0;
};

// `auth` verifies bearer tokens (may be null: then only dev_mode callers);
// with dev_mode off the X-Tenant-Id header is ignored, never trusted.
// `pool` resolves API keys (may be null: then API keys are refused).
std::unique_ptr<Authenticator> make_authenticator(const auth::AuthService* auth,
                                                  db::ConnectionPool* pool, bool dev_mode);

}  // namespace fk::api
