#pragma once
// The only way request code touches tenant data: one transaction on a pooled
// connection, running as the runtime role, with `fk.tenant_id` set
// transaction-locally (set_config(..., true)), so the setting cannot outlive
// the transaction and leak to the next user of the pooled connection.
// Row-level security policies read that setting; nothing else scopes rows.

#include "db/connection_pool.hpp"

#include <pqxx/pqxx>

#include <memory>
#include <string>

namespace fk::db {

class TenantTransaction {
 public:
  // Begins the transaction and sets the tenant before any statement of the caller.
  // `tenant_id` must be a canonical UUID (validated by the caller's resolver).
  TenantTransaction(ConnectionPool& pool, const std::string& tenant_id);
  ~TenantTransaction();  // rolls back unless committed
  TenantTransaction(const TenantTransaction&) = delete;
  TenantTransaction& operator=(const TenantTransaction&) = delete;

  pqxx::work& work() { return *work_; }
  [[nodiscard]] const std::string& tenant_id() const { return tenant_id_; }
  void commit();

 private:
  PooledConnection connection_;
  std::unique_ptr<pqxx::work> work_;
  std::string tenant_id_;
};

}  // namespace fk::db
