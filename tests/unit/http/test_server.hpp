#pragma once
// An in-process Server on 127.0.0.1, port 0, with a handler that describes
// the request it got, and the real envelope as protocol-error renderer.

#include "http/envelope.hpp"
#include "http/server.hpp"

#include <atomic>
#include <string>

namespace fk::test {

inline http::ServerOptions test_options() {
  http::ServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.threads = 2;
  options.max_body_bytes = 1024;
  options.max_header_bytes = 2048;
  return options;
}

inline http::Response render_test_error(int status, std::string_view code,
                                        std::string_view message) {
  return http::error_response(status, code, message, "test-request");
}

// The body a request gets from the default handler: "<METHOD> <target>".
inline std::string echo_line(const http::Request& request) {
  return request.method + " " + request.target;
}

class TestServer {
 public:
  explicit TestServer(http::ServerOptions options = test_options(),
                      http::RequestHandler handler = {})
      : server_(std::move(options), handler ? std::move(handler) : default_handler(),
                render_test_error) {
    server_.start();
  }

  [[nodiscard]] uint16_t port() const { return server_.port(); }
  [[nodiscard]] http::Server& server() { return server_; }

  static http::RequestHandler default_handler() {
    return [](http::Request& request) {
      http::Response response;
      response.set_header("Content-Type", "text/plain");
      response.body = echo_line(request);
      return response;
    };
  }

 private:
  http::Server server_;
};

// Substring check on the rendered envelope: {"error":{"code":"X",...}}.
inline bool has_error_code(const std::string& body, std::string_view code) {
  return body.find("\"code\":\"" + std::string(code) + "\"") != std::string::npos;
}

}  // namespace fk::test
