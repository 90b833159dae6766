#include "http/transport/response_writer.hpp"

#include <catch2/catch.hpp>

#include <regex>

using fk::http::Response;
using fk::http::transport::append_response;
using fk::http::transport::Framing;
using fk::http::transport::http_date_now;

TEST_CASE("Writer: status line, handler headers, then framing", "[http][writer]") {
  Response response{404, {{"Content-Type", "application/json"}}, R"({"e":1})"};
  std::string out;
  append_response(out, response, Framing{false, true});
  const std::string expected_prefix =
      "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 7\r\n"
      "Connection: keep-alive\r\nDate: ";
  CHECK(out.rfind(expected_prefix, 0) == 0);
  CHECK(out.size() >= 7);
  CHECK(out.substr(out.size() - 11) == "\r\n\r\n{\"e\":1}");
}

TEST_CASE("Writer: HEAD keeps Content-Length and drops the body", "[http][writer]") {
  std::string out;
  append_response(out, Response{200, {}, "12345"}, Framing{true, false});
  CHECK(out.find("Content-Length: 5\r\n") != std::string::npos);
  CHECK(out.find("Connection: close\r\n") != std::string::npos);
  CHECK(out.substr(out.size() - 4) == "\r\n\r\n");
}

TEST_CASE("Writer: 204 has neither body nor Content-Length", "[http][writer]") {
  std::string out;
  append_response(out, Response{204, {}, "ignored"}, Framing{false, true});
  CHECK(out.find("Content-Length") == std::string::npos);
  CHECK(out.find("ignored") == std::string::npos);
}

TEST_CASE("Writer: handler framing and unsafe headers are dropped", "[http][writer]") {
  Response response{200,
                    {{"content-length", "1"},
                     {"Transfer-Encoding", "chunked"},
                     {"CONNECTION", "upgrade"},
                     {"Date", "yesterday"},
                     {"X-Split", "a\r\nSet-Cookie: x=1"},
                     {"X-Ok", "fine"}},
                    "abc"};
  std::string out;
  append_response(out, response, Framing{false, true});
  CHECK(out.find("Content-Length: 3\r\n") != std::string::npos);
  CHECK(out.find("content-length: 1") == std::string::npos);
  CHECK(out.find("chunked") == std::string::npos);
  CHECK(out.find("upgrade") == std::string::npos);
  CHECK(out.find("yesterday") == std::string::npos);
  CHECK(out.find("Set-Cookie") == std::string::npos);
  CHECK(out.find("X-Ok: fine\r\n") != std::string::npos);
}

TEST_CASE("Writer: Date is an IMF-fixdate", "[http][writer]") {
  const std::string date(http_date_now());
  CHECK(std::regex_match(
      date, std::regex(R"((Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT)")));
}
