// Connection persistence, pipelining, request fields and response framing,
// all observed over a raw socket against an in-process Server.

#include "raw_client.hpp"
#include "test_server.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

using namespace std::chrono_literals;
using fk::test::RawClient;
using fk::test::TestServer;

namespace {

std::string get(std::string_view target, std::string_view extra_headers = "",
                std::string_view version = "HTTP/1.1") {
  return "GET " + std::string(target) + " " + std::string(version) + "\r\nHost: test\r\n" +
         std::string(extra_headers) + "\r\n";
}

}  // namespace

TEST_CASE("HTTP/1.1 connections stay open without a Connection header", "[http][transport]") {
  TestServer server;
  RawClient client(server.port());

  client.send(get("/first"));
  auto first = client.read_response();
  CHECK(first.status == 200);
  CHECK(first.body == "GET /first");
  CHECK(first.header("connection") == "keep-alive");
  CHECK_FALSE(client.closed_within(300ms));

  client.send(get("/second"));
  auto second = client.read_response();
  CHECK(second.status == 200);
  CHECK(second.body == "GET /second");
}

TEST_CASE("HTTP/1.1 Connection: close is honoured after the response", "[http][transport]") {
  TestServer server;
  RawClient client(server.port());
  client.send(get("/bye", "Connection: close\r\n"));
  auto response = client.read_response();
  CHECK(response.status == 200);
  CHECK(response.body == "GET /bye");
  CHECK(response.header("connection") == "close");
  CHECK(client.closed_within(3s));
  CHECK(client.unread().empty());
}

TEST_CASE("HTTP/1.0 closes unless the client asks for keep-alive", "[http][transport]") {
  TestServer server;

  SECTION("default: close") {
    RawClient client(server.port());
    client.send(get("/old", "", "HTTP/1.0"));
    auto response = client.read_response();
    CHECK(response.status == 200);
    CHECK(response.header("connection") == "close");
    CHECK(client.closed_within(3s));
  }
  SECTION("Connection: keep-alive") {
    RawClient client(server.port());
    client.send(get("/old", "Connection: keep-alive\r\n", "HTTP/1.0"));
    auto response = client.read_response();
    CHECK(response.status == 200);
    CHECK(response.header("connection") == "keep-alive");
    CHECK_FALSE(client.closed_within(300ms));
    client.send(get("/again", "Connection: keep-alive\r\n", "HTTP/1.0"));
    CHECK(client.read_response().body == "GET /again");
  }
}

TEST_CASE("Pipelined requests in one write are answered in order", "[http][transport]") {
  TestServer server;
  RawClient client(server.port());
  client.send(get("/1") + "POST /2 HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello" +
              get("/3"));
  CHECK(client.read_response().body == "GET /1");
  CHECK(client.read_response().body == "POST /2");
  CHECK(client.read_response().body == "GET /3");
  CHECK_FALSE(client.closed_within(200ms));
}

TEST_CASE("Pipelined requests split one byte per write are answered in order",
          "[http][transport]") {
  TestServer server;
  RawClient client(server.port());
  client.send_bytewise(get("/a") + "PUT /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz" + get("/c"));
  CHECK(client.read_response().body == "GET /a");
  CHECK(client.read_response().body == "PUT /b");
  CHECK(client.read_response().body == "GET /c");
}

TEST_CASE("A pipeline ending in Connection: close is answered fully, then closed",
          "[http][transport]") {
  TestServer server;
  RawClient client(server.port());
  client.send(get("/1") + get("/2") + get("/3", "Connection: close\r\n") + get("/ignored"));
  CHECK(client.read_response().body == "GET /1");
  CHECK(client.read_response().body == "GET /2");
  auto last = client.read_response();
  CHECK(last.body == "GET /3");
  CHECK(last.header("connection") == "close");
  CHECK(client.closed_within(3s));
  CHECK(client.unread().empty());  // nothing was answered after the close
}

TEST_CASE("The handler sees every request field", "[http][transport]") {
  std::mutex mutex;
  fk::http::Request seen;
  TestServer server(fk::test::test_options(), [&](fk::http::Request& request) {
    std::lock_guard lock(mutex);
    seen = request;
    return fk::http::Response{};
  });
  RawClient client(server.port());
  client.send(
      "POST /v1/tenants/acme/settings?page=2&sort=name HTTP/1.1\r\n"
      "Host: test\r\nX-Tenant-ID: acme\r\nContent-Type: application/json\r\n"
      "Content-Length: 11\r\n\r\n{\"a\":\"b c\"}");
  REQUIRE(client.read_response().status == 200);

  std::lock_guard lock(mutex);
  CHECK(seen.method == "POST");
  CHECK(seen.target == "/v1/tenants/acme/settings?page=2&sort=name");
  CHECK(seen.path == "/v1/tenants/acme/settings");
  CHECK(seen.query == "page=2&sort=name");
  CHECK(seen.http_major == 1);
  CHECK(seen.http_minor == 1);
  CHECK(seen.header("x-tenant-id") == std::optional<std::string_view>("acme"));
  CHECK(seen.headers.at(1).first == "x-tenant-id");  // stored lower-cased
  CHECK(seen.headers.at(2) ==
        std::pair<std::string, std::string>("content-type", "application/json"));
  CHECK(seen.body == "{\"a\":\"b c\"}");
  CHECK(seen.remote_address == "127.0.0.1");
}

TEST_CASE("A chunked request body reaches the handler decoded", "[http][transport]") {
  TestServer server(fk::test::test_options(), [](fk::http::Request& request) {
    fk::http::Response response;
    response.body = request.body;
    return response;
  });
  RawClient client(server.port());
  client.send(
      "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n");
  auto response = client.read_response();
  CHECK(response.status == 200);
  CHECK(response.body == "hello world");
}

TEST_CASE("Expect: 100-continue gets an interim response before the body", "[http][transport]") {
  TestServer server;
  RawClient client(server.port());
  client.send("POST /upload HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  auto interim = client.read_response();
  CHECK(interim.status == 100);
  client.send("data");
  auto final_response = client.read_response();
  CHECK(final_response.status == 200);
  CHECK(final_response.body == "POST /upload");
}

TEST_CASE("HEAD responses announce the length but carry no body", "[http][transport]") {
  TestServer server;
  RawClient client(server.port());
  client.send("HEAD /h HTTP/1.1\r\n\r\n" + get("/after"));
  auto head = client.read_response(/*head=*/true);
  CHECK(head.status == 200);
  CHECK(head.header("content-length") == std::to_string(std::string("HEAD /h").size()));
  // If the HEAD body had been sent, this would read it as a status line.
  auto after = client.read_response();
  CHECK(after.status == 200);
  CHECK(after.body == "GET /after");
}

TEST_CASE("The transport owns framing headers", "[http][transport]") {
  TestServer server(fk::test::test_options(), [](fk::http::Request&) {
    fk::http::Response response;
    response.status = 201;
    response.set_header("Content-Length", "999");
    response.set_header("Connection", "close");
    response.set_header("X-Custom", "yes");
    response.set_header("X-Evil", "a\r\nInjected: 1");
    response.body = "{}";
    return response;
  });
  RawClient client(server.port());
  client.send(get("/"));
  auto response = client.read_response();
  CHECK(response.status == 201);
  CHECK(response.header("content-length") == "2");
  CHECK(response.header("connection") == "keep-alive");
  CHECK(response.header("x-custom") == "yes");
  CHECK_FALSE(response.header("x-evil"));
  CHECK_FALSE(response.header("injected"));
  CHECK(response.header("date").value_or("").size() == 29);  // IMF-fixdate
  CHECK(response.body == "{}");
  CHECK_FALSE(client.closed_within(200ms));
}

TEST_CASE("A throwing handler yields a 500 envelope and the connection survives",
          "[http][transport]") {
  TestServer server(fk::test::test_options(), [](fk::http::Request& request) {
    if (request.path == "/boom") throw std::runtime_error("handler failure");
    return fk::http::Response{200, {}, "fine"};
  });
  RawClient client(server.port());
  client.send(get("/boom") + get("/ok"));
  auto failed = client.read_response();
  CHECK(failed.status == 500);
  CHECK(fk::test::has_error_code(failed.body, "INTERNAL_ERROR"));
  CHECK(failed.header("connection") == "keep-alive");
  auto fine = client.read_response();
  CHECK(fine.status == 200);
  CHECK(fine.body == "fine");
}

TEST_CASE("in_flight counts requests inside the handler", "[http][transport]") {
  std::promise<void> entered;
  std::promise<void> release;
  auto release_future = release.get_future().share();
  TestServer server(fk::test::test_options(), [&](fk::http::Request&) {
    entered.set_value();
    release_future.wait();
    return fk::http::Response{};
  });
  CHECK(server.server().in_flight() == 0);
  RawClient client(server.port());
  client.send(get("/slow"));
  REQUIRE(entered.get_future().wait_for(5s) == std::future_status::ready);
  CHECK(server.server().in_flight() == 1);
  release.set_value();
  CHECK(client.read_response().status == 200);
  CHECK(server.server().in_flight() == 0);
}

TEST_CASE("Server lifecycle: port 0, stop twice, stop closes connections", "[http][transport]") {
  fk::http::Server server(fk::test::test_options(), TestServer::default_handler(),
                          fk::test::render_test_error);
  server.start();
  REQUIRE(server.port() != 0);
  RawClient client(server.port());
  client.send(get("/x"));
  CHECK(client.read_response().status == 200);

  server.stop();
  CHECK(client.closed_within(3s));
  server.stop();                           // idempotent
  CHECK_THROWS(RawClient(server.port()));  // nothing listens any more
}

TEST_CASE("Many servers can start and stop in one process", "[http][transport]") {
  for (int i = 0; i < 5; ++i) {
    TestServer server;
    RawClient client(server.port());
    client.send(get("/n"));
    CHECK(client.read_response().status == 200);
  }
}

TEST_CASE("start() reports a port that cannot be bound", "[http][transport]") {
  TestServer first;
  auto options = fk::test::test_options();
  options.port = first.port();
  fk::http::Server second(options, TestServer::default_handler(), fk::test::render_test_error);
  CHECK_THROWS(second.start());
  second.stop();  // harmless after a failed start
  RawClient client(first.port());
  client.send(get("/still-first"));
  CHECK(client.read_response().body == "GET /still-first");
}
