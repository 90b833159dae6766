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

// A READ COMMITTED transaction whose BEGIN carries the tenant setting: one
// round trip ("BEGIN; SELECT set_config(...)") instead of two. Built on
// libpqxx's basic_transaction (what pqxx::work is), so commit, abort and
// in-doubt handling are libpqxx's own.
class TenantWork final : public pqxx::internal::basic_transaction {
 public:
  // `tenant_id` must be a canonical UUID (checked: it is inlined in SQL).
  TenantWork(pqxx::connection_base& connection, const std::string& tenant_id);
  ~TenantWork() noexcept override;
  TenantWork(const TenantWork&) = delete;
  TenantWork& operator=(const TenantWork&) = delete;

 private:
  void do_begin() override;
  std::string begin_command_;
};

class TenantTransaction {
 public:
  // Begins the transaction and sets the tenant before any statement of the caller.
  // `tenant_id` must be a canonical UUID (validated by the caller's resolver).
  TenantTransaction(ConnectionPool& pool, const std::string& tenant_id);
  ~TenantTransaction();  // rolls back unless committed
  TenantTransaction(const TenantTransaction&) = delete;
  TenantTransaction& operator=(const TenantTransaction&) = delete;

  pqxx::dbtransaction& work() { return *work_; }
  [[nodiscard]] const std::string& tenant_id() const { return tenant_id_; }
  void commit();

 private:
  PooledConnection connection_;
  std::unique_ptr<TenantWork> work_;
  std::string tenant_id_;
};

}  // namespace fk::db
