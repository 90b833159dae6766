#pragma once
// Running a statement as a named prepared statement of its connection, so
// a hot statement is parsed and planned once per connection instead of once
// per call (Connection::prepared_for_libpqxx bounds how many).

#include "db/statement.hpp"

#include <pqxx/pqxx>

#include <string>
#include <vector>

namespace fk::db {

// `values` are text; a null pointer is SQL NULL. Named when `tx` is a
// TenantWork (its connection is a db::Connection with room left), else
// unnamed; the result is the same either way.
pqxx::result exec_prepared_cached(pqxx::transaction_base& tx, const std::string& sql,
                                  const std::vector<const char*>& values);
pqxx::result exec(pqxx::transaction_base& tx, const Statement& statement);

}  // namespace fk::db
