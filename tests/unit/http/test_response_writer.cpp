#include "http/transport/response_writer.hpp"

#include <catch2/catch.hpp>

#include <cctype>
#include <string_view>

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
  // "Sun, 06 Nov 1994 08:49:37 GMT": checked by shape, position by position.
  const std::string date(http_date_now());
  const std::string_view shape = "Aaa, 00 Aaa 0000 00:00:00 GMT";  // A/a: letter, 0: digit
  REQUIRE(date.size() == shape.size());
  for (std::size_t i = 0; i < shape.size(); ++i) {
    const auto c = static_cast<unsigned char>(date[i]);
    INFO("position " << i << " in " << date);
    if (shape[i] == '0') {
      CHECK(std::isdigit(c));
    } else if (std::isalpha(static_cast<unsigned char>(shape[i])) && i < 26) {
      CHECK(std::isalpha(c));
    } else if (i < 26) {
      CHECK(date[i] == shape[i]);
    }
  }
  CHECK(date.substr(26) == "GMT");
}
