// Header, body and idle deadlines (the sweeper). Timeouts are short but the
// waits are generous, so the outcome, not the scheduler, decides the result.

#include "raw_client.hpp"
#include "test_server.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

using namespace std::chrono_literals;
using fk::test::has_error_code;
using fk::test::RawClient;
using fk::test::TestServer;
using Clock = std::chrono::steady_clock;

namespace {

fk::http::ServerOptions short_timeouts() {
  auto options = fk::test::test_options();
  options.header_timeout = 300ms;
  options.body_timeout = 300ms;
  options.idle_timeout = 300ms;
  return options;
}

void require_healthy(uint16_t port) {
  RawClient client(port);
  client.send("GET /health HTTP/1.1\r\n\r\n");
  REQUIRE(client.read_response().status == 200);
}

}  // namespace

TEST_CASE("Incomplete headers get 408 after header_timeout, then close",
          "[http][transport][timeouts]") {
  auto options = short_timeouts();
  options.idle_timeout = 10s;  // only the header deadline may fire
  TestServer server(options);
  RawClient client(server.port());

  const auto started = Clock::now();
  client.send("GET /slow HTTP/1.1\r\nHost: t\r\nX-Partial: ");
  const auto response = client.read_response(false, 5s);
  CHECK(Clock::now() - started >= 250ms);
  CHECK(response.status == 408);
  CHECK(has_error_code(response.body, "REQUEST_TIMEOUT"));
  CHECK(response.header("connection") == "close");
  CHECK(client.closed_within(3s));
  require_healthy(server.port());
}

TEST_CASE("Slowloris: dribbling header bytes does not extend header_timeout",
          "[http][transport][timeouts]") {
  auto options = short_timeouts();
  options.idle_timeout = 10s;
  TestServer server(options);
  RawClient client(server.port());

  client.send("GET / HTTP/1.1\r\n");
  const auto started = Clock::now();
  bool closed = false;
  // One byte every 50 ms would keep an inactivity timer alive forever.
  while (Clock::now() - started < 5s) {
    try {
      client.send("X");
    } catch (const std::exception&) {
      break;  // server already closed: EPIPE/ECONNRESET
    }
    if (client.closed_within(50ms)) {
      closed = true;
      break;
    }
  }
  if (!closed) closed = client.closed_within(3s);
  CHECK(closed);
  CHECK(Clock::now() - started < 4s);
  CHECK(client.unread().rfind("HTTP/1.1 408 ", 0) == 0);
  require_healthy(server.port());
}

TEST_CASE("An incomplete body gets 408 after body_timeout, then close",
          "[http][transport][timeouts]") {
  auto options = short_timeouts();
  options.header_timeout = 10s;
  options.idle_timeout = 10s;
  TestServer server(options);
  RawClient client(server.port());

  client.send("POST /upload HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
  const auto response = client.read_response(false, 5s);
  CHECK(response.status == 408);
  CHECK(has_error_code(response.body, "REQUEST_TIMEOUT"));
  CHECK(client.closed_within(3s));
  require_healthy(server.port());
}

TEST_CASE("An idle keep-alive connection is closed silently after idle_timeout",
          "[http][transport][timeouts]") {
  TestServer server(short_timeouts());
  SECTION("after a request") {
    RawClient client(server.port());
    client.send("GET /once HTTP/1.1\r\n\r\n");
    CHECK(client.read_response().status == 200);
    CHECK(client.closed_within(5s));
    CHECK(client.unread().empty());  // no 408 for an idle connection
  }
  SECTION("without any request") {
    RawClient client(server.port());
    CHECK(client.closed_within(5s));
    CHECK(client.unread().empty());
  }
  require_healthy(server.port());
}

TEST_CASE("An active keep-alive connection outlives every single timeout",
          "[http][transport][timeouts]") {
  auto options = short_timeouts();
  options.header_timeout = 500ms;
  options.body_timeout = 500ms;
  options.idle_timeout = 500ms;
  TestServer server(options);
  RawClient client(server.port());
  const auto started = Clock::now();
  int answered = 0;
  while (Clock::now() - started < 2s) {  // four times each timeout
    client.send("GET /tick HTTP/1.1\r\n\r\n");
    REQUIRE(client.read_response().status == 200);
    ++answered;
    std::this_thread::sleep_for(50ms);  // a tenth of the idle timeout
  }
  CHECK(answered >= 10);
}

TEST_CASE("A slow handler is not cut off by the request deadlines", "[http][transport][timeouts]") {
  TestServer server(short_timeouts(), [](fk::http::Request&) {
    std::this_thread::sleep_for(700ms);
    return fk::http::Response{200, {}, "done"};
  });
  RawClient client(server.port());
  client.send("GET /slow HTTP/1.1\r\n\r\n");
  const auto response = client.read_response(false, 5s);
  CHECK(response.status == 200);
  CHECK(response.body == "done");
}
