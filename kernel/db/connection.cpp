#include "db/connection.hpp"

namespace fk::db {

std::optional<std::string> Connection::prepared_for_libpqxx(const std::string& sql) {
  if (const auto found = libpqxx_statements_.find(sql); found != libpqxx_statements_.end()) {
    return found->second;
  }
  if (libpqxx_statements_.size() >= kMaxPreparedStatements) return std::nullopt;
  std::string name = "fk_q" + std::to_string(libpqxx_statements_.size());
  prepare(name, sql);  // libpqxx sends it with the first exec_prepared
  libpqxx_statements_.emplace(sql, name);
  return name;
}

std::optional<Connection::RawStatement> Connection::prepared_for_libpq(const std::string& sql) {
  // A reconnect (libpqxx may reset a connection on its own, reusing the
  // handle) starts a new server session, which knows none of the names.
  const int session = libpq_handle() != nullptr ? PQbackendPID(libpq_handle()) : 0;
  if (libpq_statements_session_ != session) {
    libpq_statements_.clear();
    libpq_statements_session_ = session;
  }
  if (const auto found = libpq_statements_.find(sql); found != libpq_statements_.end()) {
    return found->second;
  }
  if (libpq_statements_.size() >= kMaxPreparedStatements) return std::nullopt;
  RawStatement statement{"fk_p" + std::to_string(libpq_statements_.size()), false};
  libpq_statements_.emplace(sql, statement);
  return statement;
}

void Connection::mark_prepared_for_libpq(const std::string& sql) {
  if (const auto found = libpq_statements_.find(sql); found != libpq_statements_.end()) {
    found->second.prepared = true;
  }
}

}  // namespace fk::db
