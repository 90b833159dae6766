#pragma once
// The only way request code touches tenant data: one transaction on a pooled
// connection, running as the runtime role, with `fk.tenant_id` set
// transaction-locally (set_config(..., true)), so the setting cannot outlive
// the transaction and leak to the next user of the pooled connection.
// Row-level security policies read that setting; nothing else scopes rows.

#include "db/connection_pool.hpp"
#include "db/statement.hpp"

#include <pqxx/pqxx>

#include <memory>
#include <string>
#include <vector>

namespace fk::db {

// A READ COMMITTED transaction whose BEGIN carries the tenant setting: one
// round trip ("BEGIN; SELECT set_config(...)") instead of two. Built on
// libpqxx's basic_transaction (what pqxx::work is), so commit, abort and
// in-doubt handling are libpqxx's own.
class TenantWork final : public pqxx::internal::basic_transaction {
 public:
  // `tenant_id` must be a canonical UUID (checked: it is inlined in SQL).
  TenantWork(Connection& connection, const std::string& tenant_id);
  ~TenantWork() noexcept override;
  TenantWork(const TenantWork&) = delete;
  TenantWork& operator=(const TenantWork&) = delete;

  // Runs `last` and commits, in one round trip (db/pipelined_commit.hpp).
  // Same outcomes as commit(): committed, or an exception and nothing.
  void commit_with(const std::vector<Statement>& last);
  [[nodiscard]] Connection& connection() { return connection_; }

 private:
  void do_begin() override;
  void do_commit() override;
  Connection& connection_;
  std::string begin_command_;
  const std::vector<Statement>* last_statements_ = nullptr;
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
  // Commits; `last` (statements the caller deferred to the end, such as the
  // audit append) run first, in the same round trip as the COMMIT.
  void commit(const std::vector<Statement>& last = {});

 private:
  PooledConnection connection_;
  std::unique_ptr<TenantWork> work_;
  std::string tenant_id_;
};

}  // namespace fk::db
