// The finkernel executable as an operator uses it: exit codes and messages.

#include "support/http_client.hpp"
#include "support/subprocess.hpp"
#include "support/test_database.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

using fk::test::run_finkernel;
using fk::test::TestDatabase;

namespace {

std::vector<std::string> with_database(std::vector<std::string> args) {
  args.push_back("--database-url");
  args.push_back(TestDatabase::instance().owner_url());
  args.push_back("--runtime-database-url");
  args.push_back(TestDatabase::instance().runtime_url());
  return args;
}

std::string write_temp(const std::string& content) {
  char pattern[] = "/tmp/fk-config-XXXXXX.yaml";
  const int fd = mkstemps(pattern, 5);
  close(fd);
  std::ofstream(pattern) << content;
  return pattern;
}

}  // namespace

TEST_CASE("finkernel config check", "[cli]") {
  const auto good = run_finkernel({"config", "check", std::string(FK_SOURCE_DIR) + "/kernel.yaml"});
  INFO(good.out);
  REQUIRE(good.exit_code == 0);
  REQUIRE(good.out.find("OK") != std::string::npos);

  const auto file = write_temp("http:\n  port: 8080\n  prot: 1\n");
  const auto bad = run_finkernel({"config", "check", file});
  INFO(bad.out);
  REQUIRE(bad.exit_code == 1);
  REQUIRE(bad.out.find(":3") != std::string::npos);
  REQUIRE(bad.out.find("http.prot") != std::string::npos);
  std::remove(file.c_str());
}

TEST_CASE("every subcommand has --help", "[cli]") {
  for (const auto* command : {"run", "migrate", "config", "tenant"}) {
    const auto help = run_finkernel({command, "--help"});
    INFO(command << ": " << help.out);
    REQUIRE(help.exit_code == 0);
    REQUIRE(help.out.find("usage: finkernel") != std::string::npos);
  }
  const auto unknown = run_finkernel({"frobnicate"});
  REQUIRE(unknown.exit_code == 2);
  REQUIRE(unknown.out.find("unknown command") != std::string::npos);
}

TEST_CASE("finkernel migrate and tenant lifecycle against an existing server", "[cli]") {
  const auto migrate = run_finkernel(with_database({"migrate"}));
  INFO(migrate.out);
  REQUIRE(migrate.exit_code == 0);
  REQUIRE(migrate.out.find("0 applied") != std::string::npos);

  const std::string slug = "cli-" + std::to_string(getpid());
  const auto created =
      run_finkernel(with_database({"tenant", "create", slug, "--name", "CLI Bank", "--json"}));
  INFO(created.out);
  REQUIRE(created.exit_code == 0);
  const auto tenant = nlohmann::json::parse(created.out)[0];
  REQUIRE(tenant["slug"] == slug);
  REQUIRE(tenant["status"] == "active");

  const auto duplicate =
      run_finkernel(with_database({"tenant", "create", slug, "--name", "Again"}));
  REQUIRE(duplicate.exit_code == 1);
  REQUIRE(duplicate.out.find("TENANT_EXISTS") != std::string::npos);

  const auto bad_slug =
      run_finkernel(with_database({"tenant", "create", "Bad Slug!", "--name", "X"}));
  REQUIRE(bad_slug.exit_code == 1);
  REQUIRE(bad_slug.out.find("INVALID_SLUG") != std::string::npos);

  const auto suspended = run_finkernel(with_database({"tenant", "suspend", slug, "--json"}));
  REQUIRE(suspended.exit_code == 0);
  REQUIRE(nlohmann::json::parse(suspended.out)[0]["status"] == "suspended");
  const auto again = run_finkernel(with_database({"tenant", "suspend", slug}));
  REQUIRE(again.exit_code == 1);

  const auto resumed =
      run_finkernel(with_database({"tenant", "resume", tenant["id"].get<std::string>(), "--json"}));
  REQUIRE(resumed.exit_code == 0);
  REQUIRE(nlohmann::json::parse(resumed.out)[0]["status"] == "active");

  const auto listed = run_finkernel(with_database({"tenant", "list"}));
  REQUIRE(listed.exit_code == 0);
  REQUIRE(listed.out.find(slug) != std::string::npos);

  const auto missing = run_finkernel(with_database({"tenant", "show", "no-such-tenant"}));
  REQUIRE(missing.exit_code == 1);
  REQUIRE(missing.out.find("TENANT_NOT_FOUND") != std::string::npos);
}

TEST_CASE("finkernel run serves, then drains and exits on SIGTERM", "[cli]") {
  // Keep the run's signing keys out of the source tree.
  char keys_dir[] = "/tmp/fk-cli-keys-XXXXXX";
  REQUIRE(mkdtemp(keys_dir) != nullptr);
  setenv("FINKERNEL_IDENTITY_SIGNING_KEYS_FILE", (std::string(keys_dir) + "/keys.json").c_str(), 1);
  fk::test::BackgroundProcess kernel(with_database({"run", "--port", "0", "--dev-mode", "--config",
                                                    std::string(FK_SOURCE_DIR) + "/kernel.yaml"}));
  const auto output = kernel.wait_for_output("Press Ctrl-C", 60'000);
  INFO(output);
  std::smatch match;
  REQUIRE(std::regex_search(output, match, std::regex("serving on http://127\\.0\\.0\\.1:(\\d+)")));
  const auto port = static_cast<uint16_t>(std::stoi(match[1]));
  REQUIRE(fk::test::http_call(port, "GET", "/ready").status == 200);
  // The demo tenant from tenants/ was provisioned.
  REQUIRE(output.find("tenant:  demo") != std::string::npos);

  kernel.signal(SIGTERM);
  REQUIRE(kernel.wait(30'000) == 0);
  REQUIRE(kernel.output().find("stopped serving") != std::string::npos);
  std::filesystem::remove_all(keys_dir);
  unsetenv("FINKERNEL_IDENTITY_SIGNING_KEYS_FILE");
}

namespace {

std::string copy_policies() {
  char pattern[] = "/tmp/fk-cli-policies-XXXXXX";
  const std::filesystem::path dir = mkdtemp(pattern);
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(FK_SOURCE_DIR) + "/policies")) {
    std::filesystem::copy_file(entry.path(), dir / entry.path().filename());
  }
  return dir;
}

}  // namespace

TEST_CASE("finkernel policy check names the file, line and problem", "[cli]") {
  const auto dir = copy_policies();
  for (const auto* file : {"rbac.yaml", "auth.yaml", "ratelimits.yaml"}) {
    const auto ok = run_finkernel({"policy", "check", dir + "/" + file});
    INFO(ok.out);
    REQUIRE(ok.exit_code == 0);
  }
  // A grant in a declared namespace that matches nothing is a typo.
  std::ofstream(dir + "/rbac.yaml", std::ios::trunc)
      << "permissions:\n  tenant:settings.read: Read settings\nroles:\n  clerk:\n    realm: "
         "tenant\n"
         "    grants: [\"tenant:setings.read\"]\n";
  const auto bad = run_finkernel({"policy", "check", dir + "/rbac.yaml"});
  INFO(bad.out);
  REQUIRE(bad.exit_code == 1);
  REQUIRE(bad.out.find("rbac.yaml:") != std::string::npos);
  REQUIRE(bad.out.find("tenant:setings.read") != std::string::npos);
  // A plugin's namespace may be granted before the plugin is installed.
  std::ofstream(dir + "/rbac.yaml", std::ios::trunc)
      << "permissions:\n  tenant:settings.read: Read settings\nroles:\n  clerk:\n    realm: "
         "tenant\n"
         "    grants: [\"tenant:settings.read\", \"ledger:*\"]\n";
  const auto plugin_grant = run_finkernel({"policy", "check", dir + "/rbac.yaml"});
  INFO(plugin_grant.out);
  REQUIRE(plugin_grant.exit_code == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a running kernel reloads policies on SIGHUP and refuses a bad file", "[cli]") {
  const auto dir = copy_policies();
  char keys_dir[] = "/tmp/fk-cli-keys-XXXXXX";
  REQUIRE(mkdtemp(keys_dir) != nullptr);
  setenv("FINKERNEL_IDENTITY_SIGNING_KEYS_FILE", (std::string(keys_dir) + "/keys.json").c_str(), 1);
  setenv("FINKERNEL_IDENTITY_POLICY_DIR", dir.c_str(), 1);
  fk::test::BackgroundProcess kernel(with_database({"run", "--port", "0"}));
  const auto output = kernel.wait_for_output("Press Ctrl-C", 60'000);
  std::smatch match;
  REQUIRE(std::regex_search(output, match, std::regex("serving on http://127\\.0\\.0\\.1:(\\d+)")));
  const auto port = static_cast<uint16_t>(std::stoi(match[1]));

  std::ofstream(dir + "/rbac.yaml", std::ios::trunc) << "permissions: {}\nroles: {}\n";
  kernel.signal(SIGHUP);
  const auto refused = kernel.wait_for_output("policy reload refused", 10'000);
  REQUIRE(refused.find("policy reload refused") != std::string::npos);
  REQUIRE(fk::test::http_call(port, "GET", "/ready").status == 200);  // still serving, old policy

  std::filesystem::copy_file(std::string(FK_SOURCE_DIR) + "/policies/rbac.yaml", dir + "/rbac.yaml",
                             std::filesystem::copy_options::overwrite_existing);
  kernel.signal(SIGHUP);
  REQUIRE(kernel.wait_for_output("policies reloaded", 10'000).find("policies reloaded") !=
          std::string::npos);
  kernel.signal(SIGTERM);
  REQUIRE(kernel.wait(30'000) == 0);
  unsetenv("FINKERNEL_IDENTITY_POLICY_DIR");
  unsetenv("FINKERNEL_IDENTITY_SIGNING_KEYS_FILE");
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(keys_dir);
}

TEST_CASE("finkernel user create and unlock; auth rotate-signing-key", "[cli]") {
  const std::string slug = "cli-users-" + std::to_string(getpid());
  REQUIRE(
      run_finkernel(with_database({"tenant", "create", slug, "--name", "Users Bank"})).exit_code ==
      0);
  const auto created =
      run_finkernel(with_database({"user", "create", "--tenant", slug, "--email", "ops@example.com",
                                   "--role", "tenant-admin,auditor"}));
  INFO(created.out);
  REQUIRE(created.exit_code == 0);
  REQUIRE(created.out.find("password: ") != std::string::npos);
  const auto duplicate = run_finkernel(
      with_database({"user", "create", "--tenant", slug, "--email", "ops@example.com"}));
  REQUIRE(duplicate.exit_code == 1);
  const auto bad_role = run_finkernel(with_database({"user", "create", "--tenant", slug, "--email",
                                                     "x@example.com", "--role", "platform-admin"}));
  INFO(bad_role.out);
  REQUIRE(bad_role.exit_code == 1);
  REQUIRE(bad_role.out.find("roles") != std::string::npos);
  REQUIRE(run_finkernel(
              with_database({"user", "unlock", "--tenant", slug, "--email", "ops@example.com"}))
              .exit_code == 0);

  // Tenant-defined roles from the CLI: within the ceiling, then bound to a user.
  const auto beyond = run_finkernel(with_database(
      {"role", "put", "--tenant", slug, "--name", "boss", "--permissions", "tenant:users.write"}));
  REQUIRE(beyond.exit_code == 1);
  REQUIRE(beyond.out.find("beyond") != std::string::npos);
  REQUIRE(run_finkernel(with_database({"role", "put", "--tenant", slug, "--name", "viewer",
                                       "--permissions", "tenant:users.read,tenant:settings.read"}))
              .exit_code == 0);
  const auto bound = run_finkernel(with_database({"user", "roles", "--tenant", slug, "--email",
                                                  "ops@example.com", "--role", "member,viewer"}));
  INFO(bound.out);
  REQUIRE(bound.exit_code == 0);
  const auto listed_roles = run_finkernel(with_database({"role", "list", "--tenant", slug}));
  REQUIRE(listed_roles.out.find("viewer: tenant:users.read tenant:settings.read") !=
          std::string::npos);

  char keys_dir[] = "/tmp/fk-rotate-XXXXXX";
  REQUIRE(mkdtemp(keys_dir) != nullptr);
  setenv("FINKERNEL_IDENTITY_SIGNING_KEYS_FILE", (std::string(keys_dir) + "/keys.json").c_str(), 1);
  const auto first = run_finkernel({"auth", "rotate-signing-key"});
  const auto second = run_finkernel({"auth", "rotate-signing-key"});
  INFO(first.out << second.out);
  REQUIRE(first.exit_code == 0);
  REQUIRE(second.exit_code == 0);
  REQUIRE(first.out.substr(0, 30) != second.out.substr(0, 30));  // a new kid each time
  REQUIRE((std::filesystem::status(std::string(keys_dir) + "/keys.json").permissions() &
           (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) ==
          std::filesystem::perms::none);
  unsetenv("FINKERNEL_IDENTITY_SIGNING_KEYS_FILE");
  std::filesystem::remove_all(keys_dir);
}

TEST_CASE("finkernel keys: init refuses loose permissions and overwrites; rotate per tenant",
          "[cli]") {
  char dir[] = "/tmp/fk-keys-cli-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string key_file = std::string(dir) + "/master.key";
  setenv("FINKERNEL_IDENTITY_MASTER_KEY_FILE", key_file.c_str(), 1);
  REQUIRE(run_finkernel({"keys", "init"}).exit_code == 0);
  REQUIRE((std::filesystem::status(key_file).permissions() &
           (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) ==
          std::filesystem::perms::none);
  REQUIRE(run_finkernel({"keys", "init"}).exit_code == 1);  // never overwrites a key

  const std::string slug = "cli-keys-" + std::to_string(getpid());
  REQUIRE(
      run_finkernel(with_database({"tenant", "create", slug, "--name", "Keys Bank"})).exit_code ==
      0);
  const auto first = run_finkernel(with_database({"keys", "rotate", "--tenant", slug}));
  INFO(first.out);
  REQUIRE(first.exit_code == 0);
  const auto second = run_finkernel(with_database({"keys", "rotate", "--tenant", slug}));
  // The first rotation creates the tenant's keys (version 1) and rotates to 2.
  REQUIRE(first.out.find("version 2") != std::string::npos);
  REQUIRE(second.out.find("version 3") != std::string::npos);
  REQUIRE(run_finkernel(with_database({"keys", "status", "--tenant", slug}))
              .out.find("current version 3") != std::string::npos);

  // A key file others can read is refused, naming the file and the fix.
  std::filesystem::permissions(key_file, std::filesystem::perms::group_read,
                               std::filesystem::perm_options::add);
  const auto loose = run_finkernel(with_database({"keys", "status", "--tenant", slug}));
  INFO(loose.out);
  REQUIRE(loose.exit_code == 1);
  REQUIRE(loose.out.find("chmod 600") != std::string::npos);
  unsetenv("FINKERNEL_IDENTITY_MASTER_KEY_FILE");
  std::filesystem::remove_all(dir);
}
