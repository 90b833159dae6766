#pragma once
// A private PostgreSQL cluster that the kernel initialises, starts and stops
// itself from the machine's PostgreSQL binaries, so one command gives a
// working platform. Unix socket only (no TCP listener), SCRAM passwords
// generated at initialisation and kept in <dir>/credentials.json (0600).
// PostgreSQL refuses to run as root, so when the kernel is root the server
// processes run as `os_user` (created by scripts/install-deps.sh).
//
// Layout under `dir`:  data/ (PGDATA, owned by the server user, 0700),
//                      run/  (socket directory), postgres.log, credentials.json

#include <filesystem>
#include <string>
#include <vector>

namespace fk::db {

inline const char* const kDefaultPostgresBinDir = "/usr/lib/postgresql/15/bin";

struct EmbeddedClusterOptions {
  std::filesystem::path dir;
  std::string os_user = "finkernel";
  std::filesystem::path bin_dir = kDefaultPostgresBinDir;
  // Extra server settings ("name=value"), e.g. fsync=off for throw-away test clusters.
  std::vector<std::string> extra_settings;
};

class EmbeddedCluster {
 public:
  explicit EmbeddedCluster(EmbeddedClusterOptions options);
  ~EmbeddedCluster();  // stops the server if this object started it
  EmbeddedCluster(const EmbeddedCluster&) = delete;
  EmbeddedCluster& operator=(const EmbeddedCluster&) = delete;

  // Initialises the cluster on first use (roles, database), then starts it
  // unless it is already running. Throws std::runtime_error with the server's
  // own message and the log file's path on failure.
  void start();
  void stop();     // fast shutdown; waits until the server has exited
  void restart();  // stop + start; connections held by clients break

  [[nodiscard]] bool started_by_us() const { return started_by_us_; }
  [[nodiscard]] std::string superuser_url() const;
  [[nodiscard]] std::string owner_url() const;
  [[nodiscard]] std::string runtime_url() const;
  [[nodiscard]] const std::filesystem::path& dir() const { return options_.dir; }

 private:
  void initialise();
  void bootstrap_roles();
  void load_credentials();
  [[nodiscard]] bool running() const;
  [[nodiscard]] std::string url_for(const std::string& user, const std::string& password,
                                    const std::string& database) const;

  EmbeddedClusterOptions options_;
  std::filesystem::path socket_dir_;
  std::string superuser_password_;
  std::string owner_password_;
  std::string runtime_password_;
  bool started_by_us_ = false;
};

}  // namespace fk::db
