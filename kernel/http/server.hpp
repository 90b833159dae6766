#pragma once
// The HTTP transport: Pistache's reactor and TCP transport, with the kernel's
// own HTTP/1.x parsing (libhttp-parser) in front of the pipeline, because
// Pistache 0.0.5's parser mishandles keep-alive, pipelining and hostile
// Content-Length values. See docs/architecture.md, "HTTP transport".
//
// Contract with the pipeline: `RequestHandler` is called once per complete
// request, on a reactor thread, in the order requests arrived on each
// connection. It must return a Response; if it throws, the transport answers
// a generic 500 envelope. Protocol-level failures (400, 408, 413, 431, 505)
// never reach the handler; they are rendered with `ProtocolErrorRenderer`
// and the connection is closed after the response is written.

#include "http/request.hpp"
#include "http/response.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace fk::http {

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;  // 0 = let the OS choose (tests); see Server::port()
  std::size_t threads = 4;
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;          // request line + all headers
  std::chrono::milliseconds header_timeout{10'000};  // first byte to end of headers
  std::chrono::milliseconds body_timeout{30'000};    // end of headers to end of body
  std::chrono::milliseconds idle_timeout{60'000};    // keep-alive with no request in progress
};

using RequestHandler = std::function<Response(Request&)>;

// status: 400/408/413/431/505; code: stable upper-case error code; message: human text.
using ProtocolErrorRenderer =
    std::function<Response(int status, std::string_view code, std::string_view message)>;

class Server {
 public:
  Server(ServerOptions options, RequestHandler handler, ProtocolErrorRenderer render_error);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void start();                                 // binds and serves on background threads
  [[nodiscard]] uint16_t port() const;          // the bound port (after start)
  [[nodiscard]] std::size_t in_flight() const;  // requests inside the handler now
  void stop();                                  // stops accepting and closes connections

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fk::http
