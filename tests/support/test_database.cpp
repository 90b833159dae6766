#include "support/test_database.hpp"

#include "app/database_setup.hpp"
#include "tenancy/tenant_admin.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <stdexcept>

namespace fk::test {

TestDatabase& TestDatabase::instance() {
  static TestDatabase database;
  return database;
}

TestDatabase::TestDatabase() {
  char pattern[] = "/tmp/fk-test-XXXXXX";
  if (!mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
  directory_ = pattern;
  db::EmbeddedClusterOptions options;
  options.dir = directory_;
  options.extra_settings = {"fsync=off", "synchronous_commit=off", "full_page_writes=off",
                            "max_connections=200"};
  cluster_ = std::make_unique<db::EmbeddedCluster>(options);
  cluster_->start();
  app::migrate_kernel(cluster_->owner_url());
}

TestDatabase::~TestDatabase() {
  try {
    cluster_->stop();
  } catch (const std::exception& e) {
    std::cerr << "test cluster did not stop: " << e.what() << "\n";
  }
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

std::string TestDatabase::with_database(const std::string& url, const std::string& database) {
  const std::string key = "dbname=";
  const auto start = url.find(key);
  if (start == std::string::npos) throw std::logic_error("url has no dbname");
  const auto end = url.find(' ', start);
  return url.substr(0, start) + key + database + (end == std::string::npos ? "" : url.substr(end));
}

std::string create_tenant(const std::string& prefix) {
  static std::atomic<int> counter{0};
  const std::string slug =
      prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
  return tenancy::TenantAdmin(TestDatabase::instance().owner_url()).create(slug, "Test " + slug).id;
}

pqxx::result tenant_query(const std::string& tenant, const std::string& sql) {
  pqxx::connection connection(TestDatabase::instance().owner_url());
  pqxx::work tx(connection);
  tx.exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant);
  auto rows = tx.exec(sql);
  tx.commit();
  return rows;
}

}  // namespace fk::test
