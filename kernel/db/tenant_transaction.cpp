#include "db/tenant_transaction.hpp"

#include "db/pipelined_commit.hpp"

#include <stdexcept>

namespace fk::db {
namespace {

bool canonical_uuid(const std::string& text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

TenantWork::TenantWork(Connection& connection, const std::string& tenant_id)
    : namedclass{"TenantWork", ""},
      basic_transaction(connection, "READ COMMITTED", pqxx::read_write),
      connection_(connection) {
  if (!canonical_uuid(tenant_id)) {
    throw std::invalid_argument("tenant id is not a canonical UUID");
  }
  begin_command_ = "BEGIN; SELECT set_config('fk.tenant_id', '" + tenant_id + "', true)";
  Begin();
}

TenantWork::~TenantWork() noexcept {
  End();
}

void TenantWork::do_begin() {
  direct_exec(begin_command_.c_str());
}

void TenantWork::commit_with(const std::vector<Statement>& last) {
  last_statements_ = &last;
  try {
    commit();
  } catch (...) {
    last_statements_ = nullptr;
    throw;
  }
  last_statements_ = nullptr;
}

// pqxx::transaction_base::commit() calls this and sets the transaction's
// state from how it returns: committed, aborted (any exception) or in doubt.
void TenantWork::do_commit() {
  static const std::vector<Statement> kNothing;
  commit_pipelined(connection_, last_statements_ != nullptr ? *last_statements_ : kNothing);
}

TenantTransaction::TenantTransaction(ConnectionPool& pool, const std::string& tenant_id)
    : connection_(pool.acquire()), tenant_id_(tenant_id) {
  try {
    work_ = std::make_unique<TenantWork>(connection_.get(), tenant_id_);
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

void TenantTransaction::commit(const std::vector<Statement>& last) {
  try {
    work_->commit_with(last);
  } catch (...) {
    // A connection left broken or mid-pipeline must not serve anyone else.
    PGconn* handle = connection_->libpq_handle();
    if (!connection_->is_open() || handle == nullptr ||
        PQpipelineStatus(handle) != PQ_PIPELINE_OFF) {
      connection_.mark_broken();
    }
    throw;
  }
}

}  // namespace fk::db
