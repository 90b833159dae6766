#pragma once
// A real PostgreSQL 15 cluster for the integration tests, started once per
// test process in a temporary directory by the kernel's own EmbeddedCluster
// (so the tests also exercise it), migrated, and removed at exit. Durability
// settings are off: the cluster is thrown away.

#include "db/embedded_cluster.hpp"

#include <pqxx/pqxx>

#include <string>

namespace fk::test {

class TestDatabase {
 public:
  static TestDatabase& instance();

  db::EmbeddedCluster& cluster() { return *cluster_; }
  [[nodiscard]] std::string owner_url() const { return cluster_->owner_url(); }
  [[nodiscard]] std::string runtime_url() const { return cluster_->runtime_url(); }
  [[nodiscard]] std::string superuser_url() const { return cluster_->superuser_url(); }
  // The same role's URL for another database of the cluster.
  static std::string with_database(const std::string& url, const std::string& database);

  ~TestDatabase();

 private:
  TestDatabase();
  std::string directory_;
  std::unique_ptr<db::EmbeddedCluster> cluster_;
};

// Creates an active tenant with a unique slug derived from `prefix`; returns its id.
std::string create_tenant(const std::string& prefix);

// Runs `sql` as the owner role with fk.tenant_id = `tenant` and commits
// (row-level security still confines it to the tenant).
pqxx::result tenant_query(const std::string& tenant, const std::string& sql);

}  // namespace fk::test
