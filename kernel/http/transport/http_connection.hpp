#pragma once
// Incremental HTTP/1.x request parser for one connection: libhttp-parser
// underneath, the transport's size limits enforced while bytes arrive.
// It knows nothing of sockets or threads (bytes in, events out), so every
// hostile-input rule can be tested without a network.
//
// Why not Pistache's own parser: Pistache 0.0.5 closes HTTP/1.1 connections
// unless the client sends `Connection: keep-alive`, drops pipelined requests
// (pistacheio/pistache#1034), leaks per request (#399, #886) and allocates
// whatever a huge or negative Content-Length asks for.

#include "http/request.hpp"

#include <http_parser.h>

#include <cstddef>
#include <optional>
#include <string>

namespace fk::http::transport {

struct ParserLimits {
  std::size_t max_header_bytes;  // request line + headers
  std::size_t max_body_bytes;
};

// A request the transport refuses; rendered by the ProtocolErrorRenderer,
// after which the connection closes.
struct ProtocolError {
  int status;
  const char* code;
  const char* message;
};

class HttpConnection {
 public:
  // Called synchronously from feed(), never from inside libhttp-parser, so
  // a throwing listener cannot unwind through C frames.
  class Events {
   public:
    virtual ~Events() = default;
    virtual void on_request_started() = 0;  // first byte of a request seen
    // Head accepted and a body follows (Content-Length > 0 or chunked).
    virtual void on_body_expected(const Request& request) = 0;
    // A complete request. Return false to stop reading the connection.
    virtual bool on_request(Request& request, bool keep_alive) = 0;
    virtual void on_protocol_error(const ProtocolError& error) = 0;
  };

  HttpConnection(ParserLimits limits, Events& events);
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Consumes bytes, raising events in order. After a protocol error or a
  // request that ends the connection, the parser is finished and ignores
  // all further input.
  void feed(const char* data, std::size_t size);

  [[nodiscard]] bool finished() const { return finished_; }
  // No request is partially received.
  [[nodiscard]] bool between_requests() const { return stage_ == Stage::Idle; }

 private:
  enum class Stage { Idle, Head, Body };
  enum class Pause { None, HeadersComplete, MessageComplete };

  static const http_parser_settings& settings();
  static int on_message_begin(http_parser* parser);
  static int on_url(http_parser* parser, const char* at, std::size_t size);
  static int on_header_field(http_parser* parser, const char* at, std::size_t size);
  static int on_header_value(http_parser* parser, const char* at, std::size_t size);
  static int on_headers_complete(http_parser* parser);
  static int on_chunk_header(http_parser* parser);
  static int on_body(http_parser* parser, const char* at, std::size_t size);
  static int on_message_complete(http_parser* parser);

  void handle_pause();
  [[nodiscard]] std::optional<ProtocolError> check_head() const;
  [[nodiscard]] ProtocolError error_for(http_errno error) const;
  void finish_head();
  void reset_request();
  void fail(const ProtocolError& error);

  http_parser parser_{};
  ParserLimits limits_;
  Events& events_;

  Request request_;
  Stage stage_ = Stage::Idle;
  Pause pause_ = Pause::None;
  bool began_ = false;  // on_message_begin seen, event not raised yet
  bool keep_alive_ = false;
  std::size_t head_bytes_ = 0;
  bool in_header_value_ = false;  // last header callback delivered a value
  bool head_complete_ = false;    // header callbacks after it are trailers
  std::optional<ProtocolError> callback_error_;
  bool finished_ = false;
};

}  // namespace fk::http::transport
