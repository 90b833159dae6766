#pragma once
// SQL migrations compiled into the binary (see cmake/EmbedSql.cmake).

#include <string>
#include <vector>

namespace fk::db {

struct MigrationSource {
  std::string name;  // file name, e.g. "0001_tenancy.sql"; its numeric prefix is the version
  std::string sql;
};

// The kernel's own migrations, sorted by file name.
const std::vector<MigrationSource>& embedded_migrations();

}  // namespace fk::db
