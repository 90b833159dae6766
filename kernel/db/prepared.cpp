#include "db/prepared.hpp"

#include "db/tenant_transaction.hpp"

namespace fk::db {

pqxx::result exec_prepared_cached(pqxx::transaction_base& tx, const std::string& sql,
                                  const std::vector<const char*>& values) {
  // libpqxx's connection_base is not polymorphic; its transactions are.
  if (auto* work = dynamic_cast<TenantWork*>(&tx)) {
    if (const auto name = work->connection().prepared_for_libpqxx(sql)) {
      return tx.exec_prepared(*name, pqxx::prepare::make_dynamic_params(values));
    }
  }
  return tx.exec_params(sql, pqxx::prepare::make_dynamic_params(values));
}

pqxx::result exec(pqxx::transaction_base& tx, const Statement& statement) {
  std::vector<const char*> values;
  values.reserve(statement.params.size());
  for (const auto& param : statement.params) values.push_back(param.c_str());
  return exec_prepared_cached(tx, statement.sql, values);
}

}  // namespace fk::db
