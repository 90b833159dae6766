#include "api/authenticator.hpp"

#include "auth/api_keys.hpp"
#include "http/api_error.hpp"
#include "tenancy/tenant.hpp"

#include <algorithm>
#include <cctype>

namespace fk::api {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

class RequestAuthenticator final : public Authenticator {
 public:
  RequestAuthenticator(const auth::AuthService* auth, db::ConnectionPool* pool, bool dev_mode)
      : auth_(auth), pool_(pool), dev_mode_(dev_mode) {}

  Principal authenticate(const http::Request& request) override {
    if (const auto key = request.header("x-api-key")) return from_api_key(*key);
    if (const auto authorization = request.header("authorization")) {
      return from_bearer(*authorization);
    }
    if (dev_mode_) {
      if (const auto header = request.header("x-tenant-id")) return from_dev_header(*header);
    }
    throw http::ApiError(401, "UNAUTHENTICATED", "authentication required");
  }

 private:
  Principal from_bearer(std::string_view authorization) const {
    constexpr std::string_view scheme = "bearer ";
    if (authorization.size() <= scheme.size() ||
        lower(authorization.substr(0, scheme.size())) != scheme || !auth_) {
      throw http::ApiError(401, "UNAUTHENTICATED", "expected Authorization: Bearer <token>");
    }
    const auto credential = authorization.substr(scheme.size());
    if (credential.rfind("fk_", 0) == 0) return from_api_key(credential);
    try {
      const auto identity = auth_->verify_access_token(std::string(credential));
      if (identity.realm == "platform" && tenancy::is_uuid(identity.user_id)) {
        Principal principal;
        principal.platform = true;
        principal.user_id = lower(identity.user_id);
        principal.token_version = identity.token_version;
        return principal;
      }
      if (!tenancy::is_uuid(identity.tenant_id) || !tenancy::is_uuid(identity.user_id)) {
        throw http::ApiError(401, "INVALID_TOKEN", "access token is invalid or expired");
      }
      Principal principal;
      principal.tenant_id = lower(identity.tenant_id);
      principal.user_id = lower(identity.user_id);
      principal.token_version = identity.token_version;
      return principal;
    } catch (const auth::AuthError& e) {
      throw http::ApiError(e.status(), e.code(), e.what());
    }
  }

  Principal from_api_key(std::string_view presented) const {
    const auto identity =
        pool_ ? auth::resolve_api_key(*pool_, std::string(presented)) : std::nullopt;
    if (!identity)
      throw http::ApiError(401, "INVALID_API_KEY", "API key is invalid, expired or revoked");
    Principal principal;
    principal.tenant_id = lower(identity->tenant_id);
    principal.user_id = lower(identity->created_by);
    principal.api_key_id = identity->key_id;
    principal.key_permissions = identity->permissions;
    return principal;
  }

  static Principal from_dev_header(std::string_view header) {
    if (!tenancy::is_uuid(header)) {
      throw http::ApiError(400, "INVALID_TENANT_ID", "X-Tenant-Id must be a UUID",
                           {{"header", "X-Tenant-Id"}});
    }
    Principal principal;
    principal.tenant_id = lower(header);
    principal.dev_trusted = true;
    return principal;
  }

  const auth::AuthService* auth_;
  db::ConnectionPool* pool_;
  bool dev_mode_;
};

}  // namespace

std::unique_ptr<Authenticator> make_authenticator(const auth::AuthService* auth,
                                                  db::ConnectionPool* pool, bool dev_mode) {
  return std::make_unique<RequestAuthenticator>(auth, pool, dev_mode);
}

}  // namespace fk::api
