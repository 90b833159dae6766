#pragma once
// Sends a transaction's last statements and its COMMIT in one round trip,
// with libpq's pipeline mode (libpqxx 6.4's pqxx::pipeline is not that: it
// sends one query at a time). Used by TenantWork::commit_with: a request's
// audit append and outbox insert hold the tenant's chain head and row locks
// for one round trip instead of three.

#include "db/connection.hpp"
#include "db/statement.hpp"

#include <vector>

namespace fk::db {

// On an open transaction of `connection`: runs `statements` in order, then
// COMMIT, as one pipeline (named prepared statements where the connection
// has room: see Connection::prepared_for_libpq). If a statement fails, the rest and the COMMIT do
// not run, the transaction is rolled back and pqxx::sql_error (with the
// statement and its SQLSTATE) is thrown. If the connection breaks after the
// COMMIT was sent, pqxx::in_doubt_error is thrown (the outcome is unknown);
// before, pqxx::broken_connection. Leaves the connection out of pipeline mode.
void commit_pipelined(Connection& connection, const std::vector<Statement>& statements);

}  // namespace fk::db
