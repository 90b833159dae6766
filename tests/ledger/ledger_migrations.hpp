#pragma once
// The ledger plugin's migrations read from the source tree, as the kernel
// applies them when it loads the plugin. Every test file that migrates the
// ledger uses this one list: same files, same order, hence the same
// checksums whichever test runs first.

#include "db/migrator.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fk::test::ledger {

inline std::vector<fk::db::MigrationSource> ledger_migrations() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(FK_SOURCE_DIR "/plugins/ledger/migrations")) {
    if (entry.path().extension() == ".sql") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<fk::db::MigrationSource> sources;
  for (const auto& file : files) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    sources.push_back(fk::db::MigrationSource{file.filename().string(), text.str()});
  }
  return sources;
}

}  // namespace fk::test::ledger
