// Identity over HTTP, each test driving an attack or a failure: token
// forgery, credential stuffing, refresh-token theft, broken object- and
// function-level authorization, mass assignment.

#include "auth/user_admin.hpp"
#include "db/tenant_transaction.hpp"
#include "identity/jwt.hpp"
#include "identity/password_hasher.hpp"
#include "identity/secure_random.hpp"
#include "support/http_client.hpp"
#include "support/test_database.hpp"
#include "support/test_kernel.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <openssl/hmac.h>

using fk::test::http_call;
using fk::test::HttpReply;
using fk::test::TestDatabase;

namespace {

constexpr const char* kPassword = "correct-horse-battery-9";

struct TestTenant {
  std::string id;
  std::string slug;
};

TestTenant make_tenant(const std::string& prefix) {
  const auto id = fk::test::create_tenant(prefix);
  pqxx::connection connection(TestDatabase::instance().owner_url());
  pqxx::read_transaction tx(connection);
  return {id,
          tx.exec_params1("SELECT slug FROM tenants WHERE id = $1::uuid", id)[0].as<std::string>()};
}

std::string make_user(fk::test::TestKernel& kernel, const TestTenant& tenant,
                      const std::string& email, const std::vector<std::string>& roles) {
  fk::db::TenantTransaction transaction(kernel.app().pool(), tenant.id);
  const auto user = fk::auth::create_user(transaction.work(), kernel.app().auth().policy(),
                                          *kernel.app().rbac(), email, "Test", kPassword, roles);
  transaction.commit();
  return user.id;
}

HttpReply login(uint16_t port, const std::string& slug, const std::string& email,
                const std::string& password) {
  return http_call(
      port, "POST", "/v1/auth/login", {{"Content-Type", "application/json"}},
      nlohmann::json{{"tenant", slug}, {"email", email}, {"password", password}}.dump());
}

std::string access_token(uint16_t port, const TestTenant& tenant, const std::string& email) {
  const auto reply = login(port, tenant.slug, email, kPassword);
  INFO(reply.body);
  REQUIRE(reply.status == 200);
  return reply.json()["data"]["accessToken"];
}

std::map<std::string, std::string> bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}};
}

int settings_status(uint16_t port, const std::string& token) {
  return http_call(port, "GET", "/v1/tenant/settings", bearer(token)).status;
}

std::string error_code(const HttpReply& reply) {
  return reply.json()["error"]["code"];
}

// A token with chosen header and claims, signed by the kernel's current key.
std::string forge(const fk::identity::SigningKeyRing& ring, const nlohmann::json& header,
                  const nlohmann::json& payload) {
  const auto signing_input = fk::identity::base64url_encode(header.dump()) + "." +
                             fk::identity::base64url_encode(payload.dump());
  const auto key = ring.current();
  return signing_input + "." +
         fk::identity::base64url_encode(
             fk::identity::ed25519_sign(key.private_key.get(), signing_input));
}

nlohmann::json claims_for(const std::string& tenant_id, const std::string& user_id) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return {{"iss", "finkernel"}, {"aud", "finkernel-api"}, {"sub", user_id},
          {"tid", tenant_id},   {"jti", "test"},          {"iat", now},
          {"nbf", now},         {"exp", now + 600},       {"ver", 1},
          {"realm", "tenant"}};
}

}  // namespace

TEST_CASE("login issues tokens that authenticate requests under RBAC", "[auth]") {
  fk::test::TestKernel kernel;
  const auto tenant = make_tenant("auth-login");
  make_user(kernel, tenant, "member@example.com", {"member"});
  make_user(kernel, tenant, "admin@example.com", {"tenant-admin"});

  const auto reply = login(kernel.port(), tenant.slug, "Member@Example.com", kPassword);
  REQUIRE(reply.status == 200);
  const auto data = reply.json()["data"];
  REQUIRE(data["tokenType"] == "Bearer");
  REQUIRE(data["expiresIn"] == 900);
  REQUIRE(data["refreshExpiresIn"] == 604800);
  REQUIRE(data["refreshToken"].get<std::string>().rfind("fkr_", 0) == 0);

  const std::string member = data["accessToken"];
  REQUIRE(settings_status(kernel.port(), member) == 200);
  const auto denied = http_call(kernel.port(), "PUT", "/v1/tenant/settings", bearer(member),
                                R"({"locale":"fr-FR"})");
  REQUIRE(denied.status == 403);
  REQUIRE(error_code(denied) == "FORBIDDEN");

  const auto admin = access_token(kernel.port(), tenant, "admin@example.com");
  REQUIRE(
      http_call(kernel.port(), "PUT", "/v1/tenant/settings", bearer(admin), R"({"locale":"fr-FR"})")
          .status == 200);
}

TEST_CASE("failed logins look the same whatever failed", "[auth]") {
  fk::test::TestKernel kernel;
  const auto tenant = make_tenant("auth-same");
  make_user(kernel, tenant, "known@example.com", {"member"});
  const auto wrong_password =
      login(kernel.port(), tenant.slug, "known@example.com", "not-the-password");
  const auto unknown_user = login(kernel.port(), tenant.slug, "nobody@example.com", kPassword);
  const auto unknown_tenant =
      login(kernel.port(), "no-such-tenant", "known@example.com", kPassword);
  for (const auto* reply : {&wrong_password, &unknown_user, &unknown_tenant}) {
    REQUIRE(reply->status == 401);
    REQUIRE(error_code(*reply) == "INVALID_CREDENTIALS");
    REQUIRE(reply->json()["error"]["message"] == wrong_password.json()["error"]["message"]);
  }
  const auto missing_field = http_call(kernel.port(), "POST", "/v1/auth/login",
                                       {{"Content-Type", "application/json"}}, R"({"tenant":"x"})");
  REQUIRE(missing_field.status == 422);
  REQUIRE(missing_field.json()["error"]["details"]["field"] == "email");
}

TEST_CASE("five failures lock the account; unlock by admin or after the window", "[auth]") {
  fk::test::TestKernel kernel;
  const auto tenant = make_tenant("auth-lock");
  const auto user_id = make_user(kernel, tenant, "victim@example.com", {"member"});
  const auto admin = make_user(kernel, tenant, "admin@example.com", {"tenant-admin"});
  (void)admin;
  for (int i = 0; i < 5; ++i) {
    REQUIRE(
        login(kernel.port(), tenant.slug, "victim@example.com", "wrong-guess-" + std::to_string(i))
            .status == 401);
  }
  const auto locked = login(kernel.port(), tenant.slug, "victim@example.com", kPassword);
  REQUIRE(locked.status == 401);
  REQUIRE(error_code(locked) == "INVALID_CREDENTIALS");  // does not reveal the lock

  const auto admin_token = access_token(kernel.port(), tenant, "admin@example.com");
  const auto shown = http_call(kernel.port(), "GET", "/v1/users/" + user_id, bearer(admin_token));
  REQUIRE(shown.json()["data"]["locked"] == true);
  REQUIRE(http_call(kernel.port(), "POST", "/v1/users/" + user_id + "/unlock", bearer(admin_token))
              .status == 200);
  REQUIRE(login(kernel.port(), tenant.slug, "victim@example.com", kPassword).status == 200);

  // Lock again, then let the lock window pass (moved into the past in SQL).
  for (int i = 0; i < 5; ++i) login(kernel.port(), tenant.slug, "victim@example.com", "wrong");
  REQUIRE(login(kernel.port(), tenant.slug, "victim@example.com", kPassword).status == 401);
  {
    fk::db::TenantTransaction transaction(kernel.app().pool(), tenant.id);
    transaction.work().exec_params(
        "UPDATE users SET locked_until = now() - interval '1 second' WHERE id = $1::uuid", user_id);
    transaction.commit();
  }
  REQUIRE(login(kernel.port(), tenant.slug, "victim@example.com", kPassword).status == 200);
}

TEST_CASE("refresh rotates; reuse of a spent token revokes the family; logout revokes", "[auth]") {
  fk::test::TestKernel kernel;
  const auto tenant = make_tenant("auth-refresh");
  make_user(kernel, tenant, "user@example.com", {"member"});
  const auto first =
      login(kernel.port(), tenant.slug, "user@example.com", kPassword).json()["data"];
  const auto refresh = [&](const std::string& token) {
    return http_call(kernel.port(), "POST", "/v1/auth/refresh",
                     {{"Content-Type", "application/json"}},
                     nlohmann::json{{"tenant", tenant.slug}, {"refreshToken", token}}.dump());
  };

  const auto second = refresh(first["refreshToken"]);
  REQUIRE(second.status == 200);
  const std::string second_refresh = second.json()["data"]["refreshToken"];
  REQUIRE(second_refresh != first["refreshToken"]);
  REQUIRE(settings_status(kernel.port(), second.json()["data"]["accessToken"]) == 200);

  const auto reuse = refresh(first["refreshToken"]);
  REQUIRE(reuse.status == 401);
  REQUIRE(error_code(reuse) == "REFRESH_TOKEN_REUSED");
  // The thief's (or the victim's) newer token died with the family.
  REQUIRE(refresh(second_refresh).status == 401);
  // The reuse is recorded in the tenant's audit chain as a security event.
  {
    fk::db::TenantTransaction transaction(kernel.app().pool(), tenant.id);
    const auto events = transaction.work().exec(
        "SELECT outcome, summary->>'securityEvent' FROM audit_log WHERE action = "
        "'auth.refresh.reused'");
    REQUIRE(events.size() == 1);
    CHECK(events[0][0].as<std::string>() == "failure");
    CHECK(events[0][1].as<std::string>() == "true");
  }

  const auto fresh =
      login(kernel.port(), tenant.slug, "user@example.com", kPassword).json()["data"];
  REQUIRE(
      http_call(
          kernel.port(), "POST", "/v1/auth/logout", {{"Content-Type", "application/json"}},
          nlohmann::json{{"tenant", tenant.slug}, {"refreshToken", fresh["refreshToken"]}}.dump())
          .status == 200);
  REQUIRE(refresh(fresh["refreshToken"]).status == 401);
  REQUIRE(refresh("fkr_garbage").status == 401);
}

TEST_CASE("forged and tampered access tokens are rejected", "[auth]") {
  fk::test::TestKernel kernel;
  const auto tenant = make_tenant("auth-jwt");
  const auto user_id = make_user(kernel, tenant, "user@example.com", {"member"});
  const auto& ring = kernel.app().signing_keys();
  const auto kid = ring.current().kid;
  const auto good =
      forge(ring, {{"alg", "EdDSA"}, {"typ", "JWT"}, {"kid", kid}}, claims_for(tenant.id, user_id));
  REQUIRE(settings_status(kernel.port(), good) == 200);  // the forge itself is sound

  const auto claims = claims_for(tenant.id, user_id);
  const auto unsigned_token = [&](const std::string& alg) {
    return fk::identity::base64url_encode(nlohmann::json{{"alg", alg}, {"typ", "JWT"}}.dump()) +
           "." + fk::identity::base64url_encode(claims.dump()) + ".";
  };
  CHECK(settings_status(kernel.port(), unsigned_token("none")) == 401);
  CHECK(settings_status(kernel.port(), unsigned_token("None")) == 401);

  // Key confusion: HS256 keyed with the public key's bytes.
  const auto hs_input = fk::identity::base64url_encode(
                            nlohmann::json{{"alg", "HS256"}, {"typ", "JWT"}, {"kid", kid}}.dump()) +
                        "." + fk::identity::base64url_encode(claims.dump());
  const auto public_key = ring.current().raw_public_key();
  unsigned char mac[32];
  unsigned int mac_length = 0;
  HMAC(EVP_sha256(), public_key.data(), static_cast<int>(public_key.size()),
       reinterpret_cast<const unsigned char*>(hs_input.data()), hs_input.size(), mac, &mac_length);
  CHECK(settings_status(kernel.port(), hs_input + "." +
                                           fk::identity::base64url_encode(std::string(
                                               reinterpret_cast<char*>(mac), mac_length))) == 401);

  CHECK(settings_status(kernel.port(),
                        forge(ring, {{"alg", "EdDSA"}, {"kid", "k-unknownkey12"}}, claims)) == 401);
  CHECK(settings_status(kernel.port(), forge(ring, {{"alg", "EdDSA"}, {"kid", "../../etc/passwd"}},
                                             claims)) == 401);

  auto flipped = good;
  flipped[flipped.size() - 5] = flipped[flipped.size() - 5] == 'A' ? 'B' : 'A';
  CHECK(settings_status(kernel.port(), flipped) == 401);

  const nlohmann::json header = {{"alg", "EdDSA"}, {"typ", "JWT"}, {"kid", kid}};
  auto wrong_aud = claims;
  wrong_aud["aud"] = "someone-else";
  CHECK(settings_status(kernel.port(), forge(ring, header, wrong_aud)) == 401);
  auto wrong_iss = claims;
  wrong_iss["iss"] = "evil";
  CHECK(settings_status(kernel.port(), forge(ring, header, wrong_iss)) == 401);
  auto expired = claims;
  expired["exp"] = claims["iat"].get<long long>() - 3600;
  CHECK(settings_status(kernel.port(), forge(ring, header, expired)) == 401);
  auto future = claims;
  future["nbf"] = claims["iat"].get<long long>() + 3600;
  future["iat"] = future["nbf"];
  CHECK(settings_status(kernel.port(), forge(ring, header, future)) == 401);
  CHECK(settings_status(kernel.port(), "not.a.token") == 401);
  const auto wrong_scheme =
      http_call(kernel.port(), "GET", "/v1/tenant/settings", {{"Authorization", "Basic abc"}});
  CHECK(wrong_scheme.status == 401);
}

TEST_CASE("another tenant's ids are 404; admin routes need the permission", "[auth]") {
  fk::test::TestKernel kernel;
  const auto tenant_a = make_tenant("auth-bola-a");
  const auto tenant_b = make_tenant("auth-bola-b");
  make_user(kernel, tenant_a, "admin@a.example", {"tenant-admin"});
  make_user(kernel, tenant_a, "member@a.example", {"member"});
  const auto b_user = make_user(kernel, tenant_b, "user@b.example", {"member"});
  const auto admin_a = access_token(kernel.port(), tenant_a, "admin@a.example");
  const auto member_a = access_token(kernel.port(), tenant_a, "member@a.example");

  // BOLA: every id-taking route, with tenant B's user id, from tenant A's admin.
  CHECK(http_call(kernel.port(), "GET", "/v1/users/" + b_user, bearer(admin_a)).status == 404);
  CHECK(http_call(kernel.port(), "PUT", "/v1/users/" + b_user + "/roles", bearer(admin_a),
                  R"({"roles":[]})")
            .status == 404);
  for (const auto* action : {"disable", "enable", "unlock"}) {
    CHECK(http_call(kernel.port(), "POST", "/v1/users/" + b_user + "/" + action, bearer(admin_a))
              .status == 404);
  }
  // A token of tenant A carries tenant A: a forged tid for B fails the signature.
  CHECK(http_call(kernel.port(), "GET", "/v1/users/not-a-uuid", bearer(admin_a)).status == 404);

  // BFLA: a member cannot use admin routes; a swapped method is 405.
  const auto create = http_call(kernel.port(), "POST", "/v1/users", bearer(member_a),
                                R"({"email":"x@a.example","password":"another-long-password-7"})");
  CHECK(create.status == 403);
  CHECK(http_call(kernel.port(), "GET", "/v1/users", bearer(member_a)).status == 403);
  CHECK(http_call(kernel.port(), "DELETE", "/v1/users", bearer(admin_a)).status == 405);

  // Mass assignment: tenant_id, id, status are refused, never applied.
  for (const auto* field : {"tenant_id", "id", "status", "role"}) {
    auto body =
        nlohmann::json{{"email", "mass@a.example"}, {"password", "another-long-password-7"}};
    body[field] = tenant_b.id;
    const auto reply = http_call(kernel.port(), "POST", "/v1/users", bearer(admin_a), body.dump());
    CHECK(reply.status == 422);
    CHECK(reply.json()["error"]["details"]["field"] == field);
  }
  // Roles beyond the tenant realm are refused.
  const auto platform_role = http_call(
      kernel.port(), "POST", "/v1/users", bearer(admin_a),
      R"({"email":"p@a.example","password":"another-long-password-7","roles":["platform-admin"]})");
  CHECK(platform_role.status == 422);
  const auto weak = http_call(kernel.port(), "POST", "/v1/users", bearer(admin_a),
                              R"({"email":"w@a.example","password":"password1234"})");
  CHECK(weak.status == 422);
  CHECK(weak.json()["error"]["details"]["field"] == "password");
  const auto created = http_call(
      kernel.port(), "POST", "/v1/users", bearer(admin_a),
      R"({"email":"new@a.example","password":"another-long-password-7","roles":["auditor"]})");
  CHECK(created.status == 201);
  CHECK(http_call(kernel.port(), "POST", "/v1/users", bearer(admin_a),
                  R"({"email":"new@a.example","password":"another-long-password-7"})")
            .status == 409);
}

TEST_CASE("role changes and disabling apply at the next request", "[auth]") {
  fk::test::TestKernel kernel;
  const auto tenant = make_tenant("auth-revoke");
  make_user(kernel, tenant, "admin@example.com", {"tenant-admin"});
  const auto user_id = make_user(kernel, tenant, "user@example.com", {"tenant-admin"});
  const auto admin = access_token(kernel.port(), tenant, "admin@example.com");
  const auto user = access_token(kernel.port(), tenant, "user@example.com");
  REQUIRE(http_call(kernel.port(), "GET", "/v1/users", bearer(user)).status == 200);

  REQUIRE(http_call(kernel.port(), "PUT", "/v1/users/" + user_id + "/roles", bearer(admin),
                    R"({"roles":["member"]})")
              .status == 200);
  const auto stale = http_call(kernel.port(), "GET", "/v1/users", bearer(user));
  REQUIRE(stale.status == 401);
  REQUIRE(error_code(stale) == "TOKEN_REVOKED");
  const auto relogged = access_token(kernel.port(), tenant, "user@example.com");
  REQUIRE(http_call(kernel.port(), "GET", "/v1/users", bearer(relogged)).status ==
          403);  // now a member

  REQUIRE(
      http_call(kernel.port(), "POST", "/v1/users/" + user_id + "/disable", bearer(admin)).status ==
      200);
  REQUIRE(settings_status(kernel.port(), relogged) == 401);
  REQUIRE(login(kernel.port(), tenant.slug, "user@example.com", kPassword).status == 401);
}

TEST_CASE("passwords are stored as Argon2id at OWASP parameters and weak hashes upgraded",
          "[auth]") {
  fk::test::TestKernel kernel;
  const auto tenant = make_tenant("auth-hash");
  const auto user_id = make_user(kernel, tenant, "user@example.com", {"member"});
  const auto stored = [&] {
    fk::db::TenantTransaction transaction(kernel.app().pool(), tenant.id);
    return transaction.work()
        .exec_params1("SELECT password_hash FROM users WHERE id = $1::uuid", user_id)[0]
        .as<std::string>();
  };
  REQUIRE(stored().rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0) == 0);

  {
    fk::db::TenantTransaction transaction(kernel.app().pool(), tenant.id);
    transaction.work().exec_params(
        "UPDATE users SET password_hash = $2 WHERE id = $1::uuid", user_id,
        fk::identity::hash_password(kPassword, fk::identity::Argon2Params{4096, 1, 1}));
    transaction.commit();
  }
  REQUIRE(stored().find("m=4096,t=1") != std::string::npos);
  REQUIRE(login(kernel.port(), tenant.slug, "user@example.com", kPassword).status == 200);
  REQUIRE(stored().rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0) == 0);
}
