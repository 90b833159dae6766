// Second factor, API keys, tenant-defined roles and maker-checker, over HTTP.

#include "auth/user_admin.hpp"
#include "db/tenant_transaction.hpp"
#include "identity/totp.hpp"
#include "support/http_client.hpp"
#include "support/tenant_login.hpp"
#include "support/test_database.hpp"
#include "support/test_kernel.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

using fk::test::http_call;
using fk::test::HttpReply;

namespace {

using namespace fk::test::login;  // NOLINT(google-build-using-namespace): test helpers

std::string code_at(const std::string& secret_base32, std::int64_t offset_seconds) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return fk::identity::totp_code(fk::identity::base32_decode(secret_base32), now + offset_seconds);
}

}  // namespace

TEST_CASE("TOTP: enrol, confirm, required at login, replay refused, disable", "[access]") {
  fk::test::TestKernel kernel;
  const auto tenant = make_tenant("totp");
  make_user(kernel, tenant, "user@example.com", {"member"});
  const auto access = token(kernel.port(), tenant, "user@example.com");

  const auto enrol = http_call(kernel.port(), "POST", "/v1/auth/totp/enrol", bearer(access));
  REQUIRE(enrol.status == 200);
  const std::string secret = enrol.json()["data"]["secret"];
  REQUIRE(enrol.json()["data"]["otpauthUri"].get<std::string>().rfind("otpauth://totp/", 0) == 0);
  // Not enabled until confirmed: login still works without a code.
  REQUIRE(login(kernel.port(), tenant, "user@example.com").status == 200);

  const auto wrong = http_call(kernel.port(), "POST", "/v1/auth/totp/confirm", bearer(access),
                               R"({"code":"000000"})");
  CHECK((wrong.status == 422 || code_at(secret, 0) == "000000"));
  REQUIRE(http_call(kernel.port(), "POST", "/v1/auth/totp/confirm", bearer(access),
                    nlohmann::json{{"code", code_at(secret, 0)}}.dump())
              .status == 200);

  const auto missing = login(kernel.port(), tenant, "user@example.com");
  REQUIRE(missing.status == 401);
  REQUIRE(missing.json()["error"]["code"] == "TOTP_REQUIRED");
  const auto next_code = code_at(secret, 30);  // a newer step than the one used to confirm
  const auto with_code = login(kernel.port(), tenant, "user@example.com", next_code);
  REQUIRE(with_code.status == 200);
  const auto replayed = login(kernel.port(), tenant, "user@example.com", next_code);
  REQUIRE(replayed.status == 401);
  REQUIRE(replayed.json()["error"]["code"] == "INVALID_TOTP");

  const std::string fresh = with_code.json()["data"]["accessToken"];
  REQUIRE(
      http_call(kernel.port(), "POST", "/v1/auth/totp/disable", bearer(fresh), R"({"code":"12"})")
          .status == 422);
  // +60 s is outside the ±1 step window: refused.
  REQUIRE(http_call(kernel.port(), "POST", "/v1/auth/totp/disable", bearer(fresh),
                    nlohmann::json{{"code", code_at(secret, 60)}}.dump())
              .status == 422);
  // Let a minute pass (in the database's record of the last used step), then
  // a current code disables the factor and login no longer asks for one.
  {
    fk::db::TenantTransaction transaction(kernel.app().pool(), tenant.id);
    transaction.work().exec("UPDATE users SET totp_last_step = totp_last_step - 2");
    transaction.commit();
  }
  REQUIRE(http_call(kernel.port(), "POST", "/v1/auth/totp/disable", bearer(fresh),
                    nlohmann::json{{"code", code_at(secret, 0)}}.dump())
              .status == 200);
  REQUIRE(login(kernel.port(), tenant, "user@example.com").status == 200);
}

TEST_CASE("API keys: shown once, scoped to the creator, revocable", "[access]") {
  fk::test::TestKernel kernel;
  const auto tenant = make_tenant("apikeys");
  make_user(kernel, tenant, "admin@example.com", {"tenant-admin"});
  const auto member_id = make_user(kernel, tenant, "member@example.com", {"member"});
  (void)member_id;
  const auto admin = token(kernel.port(), tenant, "admin@example.com");
  const auto member = token(kernel.port(), tenant, "member@example.com");

  const auto created = http_call(
      kernel.port(), "POST", "/v1/api-keys", bearer(admin),
      R"({"name":"reporting","permissions":["tenant:settings.read"],"expiresInDays":30})");
  REQUIRE(created.status == 201);
  const std::string key = created.json()["data"]["key"];
  REQUIRE(key.rfind("fk_", 0) == 0);
  const std::string key_id = created.json()["data"]["apiKey"]["id"];

  const auto first_use = http_call(kernel.port(), "GET", "/v1/tenant/settings", bearer(key));
  INFO(first_use.body);
  REQUIRE(first_use.status == 200);
  REQUIRE(http_call(kernel.port(), "GET", "/v1/tenant/settings", {{"X-Api-Key", key}}).status ==
          200);
  // The key carries only what it was given, even though its creator holds more.
  REQUIRE(
      http_call(kernel.port(), "PUT", "/v1/tenant/settings", bearer(key), R"({"locale":"de-DE"})")
          .status == 403);
  REQUIRE(http_call(kernel.port(), "GET", "/v1/users", bearer(key)).status == 403);
  // Keys cannot mint keys.
  REQUIRE(http_call(kernel.port(), "POST", "/v1/api-keys", bearer(key),
                    R"({"name":"x","permissions":["tenant:settings.read"]})")
              .status == 403);

  // Listing never shows secrets.
  const auto listed = http_call(kernel.port(), "GET", "/v1/api-keys", bearer(admin));
  REQUIRE(listed.status == 200);
  REQUIRE(listed.body.find(key.substr(key.find('.') + 1)) == std::string::npos);

  // A user cannot give a key what they do not hold.
  const auto beyond = http_call(kernel.port(), "POST", "/v1/api-keys", bearer(admin),
                                R"({"name":"x","permissions":["platform:tenants.write"]})");
  REQUIRE(beyond.status == 422);
  REQUIRE(beyond.json()["error"]["details"]["field"] == "permissions");
  REQUIRE(http_call(kernel.port(), "POST", "/v1/api-keys", bearer(member),
                    R"({"name":"x","permissions":["tenant:settings.read"]})")
              .status == 403);

  // Tampered, unknown and revoked keys are refused.
  auto tampered = key;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  REQUIRE(http_call(kernel.port(), "GET", "/v1/tenant/settings", bearer(tampered)).status == 401);
  REQUIRE(http_call(kernel.port(), "POST", "/v1/api-keys/" + key_id + "/revoke", bearer(admin))
              .status == 200);
  const auto revoked = http_call(kernel.port(), "GET", "/v1/tenant/settings", bearer(key));
  REQUIRE(revoked.status == 401);
  REQUIRE(revoked.json()["error"]["code"] == "INVALID_API_KEY");
  REQUIRE(http_call(kernel.port(), "POST", "/v1/api-keys/nope/revoke", bearer(admin)).status ==
          404);

  // Expiry: an expired key is refused like a revoked one.
  const auto second =
      http_call(kernel.port(), "POST", "/v1/api-keys", bearer(admin),
                R"({"name":"short","permissions":["tenant:settings.read"],"expiresInDays":1})");
  const std::string short_key = second.json()["data"]["key"];
  {
    fk::db::TenantTransaction transaction(kernel.app().pool(), tenant.id);
    transaction.work().exec_params(
        "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1",
        second.json()["data"]["apiKey"]["id"].get<std::string>());
    transaction.commit();
  }
  REQUIRE(http_call(kernel.port(), "GET", "/v1/tenant/settings", bearer(short_key)).status == 401);
}

TEST_CASE("tenant roles stay under the ceiling and go through maker-checker", "[access]") {
  fk::test::TestKernel kernel;
  const auto tenant = make_tenant("roles");
  make_user(kernel, tenant, "maker@example.com", {"tenant-admin"});
  make_user(kernel, tenant, "checker@example.com", {"approver"});
  const auto clerk_id = make_user(kernel, tenant, "clerk@example.com", {"member"});
  const auto maker = token(kernel.port(), tenant, "maker@example.com");
  const auto checker = token(kernel.port(), tenant, "checker@example.com");

  // Beyond the ceiling: refused before anything is stored.
  const auto beyond = http_call(kernel.port(), "PUT", "/v1/roles/super", bearer(maker),
                                R"({"permissions":["tenant:users.write"]})");
  REQUIRE(beyond.status == 422);
  REQUIRE(beyond.json()["error"]["details"]["field"] == "permissions");
  REQUIRE(http_call(kernel.port(), "PUT", "/v1/roles/tenant-admin", bearer(maker),
                    R"({"permissions":["tenant:users.read"]})")
              .status == 422);  // cannot shadow a shipped role

  // Within the ceiling: stored as pending, not applied.
  const auto submitted =
      http_call(kernel.port(), "PUT", "/v1/roles/viewer", bearer(maker),
                R"({"permissions":["tenant:users.read","tenant:settings.read"]})");
  REQUIRE(submitted.status == 202);
  const std::string approval = submitted.json()["data"]["approval"]["id"];
  REQUIRE(submitted.json()["data"]["approval"]["status"] == "pending");
  REQUIRE(http_call(kernel.port(), "GET", "/v1/roles", bearer(maker)).json()["data"].empty());

  // The maker can never approve their own request.
  const auto self =
      http_call(kernel.port(), "POST", "/v1/approvals/" + approval + "/approve", bearer(maker));
  REQUIRE(self.status == 403);
  REQUIRE(self.json()["error"]["code"] == "MAKER_CANNOT_DECIDE");
  // Someone without the checker permission cannot either.
  const auto clerk = token(kernel.port(), tenant, "clerk@example.com");
  REQUIRE(http_call(kernel.port(), "POST", "/v1/approvals/" + approval + "/approve", bearer(clerk))
              .status == 403);

  const auto approved =
      http_call(kernel.port(), "POST", "/v1/approvals/" + approval + "/approve", bearer(checker));
  INFO(approved.body);
  REQUIRE(approved.status == 200);
  REQUIRE(approved.json()["data"]["approval"]["status"] == "executed");
  const auto again =
      http_call(kernel.port(), "POST", "/v1/approvals/" + approval + "/approve", bearer(checker));
  REQUIRE(again.status == 409);  // exactly once
  const auto roles = http_call(kernel.port(), "GET", "/v1/roles", bearer(maker)).json()["data"];
  REQUIRE(roles.size() == 1);
  REQUIRE(roles[0]["name"] == "viewer");

  // The new role works once bound: the clerk can now list users.
  REQUIRE(http_call(kernel.port(), "GET", "/v1/users", bearer(clerk)).status == 403);
  REQUIRE(http_call(kernel.port(), "PUT", "/v1/users/" + clerk_id + "/roles", bearer(maker),
                    R"({"roles":["member","viewer"]})")
              .status == 200);
  const auto clerk_again = token(kernel.port(), tenant, "clerk@example.com");
  REQUIRE(http_call(kernel.port(), "GET", "/v1/users", bearer(clerk_again)).status == 200);

  // Pending items expire.
  const auto late = http_call(kernel.port(), "PUT", "/v1/roles/late", bearer(maker),
                              R"({"permissions":["audit:log.read"]})");
  const std::string late_id = late.json()["data"]["approval"]["id"];
  {
    fk::db::TenantTransaction transaction(kernel.app().pool(), tenant.id);
    transaction.work().exec_params(
        "UPDATE approvals SET expires_at = now() - interval '1 second' WHERE id = $1::uuid",
        late_id);
    transaction.commit();
  }
  const auto expired =
      http_call(kernel.port(), "POST", "/v1/approvals/" + late_id + "/approve", bearer(checker));
  REQUIRE(expired.status == 409);
  REQUIRE(expired.json()["error"]["code"] == "APPROVAL_EXPIRED");

  // Rejection records the decision and applies nothing.
  const auto rejected_submit = http_call(kernel.port(), "PUT", "/v1/roles/nope", bearer(maker),
                                         R"({"permissions":["audit:log.read"]})");
  const std::string rejected_id = rejected_submit.json()["data"]["approval"]["id"];
  const auto rejected =
      http_call(kernel.port(), "POST", "/v1/approvals/" + rejected_id + "/reject", bearer(checker));
  REQUIRE(rejected.json()["data"]["approval"]["status"] == "rejected");
  REQUIRE(http_call(kernel.port(), "GET", "/v1/roles", bearer(maker)).json()["data"].size() == 1);

  // Another tenant's approval ids are 404.
  const auto other = make_tenant("roles-other");
  make_user(kernel, other, "checker@other.example", {"approver"});
  const auto outsider = token(kernel.port(), other, "checker@other.example");
  REQUIRE(http_call(kernel.port(), "POST", "/v1/approvals/" + rejected_id + "/approve",
                    bearer(outsider))
              .status == 404);
}
