#include "db/child_process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace fk::db {

OsUser lookup_os_user(const std::string& name) {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || !found) {
    throw std::runtime_error("OS user \"" + name +
                             "\" does not exist; PostgreSQL refuses to run as root, so the "
                             "embedded cluster needs an unprivileged account. Hint: run "
                             "scripts/install-deps.sh, or set embedded.os_user");
  }
  return OsUser{entry.pw_uid, entry.pw_gid, name};
}

namespace {

// Only async-signal-safe calls between fork and exec.
[[noreturn]] void become_and_exec(const std::vector<std::string>& argv,
                                  const std::optional<OsUser>& as_user, int output_fd) {
  if (output_fd >= 0) {
    dup2(output_fd, STDOUT_FILENO);
    dup2(output_fd, STDERR_FILENO);
  }
  int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, STDIN_FILENO);
  if (as_user) {
    if (setgroups(0, nullptr) != 0 || setgid(as_user->gid) != 0 || setuid(as_user->uid) != 0) {
      _exit(126);
    }
  }
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

int wait_for(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace

int run_process(const std::vector<std::string>& argv, const std::optional<OsUser>& as_user,
                const std::filesystem::path& output_file) {
  int output_fd = open(output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (output_fd < 0) {
    throw std::runtime_error("cannot open \"" + output_file.string() +
                             "\": " + std::strerror(errno));
  }
  if (as_user && fchown(output_fd, as_user->uid, as_user->gid) != 0) {
    close(output_fd);
    throw std::runtime_error("cannot hand \"" + output_file.string() + "\" to user " +
                             as_user->name + ": " + std::strerror(errno));
  }
  const pid_t pid = fork();
  if (pid < 0) {
    close(output_fd);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) become_and_exec(argv, as_user, output_fd);
  close(output_fd);
  return wait_for(pid);
}

bool user_can_access(const OsUser& user, const std::filesystem::path& directory) {
  const pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    if (setgroups(0, nullptr) != 0 || setgid(user.gid) != 0 || setuid(user.uid) != 0) _exit(2);
    _exit(access(directory.c_str(), R_OK | W_OK | X_OK) == 0 ? 0 : 1);
  }
  return wait_for(pid) == 0;
}

}  // namespace fk::db
