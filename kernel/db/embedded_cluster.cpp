#include "db/embedded_cluster.hpp"

#include "db/child_process.hpp"
#include "db/roles.hpp"
#include "log/json_log.hpp"

#include <openssl/rand.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>

namespace fk::db {

namespace fs = std::filesystem;

namespace {

constexpr const char* kSuperuser = "postgres";
constexpr int kPort = 5432;  // names the socket file only; no TCP listener is opened

std::string random_secret() {
  unsigned char bytes[24];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : bytes) {
    out += hex[byte >> 4];
    out += hex[byte & 15];
  }
  return out;
}

std::string quote_conninfo(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string tail_of(const fs::path& file, std::size_t max_lines = 15) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string out;
  for (std::size_t i = lines.size() > max_lines ? lines.size() - max_lines : 0; i < lines.size();
       ++i) {
    out += "\n  " + lines[i];
  }
  return out;
}

void write_private_file(const fs::path& file, const std::string& content) {
  const fs::path temporary = file.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write \"" + temporary.string() + "\"");
    fs::permissions(temporary, fs::perms::owner_read | fs::perms::owner_write);
    out << content;
  }
  fs::rename(temporary, file);
}

}  // namespace

EmbeddedCluster::EmbeddedCluster(EmbeddedClusterOptions options) : options_(std::move(options)) {
  options_.dir = fs::absolute(options_.dir).lexically_normal();
  socket_dir_ = options_.dir / "run";
  // A Unix socket path must fit in sockaddr_un::sun_path; deep checkouts fall
  // back to a short private directory named after the cluster's path.
  const std::size_t limit = sizeof(sockaddr_un{}.sun_path) - 1;
  if (socket_dir_.string().size() + std::string("/.s.PGSQL.5432").size() > limit) {
    std::ostringstream name;
    name << "/tmp/fk-pg-" << std::hex << std::hash<std::string>{}(options_.dir.string());
    socket_dir_ = name.str();
  }
}

EmbeddedCluster::~EmbeddedCluster() {
  if (started_by_us_) {
    try {
      stop();
    } catch (const std::exception& e) {
      log::error("embedded PostgreSQL did not stop cleanly", {{"error", e.what()}});
    }
  }
}

std::string EmbeddedCluster::url_for(const std::string& user, const std::string& password,
                                     const std::string& database) const {
  return "host=" + quote_conninfo(socket_dir_.string()) + " port=" + std::to_string(kPort) +
         " dbname=" + database + " user=" + user + " password=" + quote_conninfo(password) +
         " application_name=finkernel";
}

std::string EmbeddedCluster::superuser_url() const {
  return url_for(kSuperuser, superuser_password_, "postgres");
}
std::string EmbeddedCluster::owner_url() const {
  return url_for(kOwnerRole, owner_password_, kDatabaseName);
}
std::string EmbeddedCluster::runtime_url() const {
  return url_for(kRuntimeRole, runtime_password_, kDatabaseName);
}

void EmbeddedCluster::load_credentials() {
  std::ifstream in(options_.dir / "credentials.json");
  if (!in) throw std::runtime_error("missing " + (options_.dir / "credentials.json").string());
  const auto document = nlohmann::json::parse(in);
  superuser_password_ = document.at("superuser_password").get<std::string>();
  owner_password_ = document.at("owner_password").get<std::string>();
  runtime_password_ = document.at("runtime_password").get<std::string>();
}

bool EmbeddedCluster::running() const {
  std::optional<OsUser> server_user;
  if (geteuid() == 0) server_user = lookup_os_user(options_.os_user);
  const auto status = run_process(
      {(options_.bin_dir / "pg_ctl").string(), "status", "-D", (options_.dir / "data").string()},
      server_user, options_.dir / "postgres.log");
  return status == 0;
}

void EmbeddedCluster::start() {
  std::optional<OsUser> server_user;
  if (geteuid() == 0) server_user = lookup_os_user(options_.os_user);

  fs::create_directories(options_.dir);
  if (server_user) {
    if (chown(options_.dir.c_str(), server_user->uid, server_user->gid) != 0) {
      throw std::runtime_error("cannot hand \"" + options_.dir.string() + "\" to OS user " +
                               server_user->name);
    }
    if (!user_can_access(*server_user, options_.dir)) {
      throw std::runtime_error(
          "OS user \"" + server_user->name + "\" cannot reach \"" + options_.dir.string() +
          "\" (a parent directory is not searchable by it). Hint: choose an embedded.data_dir "
          "outside private home directories, e.g. FINKERNEL_EMBEDDED_DATA_DIR=/var/lib/finkernel");
    }
  }
  fs::permissions(options_.dir, fs::perms::owner_all);

  const bool fresh = !fs::exists(options_.dir / "data" / "PG_VERSION");
  if (fresh) initialise();
  load_credentials();

  fs::create_directories(socket_dir_);
  fs::permissions(socket_dir_, fs::perms::owner_all);
  if (server_user && chown(socket_dir_.c_str(), server_user->uid, server_user->gid) != 0) {
    throw std::runtime_error("cannot hand \"" + socket_dir_.string() + "\" to " +
                             server_user->name);
  }

  if (running()) {
    log::info("embedded PostgreSQL already running", {{"dataDir", options_.dir.string()}});
  } else {
    std::string server_options = "-c listen_addresses='' -c port=" + std::to_string(kPort) +
                                 " -c unix_socket_directories='" + socket_dir_.string() +
                                 "' -c unix_socket_permissions=0700";
    for (const auto& setting : options_.extra_settings) server_options += " -c " + setting;
    const fs::path log_file = options_.dir / "postgres.log";
    const int status = run_process(
        {(options_.bin_dir / "pg_ctl").string(), "start", "-w", "-t", "60", "-s", "-D",
         (options_.dir / "data").string(), "-l", log_file.string(), "-o", server_options},
        server_user, log_file);
    if (status != 0) {
      throw std::runtime_error("embedded PostgreSQL failed to start (pg_ctl exit " +
                               std::to_string(status) + "); see " + log_file.string() + ":" +
                               tail_of(log_file));
    }
    started_by_us_ = true;
    log::info("embedded PostgreSQL started",
              {{"dataDir", options_.dir.string()}, {"socketDir", socket_dir_.string()}});
  }
  bootstrap_roles();
}

void EmbeddedCluster::initialise() {
  std::optional<OsUser> server_user;
  if (geteuid() == 0) server_user = lookup_os_user(options_.os_user);

  superuser_password_ = random_secret();
  owner_password_ = random_secret();
  runtime_password_ = random_secret();

  // initdb reads the superuser password from a file the server user can read.
  const fs::path password_file = options_.dir / "initdb.pw";
  write_private_file(password_file, superuser_password_ + "\n");
  if (server_user && chown(password_file.c_str(), server_user->uid, server_user->gid) != 0) {
    throw std::runtime_error("cannot hand the initdb password file to " + server_user->name);
  }
  const fs::path log_file = options_.dir / "initdb.log";
  const int status =
      run_process({(options_.bin_dir / "initdb").string(), "-D", (options_.dir / "data").string(),
                   "-U", kSuperuser, "--auth=scram-sha-256", "--pwfile=" + password_file.string(),
                   "-E", "UTF8", "--locale=C", "--no-instructions"},
                  server_user, log_file);
  fs::remove(password_file);
  if (status != 0) {
    throw std::runtime_error("initdb failed (exit " + std::to_string(status) + "); see " +
                             log_file.string() + ":" + tail_of(log_file));
  }
  write_private_file(options_.dir / "credentials.json",
                     nlohmann::json{{"superuser_password", superuser_password_},
                                    {"owner_password", owner_password_},
                                    {"runtime_password", runtime_password_}}
                         .dump(2));
  log::info("embedded PostgreSQL cluster initialised", {{"dataDir", options_.dir.string()}});
}

void EmbeddedCluster::bootstrap_roles() {
  // Runs as the cluster superuser until it has completed once (marker file):
  // the only time the kernel uses superuser credentials. Each step checks
  // first, so an interrupted bootstrap simply resumes.
  const fs::path marker = options_.dir / "bootstrapped";
  if (fs::exists(marker)) return;
  pqxx::connection connection(superuser_url());
  pqxx::nontransaction statement(connection);
  const auto role_exists = [&](const char* role) {
    return !statement.exec_params("SELECT 1 FROM pg_roles WHERE rolname = $1", role).empty();
  };
  if (!role_exists(kOwnerRole)) {
    statement.exec("CREATE ROLE " + std::string(kOwnerRole) +
                   " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS "
                   "PASSWORD " +
                   statement.quote(owner_password_));
  }
  if (!role_exists(kRuntimeRole)) {
    statement.exec("CREATE ROLE " + std::string(kRuntimeRole) +
                   " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS "
                   "NOINHERIT PASSWORD " +
                   statement.quote(runtime_password_));
  }
  if (statement.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", kDatabaseName)
          .empty()) {
    statement.exec("CREATE DATABASE " + std::string(kDatabaseName) + " OWNER " + kOwnerRole +
                   " ENCODING 'UTF8' TEMPLATE template0");
  }
  statement.exec("REVOKE ALL ON DATABASE " + std::string(kDatabaseName) + " FROM PUBLIC");
  statement.exec("GRANT CONNECT ON DATABASE " + std::string(kDatabaseName) + " TO " + kOwnerRole +
                 ", " + kRuntimeRole);

  pqxx::connection database(url_for(kSuperuser, superuser_password_, kDatabaseName));
  pqxx::nontransaction in_database(database);
  in_database.exec("ALTER SCHEMA public OWNER TO " + std::string(kOwnerRole));
  in_database.exec("REVOKE ALL ON SCHEMA public FROM PUBLIC");
  in_database.exec("GRANT USAGE ON SCHEMA public TO " + std::string(kRuntimeRole));
  write_private_file(marker, "ok\n");
}

void EmbeddedCluster::stop() {
  std::optional<OsUser> server_user;
  if (geteuid() == 0) server_user = lookup_os_user(options_.os_user);
  const fs::path log_file = options_.dir / "postgres.log";
  const int status = run_process({(options_.bin_dir / "pg_ctl").string(), "stop", "-w", "-t", "60",
                                  "-s", "-m", "fast", "-D", (options_.dir / "data").string()},
                                 server_user, log_file);
  if (status != 0) {
    throw std::runtime_error("pg_ctl stop failed (exit " + std::to_string(status) + "); see " +
                             log_file.string() + ":" + tail_of(log_file));
  }
  started_by_us_ = false;
  log::info("embedded PostgreSQL stopped", {{"dataDir", options_.dir.string()}});
}

void EmbeddedCluster::restart() {
  stop();
  start();
}

}  // namespace fk::db
