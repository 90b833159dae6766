#pragma once
// One parameterised SQL statement, as data: built by a service (the audit
// append, the outbox) and executed later, possibly together with others in
// one round trip (TenantWork::commit_with), or at once (db/prepared.hpp).

#include <string>
#include <vector>

namespace fk::db {

struct Statement {
  std::string sql;                  // one statement, parameters as $1..$n
  std::vector<std::string> params;  // text values, none NULL
};

}  // namespace fk::db
