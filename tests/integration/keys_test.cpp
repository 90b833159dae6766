// Per-tenant encryption keys (docs/keys.md) against the real database, as the
// runtime role under row-level security, the way request handlers use them.

#include "audit/audit_log.hpp"
#include "db/roles.hpp"
#include "identity/secure_random.hpp"
#include "keys/ciphertext.hpp"
#include "keys/reencrypt_job.hpp"
#include "keys/tenant_keys.hpp"
#include "support/subprocess.hpp"
#include "support/test_database.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

namespace {

using fk::keys::Ciphertext;
using fk::keys::KeyError;
using fk::keys::KeyNotFound;
using fk::keys::LocalMasterKeyProvider;
using fk::keys::RetiredKeyVersion;
using fk::keys::TamperedCiphertext;
using fk::keys::TenantKeyService;
using fk::test::TestDatabase;

std::shared_ptr<fk::keys::MasterKeyProvider> fresh_master() {
  return std::make_shared<LocalMasterKeyProvider>(fk::identity::random_bytes(32));
}

// One transaction as the runtime role, scoped to `tenant_id` like
// db::TenantTransaction does for request code.
struct TenantTx {
  explicit TenantTx(const std::string& tenant_id, const std::string& url = "")
      : connection(url.empty() ? TestDatabase::instance().runtime_url() : url), tx(connection) {
    tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant_id);
  }
  pqxx::connection connection;
  pqxx::work tx;
};

std::string encrypt(TenantKeyService& keys, const std::string& tenant, const std::string& purpose,
                    const std::string& plaintext) {
  TenantTx t(tenant);
  auto c = keys.encrypt(t.tx, tenant, purpose, plaintext);
  t.tx.commit();
  return c;
}

std::string decrypt(TenantKeyService& keys, const std::string& tenant, const std::string& purpose,
                    const std::string& ciphertext) {
  TenantTx t(tenant);
  return keys.decrypt(t.tx, tenant, purpose, ciphertext);
}

int rotate(TenantKeyService& keys, const std::string& tenant) {
  TenantTx t(tenant);
  const int version = keys.rotate(t.tx, tenant);
  t.tx.commit();
  return version;
}

int version_of(const std::string& ciphertext) {
  return fk::keys::parse_ciphertext(ciphertext).version;
}

// Flips one bit of the nonce or of the sealed bytes at `index`.
std::string flip(const std::string& ciphertext, bool in_nonce, std::size_t index) {
  auto c = fk::keys::parse_ciphertext(ciphertext);
  auto& bytes = in_nonce ? c.nonce : c.sealed;
  bytes[index] = static_cast<char>(bytes[index] ^ 0x01);
  return fk::keys::format_ciphertext(c);
}

// A tenant table with an encrypted column, created once by the owner role
// following the tenancy rules of the migrations.
void create_secrets_table() {
  static std::once_flag once;
  std::call_once(once, [] {
    pqxx::connection owner(TestDatabase::instance().owner_url());
    pqxx::work tx(owner);
    tx.exec(
        "CREATE TABLE keys_test_secrets (tenant_id uuid NOT NULL, id integer NOT NULL,"
        " secret text, PRIMARY KEY (tenant_id, id));"
        "ALTER TABLE keys_test_secrets ENABLE ROW LEVEL SECURITY;"
        "ALTER TABLE keys_test_secrets FORCE ROW LEVEL SECURITY;"
        "CREATE POLICY tenant_isolation ON keys_test_secrets"
        " USING (tenant_id = (SELECT fk_current_tenant()))"
        " WITH CHECK (tenant_id = (SELECT fk_current_tenant()));"
        "GRANT SELECT, INSERT, UPDATE ON keys_test_secrets TO fk_runtime;");
    tx.commit();
  });
}

fk::keys::EncryptedColumn secrets_column() {
  return {"keys_test_secrets", "secret", {"id"}, [](const std::vector<std::string>& key) {
            return "keys_test_secrets.secret:" + key.at(0);
          }};
}

}  // namespace

TEST_CASE("a field round-trips and every encryption uses a fresh nonce", "[keys]") {
  const auto tenant = fk::test::create_tenant("keys-rt");
  TenantKeyService keys(fresh_master());
  const auto a = encrypt(keys, tenant, "users.totp_secret:u1", "JBSWY3DPEHPK3PXP");
  const auto b = encrypt(keys, tenant, "users.totp_secret:u1", "JBSWY3DPEHPK3PXP");
  REQUIRE(a != b);
  REQUIRE(a.rfind("fkc1.1.", 0) == 0);
  REQUIRE(a.find("JBSWY3DP") == std::string::npos);
  REQUIRE(decrypt(keys, tenant, "users.totp_secret:u1", a) == "JBSWY3DPEHPK3PXP");
  REQUIRE(decrypt(keys, tenant, "users.totp_secret:u1", b) == "JBSWY3DPEHPK3PXP");
  REQUIRE(decrypt(keys, tenant, "empty", encrypt(keys, tenant, "empty", "")).empty());

  SECTION("keys are stored only wrapped") {
    TenantTx t(tenant);
    const auto row = t.tx.exec_params1(
        "SELECT wrapped_key, master_key_id FROM tenant_data_keys WHERE tenant_id = $1", tenant);
    REQUIRE(row[0].as<std::string>().rfind("fkw1.", 0) == 0);
    REQUIRE(row[1].as<std::string>().rfind("local:", 0) == 0);
  }
  SECTION("a transaction scoped to another tenant is refused") {
    const auto other = fk::test::create_tenant("keys-rt-other");
    TenantTx t(other);
    REQUIRE_THROWS_AS(keys.decrypt(t.tx, tenant, "users.totp_secret:u1", a), KeyError);
    REQUIRE_THROWS_AS(keys.encrypt(t.tx, tenant, "p", "x"), KeyError);
  }
  SECTION("garbage is malformed, not tampered") {
    REQUIRE_THROWS_AS(decrypt(keys, tenant, "p", "not a ciphertext"),
                      fk::keys::MalformedCiphertext);
    REQUIRE_THROWS_AS(decrypt(keys, tenant, "p", "fkc1.01.AAAA.AAAA"),
                      fk::keys::MalformedCiphertext);
  }
}

TEST_CASE("a ciphertext moved to another tenant, row or column does not decrypt", "[keys]") {
  const auto tenant_a = fk::test::create_tenant("keys-mv-a");
  const auto tenant_b = fk::test::create_tenant("keys-mv-b");
  TenantKeyService keys(fresh_master());
  const auto c = encrypt(keys, tenant_a, "users.totp_secret:u1", "secret-a");
  encrypt(keys, tenant_b, "users.totp_secret:u1", "secret-b");  // b has a version 1 too

  REQUIRE_THROWS_AS(decrypt(keys, tenant_b, "users.totp_secret:u1", c), TamperedCiphertext);
  REQUIRE_THROWS_AS(decrypt(keys, tenant_a, "users.totp_secret:u2", c), TamperedCiphertext);
  REQUIRE_THROWS_AS(decrypt(keys, tenant_a, "users.email:u1", c), TamperedCiphertext);
  REQUIRE(decrypt(keys, tenant_a, "users.totp_secret:u1", c) == "secret-a");
}

TEST_CASE("a wrapped key copied to another tenant's row does not unwrap", "[keys]") {
  const auto tenant_a = fk::test::create_tenant("keys-wk-a");
  const auto tenant_b = fk::test::create_tenant("keys-wk-b");
  const auto master = fresh_master();
  TenantKeyService keys(master);
  encrypt(keys, tenant_a, "p", "a");
  const auto b = encrypt(keys, tenant_b, "p", "b");
  {  // an attacker with database access (a superuser bypasses RLS)
    pqxx::connection superuser(TestDatabase::with_database(TestDatabase::instance().superuser_url(),
                                                           fk::db::kDatabaseName));
    pqxx::work tx(superuser);
    tx.exec_params(
        "UPDATE tenant_data_keys SET wrapped_key = (SELECT wrapped_key FROM tenant_data_keys "
        "WHERE tenant_id = $1 AND version = 1) WHERE tenant_id = $2 AND version = 1",
        tenant_a, tenant_b);
    tx.commit();
  }
  TenantKeyService fresh(master);  // nothing cached
  REQUIRE_THROWS_AS(decrypt(fresh, tenant_b, "p", b), TamperedCiphertext);
}

TEST_CASE("one flipped bit in nonce, body or tag fails as tampering", "[keys]") {
  const auto tenant = fk::test::create_tenant("keys-flip");
  TenantKeyService keys(fresh_master());
  const std::string purpose = "accounts.iban:42";
  const auto c = encrypt(keys, tenant, purpose, "DE89370400440532013000");
  const auto sealed_size = fk::keys::parse_ciphertext(c).sealed.size();
  REQUIRE_THROWS_AS(decrypt(keys, tenant, purpose, flip(c, true, 0)), TamperedCiphertext);
  REQUIRE_THROWS_AS(decrypt(keys, tenant, purpose, flip(c, true, 11)), TamperedCiphertext);
  REQUIRE_THROWS_AS(decrypt(keys, tenant, purpose, flip(c, false, 0)), TamperedCiphertext);
  REQUIRE_THROWS_AS(decrypt(keys, tenant, purpose, flip(c, false, sealed_size - 1)),
                    TamperedCiphertext);
  REQUIRE(decrypt(keys, tenant, purpose, c) == "DE89370400440532013000");
}

TEST_CASE("rotation: old versions still decrypt, new encryptions use the new one", "[keys]") {
  const auto tenant = fk::test::create_tenant("keys-rot");
  TenantKeyService keys(fresh_master());
  const auto old = encrypt(keys, tenant, "p", "old");
  REQUIRE(rotate(keys, tenant) == 2);
  const auto fresh = encrypt(keys, tenant, "p", "new");
  REQUIRE(version_of(old) == 1);
  REQUIRE(version_of(fresh) == 2);
  REQUIRE(decrypt(keys, tenant, "p", old) == "old");
  REQUIRE(decrypt(keys, tenant, "p", fresh) == "new");

  SECTION("retire_below refuses older versions") {
    {
      TenantTx t(tenant);
      keys.retire_below(t.tx, tenant, 2);
      REQUIRE_THROWS_AS(keys.retire_below(t.tx, tenant, 3), KeyError);
      t.tx.commit();
    }
    REQUIRE_THROWS_AS(decrypt(keys, tenant, "p", old), RetiredKeyVersion);
    REQUIRE(decrypt(keys, tenant, "p", fresh) == "new");
    TenantTx t(tenant);
    keys.retire_below(t.tx, tenant, 1);  // one-way: stays at 2
    REQUIRE(keys.status(t.tx, tenant).min_decrypt_version == 2);
  }
}

TEST_CASE("the service rotates before a version reaches its message limit", "[keys]") {
  const auto tenant = fk::test::create_tenant("keys-limit");
  TenantKeyService keys(fresh_master(), 3);
  std::vector<std::string> ciphertexts;
  for (int i = 0; i < 7; ++i) ciphertexts.push_back(encrypt(keys, tenant, "p", std::to_string(i)));
  REQUIRE(version_of(ciphertexts[2]) == 1);
  REQUIRE(version_of(ciphertexts[3]) == 2);
  REQUIRE(version_of(ciphertexts[6]) == 3);
  for (int i = 0; i < 7; ++i)
    REQUIRE(decrypt(keys, tenant, "p", ciphertexts[i]) == std::to_string(i));
  TenantTx t(tenant);
  REQUIRE(keys.status(t.tx, tenant).current_usage == 1);
}

TEST_CASE("re-encryption moves every row to the newest version and resumes", "[keys]") {
  create_secrets_table();
  const auto tenant = fk::test::create_tenant("keys-reenc");
  const auto other = fk::test::create_tenant("keys-reenc-other");
  TenantKeyService keys(fresh_master());
  constexpr int kRows = 10;
  for (const auto& t_id : {tenant, other}) {
    TenantTx t(t_id);
    for (int id = 1; id <= kRows; ++id) {
      const auto purpose = "keys_test_secrets.secret:" + std::to_string(id);
      t.tx.exec_params("INSERT INTO keys_test_secrets (tenant_id, id, secret) VALUES ($1, $2, $3)",
                       t_id, id, keys.encrypt(t.tx, t_id, purpose, "value-" + std::to_string(id)));
    }
    t.tx.exec_params("INSERT INTO keys_test_secrets (tenant_id, id, secret) VALUES ($1, 99, NULL)",
                     t_id);
    t.tx.commit();
  }
  REQUIRE(rotate(keys, tenant) == 2);

  {  // first job: one batch, then "stopped"
    fk::keys::ReencryptJob job(keys, secrets_column(), tenant);
    TenantTx t(tenant);
    const auto before = job.progress(t.tx);
    REQUIRE(before.done == 0);
    REQUIRE(before.total == kRows);
    const auto after = job.run_batch(t.tx, 4);
    REQUIRE(after.done == 4);
    REQUIRE_FALSE(after.finished());
    t.tx.commit();
  }
  {  // a stopped batch (rolled back) changes nothing
    fk::keys::ReencryptJob job(keys, secrets_column(), tenant);
    TenantTx t(tenant);
    job.run_batch(t.tx, 3);
  }
  fk::keys::ReencryptJob resumed(keys, secrets_column(), tenant);
  fk::keys::ReencryptProgress progress;
  int batches = 0;
  do {
    TenantTx t(tenant);
    progress = resumed.run_batch(t.tx, 4);
    t.tx.commit();
    ++batches;
  } while (!progress.finished() && batches < 10);
  REQUIRE(progress.finished());
  REQUIRE(progress.done == kRows);
  REQUIRE(batches == 2);
  {  // idempotent: another pass (through the service's shortcut) changes nothing
    TenantTx t(tenant);
    const auto again = keys.reencrypt_batch(t.tx, tenant, secrets_column(), 100);
    REQUIRE(again.finished());
    REQUIRE(again.done == kRows);
    REQUIRE(keys.status(t.tx, tenant).current_version == 2);
    t.tx.commit();
  }

  TenantTx t(tenant);
  for (const auto& row : t.tx.exec("SELECT id, secret FROM keys_test_secrets WHERE secret IS NOT "
                                   "NULL ORDER BY id")) {
    const auto id = row[0].as<std::string>();
    REQUIRE(version_of(row[1].as<std::string>()) == 2);
    REQUIRE(keys.decrypt(t.tx, tenant, "keys_test_secrets.secret:" + id,
                         row[1].as<std::string>()) == "value-" + id);
  }
  TenantTx o(other);  // the other tenant's rows were not touched
  REQUIRE(o.tx.exec("SELECT 1 FROM keys_test_secrets WHERE secret LIKE 'fkc1.1.%'").size() ==
          kRows);
}

TEST_CASE("master-key rotation rewraps the data keys only", "[keys]") {
  const auto tenant = fk::test::create_tenant("keys-master");
  const auto old_master = fresh_master();
  const auto new_master = fresh_master();
  TenantKeyService keys(old_master);
  const auto v1 = encrypt(keys, tenant, "p", "one");
  rotate(keys, tenant);
  const auto v2 = encrypt(keys, tenant, "p", "two");
  const auto index = [&](TenantKeyService& service) {
    TenantTx t(tenant);
    return service.blind_index(t.tx, tenant, "users.email", "a@example.com");
  };
  const auto index_before = index(keys);
  {
    TenantTx t(tenant);
    REQUIRE(keys.rewrap(t.tx, tenant, *new_master) == 3);  // two data keys and the index key
    REQUIRE(keys.rewrap(t.tx, tenant, *new_master) == 0);  // resumable: nothing left
    t.tx.commit();
  }
  TenantKeyService with_new(new_master);
  REQUIRE(decrypt(with_new, tenant, "p", v1) == "one");
  REQUIRE(decrypt(with_new, tenant, "p", v2) == "two");
  REQUIRE(index(with_new) == index_before);

  TenantKeyService with_old(old_master);
  REQUIRE_THROWS_AS(decrypt(with_old, tenant, "p", v1), KeyError);
  TenantTx t(tenant);
  const auto wrapped = t.tx.exec_params1(
      "SELECT wrapped_key FROM tenant_data_keys WHERE tenant_id = $1 AND version = 1", tenant)[0];
  REQUIRE_THROWS_AS(old_master->unwrap(wrapped.as<std::string>(), "fk.dek|" + tenant + "|1"),
                    TamperedCiphertext);
}

TEST_CASE("rewrap_all rotates the master key of every tenant it can", "[keys]") {
  const auto tenant_a = fk::test::create_tenant("keys-all-a");
  const auto tenant_b = fk::test::create_tenant("keys-all-b");
  const auto old_master = fresh_master();
  const auto new_master = fresh_master();
  TenantKeyService keys(old_master);
  const auto a = encrypt(keys, tenant_a, "p", "a");
  const auto b = encrypt(keys, tenant_b, "p", "b");
  pqxx::connection owner(TestDatabase::instance().owner_url());
  // Tenants of other test cases have keys under other masters: they are
  // reported as failed, not silently skipped, and do not stop the others.
  const auto report = keys.rewrap_all(owner, *new_master);
  REQUIRE(report.tenants >= 2);
  REQUIRE(report.keys >= 4);
  REQUIRE(std::find(report.failed.begin(), report.failed.end(), tenant_a) == report.failed.end());
  REQUIRE(std::find(report.failed.begin(), report.failed.end(), tenant_b) == report.failed.end());
  TenantKeyService with_new(new_master);
  REQUIRE(decrypt(with_new, tenant_a, "p", a) == "a");
  REQUIRE(decrypt(with_new, tenant_b, "p", b) == "b");
  REQUIRE(keys.rewrap_all(owner, *new_master).keys == 0);  // resumable: all done
}

TEST_CASE("finkernel keys rewrap rotates the master key and is audited", "[keys]") {
  char dir[] = "/tmp/fk-rewrap-cli-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string old_file = std::string(dir) + "/old.key";
  const std::string new_file = std::string(dir) + "/new.key";
  fk::keys::init_master_key_file(old_file);
  fk::keys::init_master_key_file(new_file);
  const auto tenant = fk::test::create_tenant("keys-cli-rewrap");
  TenantKeyService old_keys(fk::keys::load_master_key_file(old_file));
  const auto sealed = encrypt(old_keys, tenant, "p", "secret");

  setenv("FINKERNEL_IDENTITY_MASTER_KEY_FILE", old_file.c_str(), 1);
  const auto result =
      fk::test::run_finkernel({"keys", "rewrap", "--new-file", new_file, "--database-url",
                               TestDatabase::instance().owner_url(), "--runtime-database-url",
                               TestDatabase::instance().runtime_url()});
  unsetenv("FINKERNEL_IDENTITY_MASTER_KEY_FILE");
  INFO(result.out);
  // Tenants of other test cases have keys under other masters: exit 1, listed.
  REQUIRE((result.exit_code == 0 || result.exit_code == 1));
  REQUIRE(result.out.find("FAILED: tenant " + tenant) == std::string::npos);
  TenantKeyService new_keys(fk::keys::load_master_key_file(new_file));
  REQUIRE(decrypt(new_keys, tenant, "p", sealed) == "secret");

  // Recorded in the platform chain by the CLI, with the new key's id.
  TenantTx platform(fk::audit::kPlatformChain);
  fk::audit::ListFilter filter;
  filter.action = "keys.rewrap";
  const auto page = fk::audit::list(platform.tx, filter, std::nullopt, 1000);
  REQUIRE_FALSE(page.records.empty());
  const auto& record = page.records.back().record;
  REQUIRE(record.actor_type == "system");
  REQUIRE(record.actor_id == "cli");
  REQUIRE(record.summary["newKeyId"] == fk::keys::load_master_key_file(new_file)->key_id());
  std::filesystem::remove_all(dir);
}

TEST_CASE("shredding makes a tenant's ciphertexts undecryptable", "[keys]") {
  const auto tenant = fk::test::create_tenant("keys-shred");
  const auto master = fresh_master();
  TenantKeyService keys(master);
  const auto saved = encrypt(keys, tenant, "p", "gone");
  REQUIRE(keys.cached_keys(tenant) > 0);

  // A "backup" of the key rows taken before the shred.
  pqxx::result state_backup;
  pqxx::result keys_backup;
  {
    TenantTx t(tenant);
    state_backup = t.tx.exec("SELECT * FROM tenant_key_state");
    keys_backup = t.tx.exec("SELECT * FROM tenant_data_keys");
    keys.shred(t.tx, tenant);
    t.tx.commit();
  }
  REQUIRE(keys.cached_keys(tenant) == 0);
  REQUIRE_THROWS_AS(decrypt(keys, tenant, "p", saved), KeyNotFound);

  // Restoring the backup rows: they are useless without the master key that
  // wrapped them (docs/keys.md: shredding is final against old backups once
  // that master key is rotated away and destroyed, or the backups expire).
  const auto restore = [&](pqxx::work& tx) {
    const auto& s = state_backup[0];
    tx.exec_params(
        "INSERT INTO tenant_key_state (tenant_id, current_version, min_decrypt_version, "
        "wrapped_index_key, index_master_key_id, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7::timestamptz)",
        s["tenant_id"].c_str(), s["current_version"].as<int>(), s["min_decrypt_version"].as<int>(),
        s["wrapped_index_key"].c_str(), s["index_master_key_id"].c_str(), s["created_at"].c_str(),
        s["updated_at"].c_str());
    for (const auto& k : keys_backup) {
      tx.exec_params(
          "INSERT INTO tenant_data_keys (tenant_id, version, wrapped_key, master_key_id, "
          "usage_count, created_at) VALUES ($1, $2, $3, $4, $5, $6::timestamptz)",
          k["tenant_id"].c_str(), k["version"].as<int>(), k["wrapped_key"].c_str(),
          k["master_key_id"].c_str(), k["usage_count"].as<long>(), k["created_at"].c_str());
    }
  };
  {
    TenantTx t(tenant);
    restore(t.tx);
    TenantKeyService after_master_rotation(fresh_master());
    REQUIRE_THROWS_AS(after_master_rotation.decrypt(t.tx, tenant, "p", saved), KeyError);
    // The honest limit: the old backup plus the old master key still decrypt.
    TenantKeyService with_old_master(master);
    REQUIRE(with_old_master.decrypt(t.tx, tenant, "p", saved) == "gone");
  }  // rolled back
}

TEST_CASE("blind indexes match within a tenant and differ across tenants", "[keys]") {
  const auto tenant_a = fk::test::create_tenant("keys-bi-a");
  const auto tenant_b = fk::test::create_tenant("keys-bi-b");
  TenantKeyService keys(fresh_master());
  const auto index = [&](const std::string& tenant, const std::string& purpose,
                         const std::string& value) {
    TenantTx t(tenant);
    auto result = keys.blind_index(t.tx, tenant, purpose, value);
    t.tx.commit();
    return result;
  };
  const auto a1 = index(tenant_a, "users.email", "ada@example.com");
  REQUIRE(a1 == index(tenant_a, "users.email", "ada@example.com"));
  REQUIRE(a1 != index(tenant_a, "users.email", "bob@example.com"));
  REQUIRE(a1 != index(tenant_a, "users.phone", "ada@example.com"));
  REQUIRE(a1 != index(tenant_b, "users.email", "ada@example.com"));
  rotate(keys, tenant_a);  // data-key rotation does not change the index
  REQUIRE(a1 == index(tenant_a, "users.email", "ada@example.com"));
}

TEST_CASE("the master key file is created 0600 and refused when loose", "[keys]") {
  namespace fs = std::filesystem;
  const auto dir = fs::temp_directory_path() / ("fk-keys-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const auto file = dir / "master.key";
  fs::remove(file);
  fk::keys::init_master_key_file(file);
  struct stat info {};
  REQUIRE(stat(file.c_str(), &info) == 0);
  REQUIRE((info.st_mode & 0777) == 0600);
  const auto provider = fk::keys::load_master_key_file(file);
  REQUIRE_THROWS_AS(fk::keys::init_master_key_file(file), KeyError);  // never overwritten
  REQUIRE(fk::keys::load_master_key_file(file)->key_id() == provider->key_id());

  SECTION("the environment variable holds the same key") {
    std::ifstream in(file);
    std::string text;
    in >> text;
    setenv(fk::keys::kMasterKeyEnv, text.c_str(), 1);
    REQUIRE(fk::keys::load_master_key(dir / "absent.key")->key_id() == provider->key_id());
    setenv(fk::keys::kMasterKeyEnv, "dG9vLXNob3J0", 1);
    REQUIRE_THROWS_AS(fk::keys::master_key_from_env(), KeyError);
    unsetenv(fk::keys::kMasterKeyEnv);
    REQUIRE(fk::keys::master_key_from_env() == nullptr);
  }
  SECTION("group or other access is refused with the fix") {
    fs::permissions(file, fs::perms::group_read, fs::perm_options::add);
    try {
      fk::keys::load_master_key_file(file);
      FAIL("loose key file was accepted");
    } catch (const KeyError& e) {
      const std::string message = e.what();
      REQUIRE(message.find(file.string()) != std::string::npos);
      REQUIRE(message.find("chmod 600") != std::string::npos);
    }
  }
  fs::remove_all(dir);
}

TEST_CASE("concurrent first use creates one set of keys", "[keys]") {
  const auto tenant = fk::test::create_tenant("keys-race");
  TenantKeyService keys(fresh_master());
  std::vector<std::string> results(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = encrypt(keys, tenant, "p", std::to_string(i)); });
  }
  for (auto& thread : threads) thread.join();
  for (std::size_t i = 0; i < results.size(); ++i) {
    REQUIRE(decrypt(keys, tenant, "p", results[i]) == std::to_string(i));
  }
  TenantTx t(tenant);
  REQUIRE(t.tx.exec("SELECT 1 FROM tenant_data_keys").size() == 1);
  REQUIRE(keys.status(t.tx, tenant).current_usage == 4);
}
