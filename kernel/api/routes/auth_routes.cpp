#include "api/pipeline.hpp"
#include "api/routes/routes.hpp"
#include "auth/second_factor.hpp"
#include "auth/user_store.hpp"
#include "http/api_error.hpp"

namespace fk::api {

namespace {

// A required string field of a JSON object body, or 422 naming it.
std::string required_string(const nlohmann::json& body, const char* field) {
  if (!body.is_object()) {
    throw http::ApiError(422, "VALIDATION_FAILED", "request body must be a JSON object");
  }
  const auto found = body.find(field);
  if (found == body.end() || !found->is_string() || found->get_ref<const std::string&>().empty()) {
    throw http::ApiError(422, "VALIDATION_FAILED", std::string(field) + " is required",
                         {{"field", field}, {"reason", "REQUIRED"}});
  }
  return found->get<std::string>();
}

auth::ClientInfo client_of(const RequestContext& context) {
  return {context.request_id(), context.request().remote_address};
}

nlohmann::json token_body(const auth::TokenPair& tokens) {
  return {{"accessToken", tokens.access_token},
          {"tokenType", "Bearer"},
          {"expiresIn", tokens.access_expires_in},
          {"refreshToken", tokens.refresh_token},
          {"refreshExpiresIn", tokens.refresh_expires_in}};
}

template <typename Action>
auto translating_auth_errors(Action&& action) {
  try {
    return action();
  } catch (const auth::AuthError& e) {
    throw http::ApiError(e.status(), e.code(), e.what());
  }
}

}  // namespace

std::vector<Route> auth_routes(auth::AuthService& service, ratelimit::RateLimiter& limiter,
                               const authz::Swappable<ratelimit::RateLimitPolicy>& limits) {
  std::vector<Route> routes;
  routes.push_back({"POST", "/v1/auth/login", Scope::open, "public",
                    [&service, &limiter, &limits](RequestContext& context) {
                      // Per-address throttling backs up per-account lockout
                      // against password spraying across many accounts.
                      enforce(limiter.take("login:" + context.request().remote_address,
                                           limits.current()->login_per_address,
                                           std::chrono::steady_clock::now()),
                              "address");
                      const auto body = context.json_body();
                      const auto tenant = required_string(body, "tenant");
                      const auto email = required_string(body, "email");
                      const auto password = required_string(body, "password");
                      std::optional<std::string> totp;
                      if (body.contains("totp")) totp = required_string(body, "totp");
                      return translating_auth_errors([&] {
                        return Reply{200,
                                     token_body(service.login(tenant, email, password, totp,
                                                              client_of(context))),
                                     {},
                                     {}};
                      });
                    }});
  routes.push_back(
      {"POST", "/v1/auth/refresh", Scope::open, "public", [&service](RequestContext& context) {
         const auto body = context.json_body();
         const auto tenant = required_string(body, "tenant");
         const auto token = required_string(body, "refreshToken");
         return translating_auth_errors([&] {
           return Reply{
               200, token_body(service.refresh(tenant, token, client_of(context))), {}, {}};
         });
       }});
  routes.push_back(
      {"POST", "/v1/auth/logout", Scope::open, "public", [&service](RequestContext& context) {
         const auto body = context.json_body();
         const auto tenant = required_string(body, "tenant");
         const auto token = required_string(body, "refreshToken");
         return translating_auth_errors([&] {
           service.logout(tenant, token, client_of(context));
           return Reply{200, {{"loggedOut", true}}, {}, {}};
         });
       }});

  // Second factor for the calling user (not for API keys or dev callers).
  const auto self = [](RequestContext& context) {
    if (context.user_id().empty() || context.api_key_id().size()) {
      throw http::ApiError(403, "FORBIDDEN",
                           "only a logged-in user can manage their second factor");
    }
    const auto user = auth::find_user(context.db(), context.user_id());
    if (!user) throw http::ApiError(401, "TOKEN_REVOKED", "this session is no longer valid");
    return *user;
  };
  // Secrets are sealed with the tenant's data key (docs/keys.md).
  const auto totp_keys = [&service](RequestContext& context) {
    return auth::TotpKeys{service.tenant_keys(), context.tenant_id()};
  };
  routes.push_back({"POST", "/v1/auth/totp/enrol", Scope::tenant, "account:self.manage",
                    [self, totp_keys, &service](RequestContext& context) {
                      const auto user = self(context);
                      return translating_auth_errors([&] {
                        const auto enrolment = auth::begin_totp_enrolment(
                            context.db(), totp_keys(context), user, service.policy().issuer);
                        return Reply{200,
                                     {{"secret", enrolment.secret_base32},
                                      {"otpauthUri", enrolment.otpauth_uri}},
                                     {},
                                     {}};
                      });
                    }});
  routes.push_back({"POST", "/v1/auth/totp/confirm", Scope::tenant, "account:self.manage",
                    [self, totp_keys](RequestContext& context) {
                      const auto user = self(context);
                      const auto code = required_string(context.json_body(), "code");
                      return translating_auth_errors([&] {
                        auth::confirm_totp(context.db(), totp_keys(context), user, code);
                        return Reply{200, {{"totpEnabled", true}}, {}, {}};
                      });
                    }});
  routes.push_back({"POST", "/v1/auth/totp/disable", Scope::tenant, "account:self.manage",
                    [self, totp_keys](RequestContext& context) {
                      const auto user = self(context);
                      const auto code = required_string(context.json_body(), "code");
                      return translating_auth_errors([&] {
                        auth::disable_totp(context.db(), totp_keys(context), user, code);
                        return Reply{200, {{"totpEnabled", false}}, {}, {}};
                      });
                    }});
  return routes;
}

}  // namespace fk::api
