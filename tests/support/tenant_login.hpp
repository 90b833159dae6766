#pragma once
// Tenants, users and logins for HTTP tests against a TestKernel: a tenant
// with its slug, a user created with the kernel's own services, and a login
// that returns the Bearer access token.

#include "auth/user_admin.hpp"
#include "db/tenant_transaction.hpp"
#include "support/http_client.hpp"
#include "support/test_database.hpp"
#include "support/test_kernel.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fk::test::login {

// Every test user's password (long enough for the password policy).
inline constexpr const char* kPassword = "correct-horse-battery-9";

struct Tenant {
  std::string id;
  std::string slug;
};

inline Tenant make_tenant(const std::string& prefix) {
  const auto id = fk::test::create_tenant(prefix);
  pqxx::connection connection(fk::test::TestDatabase::instance().owner_url());
  pqxx::read_transaction tx(connection);
  return {id,
          tx.exec_params1("SELECT slug FROM tenants WHERE id = $1::uuid", id)[0].as<std::string>()};
}

// Creates the user with kPassword; returns its id.
inline std::string make_user(fk::test::TestKernel& kernel, const Tenant& tenant,
                             const std::string& email,
                             const std::vector<std::string>& roles = {"member"}) {
  fk::db::TenantTransaction transaction(kernel.app().pool(), tenant.id);
  const auto user = fk::auth::create_user(transaction.work(), kernel.app().auth().policy(),
                                          *kernel.app().rbac(), email, "Test", kPassword, roles);
  transaction.commit();
  return user.id;
}

inline fk::test::HttpReply login(uint16_t port, const Tenant& tenant, const std::string& email,
                                 const std::optional<std::string>& totp = {}) {
  nlohmann::json body = {{"tenant", tenant.slug}, {"email", email}, {"password", kPassword}};
  if (totp) body["totp"] = *totp;
  return fk::test::http_call(port, "POST", "/v1/auth/login", {{"Content-Type", "application/json"}},
                             body.dump());
}

// The access token of a successful login (the test fails otherwise).
inline std::string token(uint16_t port, const Tenant& tenant, const std::string& email) {
  const auto reply = login(port, tenant, email);
  INFO(reply.body);
  REQUIRE(reply.status == 200);
  return reply.json()["data"]["accessToken"];
}

inline std::map<std::string, std::string> bearer(const std::string& credential) {
  return {{"Authorization", "Bearer " + credential}, {"Content-Type", "application/json"}};
}

}  // namespace fk::test::login
