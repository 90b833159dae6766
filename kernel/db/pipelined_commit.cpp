#include "db/pipelined_commit.hpp"

#include <pqxx/except>

#include <memory>
#include <string>
#include <string_view>

namespace fk::db {
namespace {

using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

Result next_result(PGconn* connection) {
  return Result(PQgetResult(connection), &PQclear);
}

std::string connection_error(PGconn* connection) {
  const char* message = PQerrorMessage(connection);
  return message != nullptr && *message != '\0' ? message : "connection lost";
}

// The first failure in the pipeline: the statement that failed and why.
struct Failure {
  bool happened = false;
  std::string message;
  std::string sqlstate;
  std::string sql;
};

void note_failure(Failure& failure, const PGresult* result, const std::string& sql) {
  if (failure.happened) return;
  failure.happened = true;
  failure.message = PQresultErrorMessage(result);
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  failure.sqlstate = state != nullptr ? state : "";
  failure.sql = sql;
}

// What the server will answer, in order: a preparation or an execution.
struct Expected {
  const std::string* sql;
  bool is_preparation;
};

std::vector<const char*> values_of(const std::vector<std::string>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& param : params) values.push_back(param.c_str());
  return values;
}

// Queues one statement, named (prepared once per session) when the
// connection has room for it.
void send(Connection& connection, const std::string& sql, const std::vector<std::string>& params,
          std::vector<Expected>& expected) {
  PGconn* handle = connection.libpq_handle();
  const auto values = values_of(params);
  const int count = static_cast<int>(values.size());
  const auto named = connection.prepared_for_libpq(sql);
  int sent = 0;
  if (named && !named->prepared) {
    if (PQsendPrepare(handle, named->name.c_str(), sql.c_str(), count, nullptr) != 1) {
      throw pqxx::broken_connection(connection_error(handle));
    }
    expected.push_back({&sql, true});
  }
  if (named) {
    sent =
        PQsendQueryPrepared(handle, named->name.c_str(), count, values.data(), nullptr, nullptr, 0);
  } else {
    sent =
        PQsendQueryParams(handle, sql.c_str(), count, nullptr, values.data(), nullptr, nullptr, 0);
  }
  if (sent != 1) throw pqxx::broken_connection(connection_error(handle));
  expected.push_back({&sql, false});
}

[[noreturn]] void throw_in_doubt(PGconn* connection) {
  throw pqxx::in_doubt_error("connection lost while committing: " + connection_error(connection));
}

}  // namespace

void commit_pipelined(Connection& connection_object, const std::vector<Statement>& statements) {
  PGconn* connection = connection_object.libpq_handle();
  if (connection == nullptr || PQstatus(connection) != CONNECTION_OK) {
    throw pqxx::broken_connection("no open connection to commit on");
  }
  if (PQenterPipelineMode(connection) != 1) {
    throw pqxx::failure("cannot enter pipeline mode: " + connection_error(connection));
  }
  static const std::string kCommit = "COMMIT";
  std::vector<Expected> expected;
  for (const auto& statement : statements) {
    send(connection_object, statement.sql, statement.params, expected);
  }
  if (PQsendQueryParams(connection, kCommit.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) !=
      1) {
    throw pqxx::broken_connection(connection_error(connection));
  }
  expected.push_back({&kCommit, false});
  // From here COMMIT may have reached the server: a lost connection leaves
  // the outcome unknown.
  if (PQpipelineSync(connection) != 1) throw_in_doubt(connection);

  // One result per message, each followed by a null; then the sync marker.
  Failure failure;
  bool committed = false;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    Result result = next_result(connection);
    if (!result) throw_in_doubt(connection);
    switch (PQresultStatus(result.get())) {
      case PGRES_COMMAND_OK:
      case PGRES_TUPLES_OK:
        if (expected[i].is_preparation) connection_object.mark_prepared_for_libpq(*expected[i].sql);
        if (i + 1 == expected.size()) {
          // COMMIT of a transaction that had already failed succeeds with the
          // tag ROLLBACK: report it, never mistake it for a commit.
          committed = std::string_view(PQcmdStatus(result.get())) == "COMMIT";
          if (!committed && !failure.happened) {
            failure = Failure{true, "the transaction had already failed; COMMIT rolled it back",
                              "25P02", kCommit};
          }
        }
        break;
      case PGRES_PIPELINE_ABORTED:  // skipped after an earlier failure
        break;
      default:
        note_failure(failure, result.get(), *expected[i].sql);
        break;
    }
    while (next_result(connection)) {
    }
  }
  Result sync = next_result(connection);
  if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) throw_in_doubt(connection);
  sync.reset();
  if (PQexitPipelineMode(connection) != 1) throw_in_doubt(connection);

  if (committed) return;
  // A statement failed: the server skipped the rest, COMMIT included, and
  // the transaction is still open in the failed state.
  if (PQtransactionStatus(connection) == PQTRANS_INERROR) {
    Result rollback(PQexec(connection, "ROLLBACK"), &PQclear);
    if (!rollback || PQresultStatus(rollback.get()) != PGRES_COMMAND_OK) {
      throw pqxx::broken_connection(connection_error(connection));
    }
  }
  if (!failure.happened) throw pqxx::failure("the transaction did not commit");
  throw pqxx::sql_error(failure.message, failure.sql, failure.sqlstate.c_str());
}

}  // namespace fk::db
