#pragma once
// One connection as seen from its reactor thread: feeds bytes to the
// parser, runs the pipeline's handler synchronously for each request,
// frames responses in order and decides when the connection closes.

#include "http/transport/connection_watch.hpp"
#include "http/transport/http_connection.hpp"
#include "http/transport/response_writer.hpp"
#include "http/transport/server_context.hpp"

#include <memory>
#include <string>

namespace fk::http::transport {

class Session final : private HttpConnection::Events {
 public:
  Session(std::shared_ptr<ServerContext> context, std::shared_ptr<ConnectionWatch> watch,
          std::string remote_address);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() override = default;

  // Reactor thread only. Answers every complete request in `data`, in order,
  // with a single write.
  void on_input(const char* data, std::size_t size);

  [[nodiscard]] ConnectionWatch& watch() const { return *watch_; }

 private:
  void on_request_started() override;
  void on_body_expected(const Request& request) override;
  bool on_request(Request& request, bool keep_alive) override;
  void on_protocol_error(const ProtocolError& error) override;

  [[nodiscard]] Response render_error(int status, const char* code, const char* message) const;
  bool reserve_output();
  void flush();

  std::shared_ptr<ServerContext> context_;
  std::shared_ptr<ConnectionWatch> watch_;
  std::string remote_address_;
  HttpConnection parser_;
  std::string out_;        // responses of the current input, written at once
  bool closing_ = false;   // final response queued: read and discard the rest
  bool answered_ = false;  // a request completed during the current input
};

}  // namespace fk::http::transport
