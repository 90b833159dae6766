#include "db/tenant_transaction.hpp"

namespace fk::db {

TenantTransaction::TenantTransaction(ConnectionPool& pool, const std::string& tenant_id)
    : connection_(pool.acquire()), tenant_id_(tenant_id) {
  try {
    work_ = std::make_unique<pqxx::work>(connection_.get());
    work_->exec_params("SELECT set_config('fk.tenant_id', $1, true)", tenant_id_);
  } catch (const pqxx::broken_connection&) {
    connection_.mark_broken();
    throw;
  }
}

TenantTransaction::~TenantTransaction() {
  if (!work_) return;
  try {
    work_.reset();  // pqxx aborts an uncommitted transaction on destruction
  } catch (...) {
    connection_.mark_broken();
  }
  if (!connection_->is_open()) connection_.mark_broken();
}

void TenantTransaction::commit() {
  try {
    work_->commit();
  } catch (const pqxx::broken_connection&) {
    connection_.mark_broken();
    throw;
  }
}

}  // namespace fk::db
