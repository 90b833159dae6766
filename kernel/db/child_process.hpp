#pragma once
// Runs a helper program (initdb, pg_ctl) to completion, optionally as another
// OS user, with its output appended to a file. Used only at start-up.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace fk::db {

struct OsUser {
  unsigned uid;
  unsigned gid;
  std::string name;
};

// The account named `name`; throws std::runtime_error with a hint if it does not exist.
OsUser lookup_os_user(const std::string& name);

// Exit status of `argv` (argv[0] an absolute path), run as `as_user` when given.
int run_process(const std::vector<std::string>& argv, const std::optional<OsUser>& as_user,
                const std::filesystem::path& output_file);

// Whether `user` may read, write and enter `directory` (checked as that user).
bool user_can_access(const OsUser& user, const std::filesystem::path& directory);

}  // namespace fk::db
