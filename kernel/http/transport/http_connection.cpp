#include "http/transport/http_connection.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <utility>

namespace fk::http::transport {

namespace {

constexpr ProtocolError kMalformed{400, "MALFORMED_REQUEST", "malformed HTTP request"};
constexpr ProtocolError kInternal{500, "INTERNAL_ERROR", "internal error"};
constexpr ProtocolError kHeadersTooLarge{431, "HEADERS_TOO_LARGE",
                                         "request line and headers exceed the limit"};
constexpr ProtocolError kBodyTooLarge{413, "PAYLOAD_TOO_LARGE", "request body exceeds the limit"};
constexpr ProtocolError kBadContentLength{400, "INVALID_CONTENT_LENGTH", "invalid Content-Length"};
constexpr ProtocolError kLengthAndEncoding{
    400, "BAD_REQUEST", "Content-Length and Transfer-Encoding must not be combined"};
constexpr ProtocolError kBadTransferEncoding{400, "BAD_REQUEST", "unsupported Transfer-Encoding"};
constexpr ProtocolError kBadVersion{505, "HTTP_VERSION_NOT_SUPPORTED",
                                    "only HTTP/1.0 and HTTP/1.1 are supported"};

// Strings grown by one large request keep their capacity for the life of
// the connection unless released; cap what an idle connection holds.
constexpr std::size_t kRetainedBodyCapacity = std::size_t{64} * 1024;

HttpConnection& self(http_parser* parser) {
  return *static_cast<HttpConnection*>(parser->data);
}

bool has_header(const Request& request, std::string_view lower_name) {
  return std::any_of(request.headers.begin(), request.headers.end(),
                     [&](const auto& header) { return header.first == lower_name; });
}

void trim_trailing_whitespace(std::string& value) {
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
}

}  // namespace

HttpConnection::HttpConnection(ParserLimits limits, Events& events)
    : limits_(limits), events_(events) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
}

const http_parser_settings& HttpConnection::settings() {
  static const http_parser_settings instance = [] {
    http_parser_settings s{};
    http_parser_settings_init(&s);
    s.on_message_begin = &HttpConnection::on_message_begin;
    s.on_url = &HttpConnection::on_url;
    s.on_header_field = &HttpConnection::on_header_field;
    s.on_header_value = &HttpConnection::on_header_value;
    s.on_headers_complete = &HttpConnection::on_headers_complete;
    s.on_body = &HttpConnection::on_body;
    s.on_message_complete = &HttpConnection::on_message_complete;
    s.on_chunk_header = &HttpConnection::on_chunk_header;
    return s;
  }();
  return instance;
}

void HttpConnection::feed(const char* data, std::size_t size) {
  while (size > 0 && !finished_) {
    const bool in_head = stage_ != Stage::Body;
    std::size_t slice = size;
    if (in_head) {
      // Hand the parser at most one byte more than the head may take, so an
      // over-long head is refused before more of it is buffered.
      slice = std::min(size, limits_.max_header_bytes + 1 - head_bytes_);
    }
    const std::size_t parsed = http_parser_execute(&parser_, &settings(), data, slice);
    data += parsed;
    size -= parsed;
    if (in_head) head_bytes_ += parsed;

    if (began_) {
      began_ = false;
      events_.on_request_started();
    }
    const auto error = HTTP_PARSER_ERRNO(&parser_);
    if (error == HPE_PAUSED) {
      http_parser_pause(&parser_, 0);
      handle_pause();
      continue;
    }
    if (error != HPE_OK) return fail(error_for(error));
    if (in_head && head_bytes_ > limits_.max_header_bytes) return fail(kHeadersTooLarge);
    if (parsed == 0) return fail(kMalformed);  // cannot progress: never spin
  }
}

// The parser pauses itself at the end of the head and at the end of each
// message, so limits are checked before any body byte is consumed and each
// pipelined request is dispatched before the next one is parsed.
void HttpConnection::handle_pause() {
  switch (std::exchange(pause_, Pause::None)) {
    case Pause::HeadersComplete: {
      if (auto error = check_head()) return fail(*error);
      finish_head();
      stage_ = Stage::Body;
      const bool chunked = (parser_.flags & F_CHUNKED) != 0;
      const bool has_length = (parser_.flags & F_CONTENTLENGTH) != 0 && parser_.content_length > 0;
      if (chunked || has_length) events_.on_body_expected(request_);
      return;
    }
    case Pause::MessageComplete: {
      stage_ = Stage::Idle;
      head_bytes_ = 0;
      // After an Upgrade/CONNECT the rest of the stream is not HTTP/1.x.
      const bool keep_alive = keep_alive_ && parser_.upgrade == 0;
      const bool more = events_.on_request(request_, keep_alive);
      reset_request();
      if (!keep_alive || !more) finished_ = true;
      return;
    }
    case Pause::None:
      return;
  }
}

std::optional<ProtocolError> HttpConnection::check_head() const {
  // The parser pauses before consuming the head's final LF: count it.
  if (head_bytes_ + 1 > limits_.max_header_bytes) return kHeadersTooLarge;
  if (parser_.http_major != 1 || parser_.http_minor > 1) return kBadVersion;
  // Request-smuggling guard: libhttp-parser refuses this too, but the rule
  // must not depend on a library default.
  if (has_header(request_, "content-length") && has_header(request_, "transfer-encoding")) {
    return kLengthAndEncoding;
  }
  // Decided from the header alone: the body is never buffered to find out.
  const bool chunked = (parser_.flags & F_CHUNKED) != 0;
  if (!chunked && (parser_.flags & F_CONTENTLENGTH) != 0 &&
      parser_.content_length > limits_.max_body_bytes) {
    return kBodyTooLarge;
  }
  return std::nullopt;
}

ProtocolError HttpConnection::error_for(http_errno error) const {
  switch (error) {
    case HPE_CB_message_begin:
    case HPE_CB_url:
    case HPE_CB_header_field:
    case HPE_CB_header_value:
    case HPE_CB_headers_complete:
    case HPE_CB_body:
    case HPE_CB_message_complete:
    case HPE_CB_chunk_header:
    case HPE_CB_chunk_complete:
      return callback_error_.value_or(kInternal);
    case HPE_HEADER_OVERFLOW:
      return kHeadersTooLarge;
    case HPE_INVALID_CONTENT_LENGTH:
      // Negative, non-numeric or overflowing: refused while parsing the
      // digits, so no allocation ever depends on the client's number.
      return kBadContentLength;
    case HPE_UNEXPECTED_CONTENT_LENGTH:
      // Raised for a second Content-Length and for Content-Length combined
      // with Transfer-Encoding.
      return has_header(request_, "transfer-encoding") ? kLengthAndEncoding : kBadContentLength;
    case HPE_INVALID_TRANSFER_ENCODING:
      return kBadTransferEncoding;
    default:
      return kMalformed;
  }
}

void HttpConnection::finish_head() {
  head_complete_ = true;
  request_.method = http_method_str(static_cast<http_method>(parser_.method));
  request_.http_major = parser_.http_major;
  request_.http_minor = parser_.http_minor;
  const auto question = request_.target.find('?');
  request_.path.assign(request_.target, 0, question);
  if (question != std::string::npos) request_.query.assign(request_.target, question + 1);
  for (auto& header : request_.headers) trim_trailing_whitespace(header.second);
}

void HttpConnection::reset_request() {
  request_.method.clear();
  request_.target.clear();
  request_.path.clear();
  request_.query.clear();
  request_.headers.clear();
  request_.remote_address.clear();
  request_.body.clear();
  if (request_.body.capacity() > kRetainedBodyCapacity) std::string().swap(request_.body);
  in_header_value_ = false;
  head_complete_ = false;
  keep_alive_ = false;
}

void HttpConnection::fail(const ProtocolError& error) {
  finished_ = true;
  events_.on_protocol_error(error);
}

// --- libhttp-parser callbacks: record only, never throw, never call out ---

int HttpConnection::on_message_begin(http_parser* parser) {
  auto& connection = self(parser);
  connection.stage_ = Stage::Head;
  connection.began_ = true;
  return 0;
}

int HttpConnection::on_url(http_parser* parser, const char* at, std::size_t size) {
  auto& connection = self(parser);
  try {
    connection.request_.target.append(at, size);
    return 0;
  } catch (...) {
    connection.callback_error_ = kInternal;
    return 1;
  }
}

int HttpConnection::on_header_field(http_parser* parser, const char* at, std::size_t size) {
  auto& connection = self(parser);
  if (connection.head_complete_) return 0;  // chunked trailers are not request headers
  try {
    auto& headers = connection.request_.headers;
    if (headers.empty() || connection.in_header_value_) {
      headers.emplace_back();
      connection.in_header_value_ = false;
    }
    auto& name = headers.back().first;
    for (std::size_t i = 0; i < size; ++i) {
      name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(at[i]))));
    }
    return 0;
  } catch (...) {
    connection.callback_error_ = kInternal;
    return 1;
  }
}

int HttpConnection::on_header_value(http_parser* parser, const char* at, std::size_t size) {
  auto& connection = self(parser);
  if (connection.head_complete_) return 0;
  try {
    if (connection.request_.headers.empty()) connection.request_.headers.emplace_back();
    connection.in_header_value_ = true;
    connection.request_.headers.back().second.append(at, size);
    return 0;
  } catch (...) {
    connection.callback_error_ = kInternal;
    return 1;
  }
}

int HttpConnection::on_headers_complete(http_parser* parser) {
  auto& connection = self(parser);
  if (connection.head_complete_) return 0;  // end of chunked trailers
  connection.pause_ = Pause::HeadersComplete;
  http_parser_pause(parser, 1);
  return 0;
}

int HttpConnection::on_chunk_header(http_parser* parser) {
  // parser->content_length is the announced chunk size: refuse an
  // oversized chunk before its data arrives.
  auto& connection = self(parser);
  const auto budget = connection.limits_.max_body_bytes - connection.request_.body.size();
  if (parser->content_length > budget) {
    connection.callback_error_ = kBodyTooLarge;
    return 1;
  }
  return 0;
}

int HttpConnection::on_body(http_parser* parser, const char* at, std::size_t size) {
  auto& connection = self(parser);
  auto& body = connection.request_.body;
  if (size > connection.limits_.max_body_bytes - body.size()) {
    connection.callback_error_ = kBodyTooLarge;
    return 1;
  }
  try {
    body.append(at, size);
    return 0;
  } catch (...) {
    connection.callback_error_ = kInternal;
    return 1;
  }
}

int HttpConnection::on_message_complete(http_parser* parser) {
  auto& connection = self(parser);
  connection.keep_alive_ = http_should_keep_alive(parser) != 0;
  connection.pause_ = Pause::MessageComplete;
  http_parser_pause(parser, 1);
  return 0;
}

}  // namespace fk::http::transport
