#pragma once
// The kernel's database connection: libpqxx's connection, plus its libpq
// handle for what libpqxx 6.4 does not offer (libpq's pipeline mode, used
// by TenantWork::commit_with). The handle is learned through libpqxx's own
// extension point, the connection policy, so libpqxx still owns it.

#include <pqxx/connection>

#include <libpq-fe.h>

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>

namespace fk::db {

namespace detail {

// pqxx::connect_direct that remembers the handle it hands to libpqxx.
class RecordingConnect final : public pqxx::connect_direct {
 public:
  explicit RecordingConnect(const std::string& options) : connect_direct(options) {}
  handle do_startconnect(handle orig) override {
    return handle_ = connect_direct::do_startconnect(orig);
  }
  handle do_completeconnect(handle orig) override {
    return handle_ = connect_direct::do_completeconnect(orig);
  }
  handle do_dropconnect(handle orig) noexcept override {
    return handle_ = connect_direct::do_dropconnect(orig);
  }
  handle do_disconnect(handle orig) noexcept override {
    return handle_ = connect_direct::do_disconnect(orig);
  }
  [[nodiscard]] PGconn* current() const { return handle_; }

 private:
  handle handle_ = nullptr;
};

}  // namespace detail

// Mirrors pqxx::basic_connection_base<connect_direct> (what pqxx::connection
// is); connection_base keeps a reference to the policy and first uses it in
// init(), after every member is constructed.
class Connection final : public pqxx::connection_base {
 public:
  explicit Connection(const std::string& options)
      : connection_base(policy_), options_(options), policy_(options_) {
    init();
  }
  ~Connection() noexcept { close(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The open libpq connection, or nullptr. Borrowed: never close it, and
  // leave it as found (idle, not in pipeline mode) before libpqxx uses it again.
  [[nodiscard]] PGconn* libpq_handle() const { return policy_.current(); }

  // Named prepared statements, so a hot statement is parsed and planned
  // once per connection instead of once per request. At most
  // kMaxPreparedStatements per connection (plugins send arbitrary SQL);
  // beyond that, std::nullopt: run it unnamed.
  static constexpr std::size_t kMaxPreparedStatements = 256;
  // Through libpqxx (exec_prepared), which prepares on first use and again
  // after a reconnect. Returns the statement's name.
  std::optional<std::string> prepared_for_libpqxx(const std::string& sql);
  // For statements sent on the libpq handle directly (pipelined_commit):
  // the name, and whether it still has to be prepared on this session.
  struct RawStatement {
    std::string name;
    bool prepared = false;
  };
  std::optional<RawStatement> prepared_for_libpq(const std::string& sql);
  // Records that the server accepted the preparation of `sql`.
  void mark_prepared_for_libpq(const std::string& sql);

 private:
  std::string options_;
  detail::RecordingConnect policy_;
  std::unordered_map<std::string, std::string> libpqxx_statements_;  // sql -> name
  std::unordered_map<std::string, RawStatement> libpq_statements_;   // sql -> name, state
  int libpq_statements_session_ = 0;  // backend PID of the session they were prepared on
};

}  // namespace fk::db
