// TOTP secrets encrypted with the tenant's data key (docs/keys.md, "Call
// sites"): enrolment over HTTP stores an fkc1. ciphertext, login verifies
// through it, a ciphertext moved to another user's row is refused cleanly,
// key rotation plus re-encryption (CLI, audited) keeps the factor working,
// and a kernel without a master key refuses enrolment with a clear error.

#include "audit/audit_log.hpp"
#include "auth/user_admin.hpp"
#include "db/tenant_transaction.hpp"
#include "identity/totp.hpp"
#include "keys/encrypted_columns.hpp"
#include "keys/errors.hpp"
#include "support/http_client.hpp"
#include "support/subprocess.hpp"
#include "support/tenant_login.hpp"
#include "support/test_database.hpp"
#include "support/test_kernel.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <chrono>
#include <cstdlib>
#include <optional>

using fk::test::http_call;
using fk::test::HttpReply;
using fk::test::TestDatabase;

namespace {

using namespace fk::test::login;  // NOLINT(google-build-using-namespace): test helpers

std::string code_now(const std::string& secret_base32) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return fk::identity::totp_code(fk::identity::base32_decode(secret_base32), now);
}

// Runs `sql` in the tenant's context as the runtime role.
pqxx::result tenant_sql(fk::test::TestKernel& kernel, const Tenant& tenant, const std::string& sql,
                        const std::string& user_id) {
  fk::db::TenantTransaction transaction(kernel.app().pool(), tenant.id);
  auto result = transaction.work().exec_params(sql, user_id);
  transaction.commit();
  return result;
}

std::string stored_secret(fk::test::TestKernel& kernel, const Tenant& tenant,
                          const std::string& user_id) {
  return tenant_sql(kernel, tenant,
                    "SELECT coalesce(totp_secret, '') FROM users WHERE id = $1::uuid",
                    user_id)[0][0]
      .as<std::string>();
}

// The replay guard refuses a second code of the same time step; the test
// logs in several times within one step, so it forgets the last step.
void forget_last_step(fk::test::TestKernel& kernel, const Tenant& tenant,
                      const std::string& user_id) {
  tenant_sql(kernel, tenant, "UPDATE users SET totp_last_step = NULL WHERE id = $1::uuid", user_id);
}

// Enrols and confirms TOTP for `email` over HTTP; returns the base32 secret.
std::string enrol(fk::test::TestKernel& kernel, const Tenant& tenant, const std::string& email) {
  const auto access = token(kernel.port(), tenant, email);
  const auto enrolment = http_call(kernel.port(), "POST", "/v1/auth/totp/enrol", bearer(access));
  INFO(enrolment.body);
  REQUIRE(enrolment.status == 200);
  const std::string secret = enrolment.json()["data"]["secret"];
  const auto confirmed = http_call(kernel.port(), "POST", "/v1/auth/totp/confirm", bearer(access),
                                   nlohmann::json{{"code", code_now(secret)}}.dump());
  INFO(confirmed.body);
  REQUIRE(confirmed.status == 200);
  return secret;
}

std::vector<std::string> database_args() {
  return {"--database-url", TestDatabase::instance().owner_url(), "--runtime-database-url",
          TestDatabase::instance().runtime_url()};
}

}  // namespace

TEST_CASE("TOTP secrets are stored encrypted and survive rotation and re-encryption", "[auth]") {
  fk::test::TestKernel kernel;
  const auto tenant = make_tenant("totpenc");
  const auto alice = make_user(kernel, tenant, "alice@totp.example");
  const auto bob = make_user(kernel, tenant, "bob@totp.example");

  const auto secret = enrol(kernel, tenant, "alice@totp.example");
  // The column holds a ciphertext, never the secret.
  const auto sealed = stored_secret(kernel, tenant, alice);
  REQUIRE(sealed.rfind("fkc1.1.", 0) == 0);
  REQUIRE(sealed.find(secret) == std::string::npos);

  // Login needs the code and accepts a right one.
  REQUIRE(login(kernel.port(), tenant, "alice@totp.example").json()["error"]["code"] ==
          "TOTP_REQUIRED");
  forget_last_step(kernel, tenant, alice);
  auto ok = login(kernel.port(), tenant, "alice@totp.example", code_now(secret));
  INFO(ok.body);
  REQUIRE(ok.status == 200);

  SECTION("a ciphertext copied to another user's row does not decrypt; login fails cleanly") {
    {
      fk::db::TenantTransaction transaction(kernel.app().pool(), tenant.id);
      transaction.work().exec_params(
          "UPDATE users SET totp_secret = $2, totp_enabled = true WHERE id = $1::uuid", bob,
          sealed);
      // The key service sees a ciphertext bound to another row.
      REQUIRE_THROWS_AS(
          kernel.app().auth().tenant_keys()->decrypt(transaction.work(), tenant.id,
                                                     fk::keys::totp_secret_purpose(bob), sealed),
          fk::keys::TamperedCiphertext);
      transaction.commit();
    }
    const auto refused = login(kernel.port(), tenant, "bob@totp.example", code_now(secret));
    INFO(refused.body);
    REQUIRE(refused.status == 409);
    REQUIRE(refused.json()["error"]["code"] == "TOTP_SECRET_UNREADABLE");
    // Recorded in the tenant's chain, and the account was not charged a failure.
    fk::db::TenantTransaction transaction(kernel.app().pool(), tenant.id);
    fk::audit::ListFilter filter;
    filter.actor_id = bob;
    filter.action = "auth.login.failed";
    const auto page = fk::audit::list(transaction.work(), filter, std::nullopt, 10);
    REQUIRE(page.records.size() == 1);
    REQUIRE(page.records[0].record.summary["code"] == "TOTP_SECRET_UNREADABLE");
    REQUIRE(transaction.work()
                .exec_params1("SELECT failed_logins FROM users WHERE id = $1::uuid", bob)[0]
                .as<int>() == 0);
  }

  SECTION("legacy plaintext secrets are refused with a clear error") {
    tenant_sql(kernel, tenant,
               "UPDATE users SET totp_secret = 'JBSWY3DPEHPK3PXP', totp_enabled = true "
               "WHERE id = $1::uuid",
               bob);
    const auto refused = login(kernel.port(), tenant, "bob@totp.example", "123456");
    INFO(refused.body);
    REQUIRE(refused.status == 409);
    REQUIRE(refused.json()["error"]["code"] == "TOTP_SECRET_UNREADABLE");
  }

  SECTION("keys rotate + reencrypt (CLI, audited) keep the factor working") {
    setenv("FINKERNEL_IDENTITY_MASTER_KEY_FILE",
           fk::test::test_config().identity.master_key_file.c_str(), 1);
    auto with = [](std::vector<std::string> args) {
      for (auto& arg : database_args()) args.push_back(arg);
      return args;
    };
    const auto rotated = fk::test::run_finkernel(with({"keys", "rotate", "--tenant", tenant.slug}));
    INFO(rotated.out);
    REQUIRE(rotated.exit_code == 0);
    // Still readable under version 1 before re-encryption.
    forget_last_step(kernel, tenant, alice);
    REQUIRE(login(kernel.port(), tenant, "alice@totp.example", code_now(secret)).status == 200);

    const auto moved =
        fk::test::run_finkernel(with({"keys", "reencrypt", "--tenant", tenant.slug}));
    INFO(moved.out);
    REQUIRE(moved.exit_code == 0);
    REQUIRE(stored_secret(kernel, tenant, alice).rfind("fkc1.2.", 0) == 0);
    const auto retired =
        fk::test::run_finkernel(with({"keys", "retire", "--tenant", tenant.slug, "--below", "2"}));
    INFO(retired.out);
    REQUIRE(retired.exit_code == 0);

    forget_last_step(kernel, tenant, alice);
    ok = login(kernel.port(), tenant, "alice@totp.example", code_now(secret));
    INFO(ok.body);
    REQUIRE(ok.status == 200);

    // Each key operation is in the tenant's chain, by the CLI, and the chain verifies.
    {
      fk::db::TenantTransaction transaction(kernel.app().pool(), tenant.id);
      for (const auto* action : {"keys.rotate", "keys.reencrypt", "keys.retire"}) {
        fk::audit::ListFilter filter;
        filter.action = action;
        const auto page = fk::audit::list(transaction.work(), filter, std::nullopt, 10);
        INFO(action);
        REQUIRE(page.records.size() == 1);
        REQUIRE(page.records[0].record.actor_type == "system");
        REQUIRE(page.records[0].record.actor_id == "cli");
      }
    }
    char keys_dir[] = "/tmp/fk-totp-audit-XXXXXX";
    REQUIRE(mkdtemp(keys_dir) != nullptr);
    setenv("FINKERNEL_IDENTITY_AUDIT_KEY_FILE", (std::string(keys_dir) + "/audit.json").c_str(), 1);
    const auto verified =
        fk::test::run_finkernel(with({"audit", "verify", "--tenant", tenant.slug}));
    INFO(verified.out);
    REQUIRE(verified.exit_code == 0);
    unsetenv("FINKERNEL_IDENTITY_AUDIT_KEY_FILE");
    unsetenv("FINKERNEL_IDENTITY_MASTER_KEY_FILE");
  }
}

TEST_CASE("without a master key TOTP enrolment is refused clearly; the rest works", "[auth]") {
  REQUIRE(std::getenv("FINKERNEL_MASTER_KEY") == nullptr);
  auto config = fk::test::test_config();
  config.identity.master_key_file = "/nonexistent/fk-master.key";
  fk::test::TestKernel kernel(config);
  REQUIRE(kernel.app().auth().tenant_keys() == nullptr);
  const auto tenant = make_tenant("totpnokey");
  make_user(kernel, tenant, "carol@totp.example");
  const auto access = token(kernel.port(), tenant, "carol@totp.example");
  const auto refused = http_call(kernel.port(), "POST", "/v1/auth/totp/enrol", bearer(access));
  INFO(refused.body);
  REQUIRE(refused.status == 503);
  REQUIRE(refused.json()["error"]["code"] == "MASTER_KEY_UNAVAILABLE");
  REQUIRE(http_call(kernel.port(), "GET", "/v1/tenant/settings", bearer(access)).status == 200);
}
