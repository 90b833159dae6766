// HttpConnection without sockets: exact event sequences for split input,
// pipelining and every limit.

#include "http/transport/http_connection.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

using fk::http::Request;
using fk::http::transport::HttpConnection;
using fk::http::transport::ParserLimits;
using fk::http::transport::ProtocolError;

namespace {

struct Recorder final : HttpConnection::Events {
  std::vector<std::string> log;
  std::vector<Request> requests;
  std::vector<bool> keep_alive;
  int error_status = 0;
  std::string error_code;
  bool stop_after_request = false;

  void on_request_started() override { log.emplace_back("started"); }
  void on_body_expected(const Request& request) override {
    log.push_back("body-expected " + request.target);
  }
  bool on_request(Request& request, bool keep) override {
    log.push_back("request " + request.target);
    requests.push_back(request);
    keep_alive.push_back(keep);
    return !stop_after_request;
  }
  void on_protocol_error(const ProtocolError& error) override {
    log.push_back("error " + std::to_string(error.status));
    error_status = error.status;
    error_code = error.code;
  }
};

constexpr ParserLimits kLimits{256, 64};

constexpr std::string_view kPipeline =
    "GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n"
    "POST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
    "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";

void check_pipeline(const Recorder& recorder) {
  REQUIRE(recorder.requests.size() == 3);
  CHECK(recorder.requests[0].method == "GET");
  CHECK(recorder.requests[0].path == "/a");
  CHECK(recorder.requests[0].query == "x=1");
  CHECK(recorder.requests[1].body == "hello");
  CHECK(recorder.requests[2].method == "PUT");
  CHECK(recorder.requests[2].body == "abc");
  CHECK(recorder.error_status == 0);
}

}  // namespace

TEST_CASE("Parser: pipelined requests split at every byte boundary", "[http][parser]") {
  for (std::size_t split = 0; split <= kPipeline.size(); ++split) {
    Recorder recorder;
    HttpConnection connection(kLimits, recorder);
    connection.feed(kPipeline.data(), split);
    connection.feed(kPipeline.data() + split, kPipeline.size() - split);
    INFO("split at " << split);
    check_pipeline(recorder);
    CHECK(connection.between_requests());
  }
}

TEST_CASE("Parser: one byte at a time", "[http][parser]") {
  Recorder recorder;
  HttpConnection connection(kLimits, recorder);
  for (char c : kPipeline) connection.feed(&c, 1);
  check_pipeline(recorder);
  CHECK(recorder.log == std::vector<std::string>{"started", "request /a?x=1", "started",
                                                 "body-expected /b", "request /b", "started",
                                                 "body-expected /c", "request /c"});
}

TEST_CASE("Parser: keep-alive follows the version and Connection header", "[http][parser]") {
  Recorder recorder;
  HttpConnection connection(kLimits, recorder);
  const std::string input =
      "GET /1 HTTP/1.1\r\n\r\n"
      "GET /2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
      "GET /3 HTTP/1.1\r\nConnection: close\r\n\r\n"
      "GET /4 HTTP/1.1\r\n\r\n";
  connection.feed(input.data(), input.size());
  CHECK(recorder.keep_alive == std::vector<bool>{true, true, false});
  CHECK(connection.finished());  // /4 is never parsed after Connection: close
}

TEST_CASE("Parser: HTTP/1.0 without keep-alive finishes the connection", "[http][parser]") {
  Recorder recorder;
  HttpConnection connection(kLimits, recorder);
  const std::string input = "GET / HTTP/1.0\r\n\r\n";
  connection.feed(input.data(), input.size());
  CHECK(recorder.keep_alive == std::vector<bool>{false});
  CHECK(connection.finished());
}

TEST_CASE("Parser: header names are lower-cased, values trimmed, trailers dropped",
          "[http][parser]") {
  Recorder recorder;
  HttpConnection connection(kLimits, recorder);
  const std::string input =
      "POST /t HTTP/1.1\r\nX-Mixed-CASE:  value  \r\nTransfer-Encoding: chunked\r\n\r\n"
      "1\r\nz\r\n0\r\nX-Trailer: sneaky\r\n\r\n";
  connection.feed(input.data(), input.size());
  REQUIRE(recorder.requests.size() == 1);
  const auto& headers = recorder.requests[0].headers;
  REQUIRE(headers.size() == 2);
  CHECK(headers[0].first == "x-mixed-case");
  CHECK(headers[0].second == "value");
  CHECK_FALSE(recorder.requests[0].header("x-trailer"));
}

TEST_CASE("Parser: limits and malformed input", "[http][parser]") {
  struct Case {
    std::string input;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"POST / HTTP/1.1\r\nContent-Length: 65\r\n\r\n", 413, "PAYLOAD_TOO_LARGE"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n41\r\n", 413, "PAYLOAD_TOO_LARGE"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + std::string(64, 'a') +
           "\r\n1\r\n",
       413, "PAYLOAD_TOO_LARGE"},
      {"POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n", 400, "INVALID_CONTENT_LENGTH"},
      {"POST / HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n", 400, "INVALID_CONTENT_LENGTH"},
      {"POST / HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n", 400,
       "INVALID_CONTENT_LENGTH"},
      {"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400,
       "INVALID_CONTENT_LENGTH"},
      {"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
       "BAD_REQUEST"},
      {"GET / HTTP/1.1\r\nX: " + std::string(300, 'x') + "\r\n\r\n", 431, "HEADERS_TOO_LARGE"},
      {"GET / HTTP/1.1\r\nX: " + std::string(300, 'x'), 431, "HEADERS_TOO_LARGE"},
      {"garbage\r\n\r\n", 400, "MALFORMED_REQUEST"},
      {"GET / HTTP/9.9\r\n\r\n", 505, "HTTP_VERSION_NOT_SUPPORTED"},
      {"GET /\r\n\r\n", 505, "HTTP_VERSION_NOT_SUPPORTED"},  // HTTP/0.9
  };
  for (const auto& test : cases) {
    INFO(test.input.substr(0, 80));
    Recorder recorder;
    HttpConnection connection(kLimits, recorder);
    connection.feed(test.input.data(), test.input.size());
    CHECK(recorder.error_status == test.status);
    CHECK(recorder.error_code == test.code);
    CHECK(recorder.requests.empty());
    CHECK(connection.finished());
    // Once finished, input is ignored.
    const std::string more = "GET / HTTP/1.1\r\n\r\n";
    connection.feed(more.data(), more.size());
    CHECK(recorder.requests.empty());
  }
}

TEST_CASE("Parser: a head exactly at the limit is accepted", "[http][parser]") {
  std::string head = "GET / HTTP/1.1\r\nX: ";
  head += std::string(kLimits.max_header_bytes - head.size() - 4, 'v') + "\r\n\r\n";
  REQUIRE(head.size() == kLimits.max_header_bytes);
  Recorder recorder;
  HttpConnection connection(kLimits, recorder);
  connection.feed(head.data(), head.size());
  CHECK(recorder.requests.size() == 1);
  CHECK(recorder.error_status == 0);
}

TEST_CASE("Parser: a head one byte over the limit is refused", "[http][parser]") {
  std::string head = "GET / HTTP/1.1\r\nX: ";
  head += std::string(kLimits.max_header_bytes - head.size() - 3, 'v') + "\r\n\r\n";
  REQUIRE(head.size() == kLimits.max_header_bytes + 1);
  for (const bool bytewise : {false, true}) {
    Recorder recorder;
    HttpConnection connection(kLimits, recorder);
    if (bytewise) {
      for (char c : head) connection.feed(&c, 1);
    } else {
      connection.feed(head.data(), head.size());
    }
    CHECK(recorder.error_status == 431);
    CHECK(recorder.requests.empty());
  }
}

TEST_CASE("Parser: the head limit applies per request, not per connection", "[http][parser]") {
  Recorder recorder;
  HttpConnection connection(kLimits, recorder);
  const std::string request = "GET / HTTP/1.1\r\nX: " + std::string(150, 'v') + "\r\n\r\n";
  for (int i = 0; i < 10; ++i) connection.feed(request.data(), request.size());
  CHECK(recorder.requests.size() == 10);
  CHECK(recorder.error_status == 0);
}

TEST_CASE("Parser: on_request returning false stops parsing", "[http][parser]") {
  Recorder recorder;
  recorder.stop_after_request = true;
  HttpConnection connection(kLimits, recorder);
  const std::string input = "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n";
  connection.feed(input.data(), input.size());
  CHECK(recorder.requests.size() == 1);
  CHECK(connection.finished());
}
