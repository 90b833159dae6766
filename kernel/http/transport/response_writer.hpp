#pragma once
// Serializes a Response to HTTP/1.1 wire bytes. The transport owns the
// framing headers (Content-Length, Connection, Date); the same names set by
// a handler are dropped so a response can never carry two framings.

#include "http/response.hpp"

#include <string>
#include <string_view>

namespace fk::http::transport {

struct Framing {
  bool head_request = false;  // HEAD: announce the body's length, send no body
  bool keep_alive = true;
};

// Appends the status line, headers and (unless HEAD) the body to `out`.
void append_response(std::string& out, const Response& response, Framing framing);

// The interim response a client waiting on `Expect: 100-continue` needs.
void append_continue(std::string& out);

// Current time as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"),
// formatted at most once per second per thread.
std::string_view http_date_now();

}  // namespace fk::http::transport
