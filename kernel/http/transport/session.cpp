#include "http/transport/session.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <exception>
#include <string_view>
#include <utility>

namespace fk::http::transport {

namespace {

using Clock = ConnectionWatch::Clock;
using Phase = ConnectionWatch::Phase;

// The output buffer is reused across inputs; release it after a big one.
constexpr std::size_t kRetainedOutputCapacity = std::size_t{64} * 1024;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

class InFlight {
 public:
  explicit InFlight(std::atomic<std::size_t>& counter) : counter_(counter) { ++counter_; }
  ~InFlight() { --counter_; }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  std::atomic<std::size_t>& counter_;
};

}  // namespace

Session::Session(std::shared_ptr<ServerContext> context, std::shared_ptr<ConnectionWatch> watch,
                 std::string remote_address)
    : context_(std::move(context)),
      watch_(std::move(watch)),
      remote_address_(std::move(remote_address)),
      parser_(ParserLimits{context_->options.max_header_bytes, context_->options.max_body_bytes},
              *this) {}

void Session::on_input(const char* data, std::size_t size) {
  // A closing connection keeps draining input: closing with unread bytes
  // would make the kernel send a reset that can destroy the final response.
  if (closing_ || watch_->expired()) return;

  answered_ = false;
  parser_.feed(data, size);

  const auto now = Clock::now();
  if (parser_.finished()) closing_ = true;
  if (closing_) {
    // Until the final response is out, idle_timeout bounds how long a
    // client that does not read may hold the connection.
    watch_->enter(Phase::Closing, now + context_->options.idle_timeout);
  } else if (answered_ && parser_.between_requests()) {
    watch_->enter(Phase::Idle, now + context_->options.idle_timeout);
  }
  flush();
}

void Session::on_request_started() {
  watch_->enter(Phase::Head, Clock::now() + context_->options.header_timeout);
}

void Session::on_body_expected(const Request& request) {
  watch_->enter(Phase::Body, Clock::now() + context_->options.body_timeout);
  const auto expect = request.header("expect");
  if (request.http_minor >= 1 && expect && iequals(*expect, "100-continue") && reserve_output()) {
    append_continue(out_);
  }
}

bool Session::on_request(Request& request, bool keep_alive) {
  // Busy has no deadline: the sweeper must not time out a request the
  // handler is working on. Refused if the sweeper expired us first.
  if (!watch_->enter(Phase::Busy, Clock::time_point::max())) return false;

  request.remote_address = remote_address_;
  Response response;
  {
    InFlight guard(context_->in_flight);
    try {
      response = context_->handler(request);
    } catch (...) {
      // Whatever escaped the pipeline: generic envelope, connection stays usable.
      response = render_error(500, "INTERNAL_ERROR", "internal error");
    }
  }
  if (!reserve_output()) return false;
  append_response(out_, response, Framing{request.method == "HEAD", keep_alive});
  answered_ = true;
  if (!keep_alive) closing_ = true;
  return keep_alive;
}

void Session::on_protocol_error(const ProtocolError& error) {
  closing_ = true;
  if (!reserve_output()) return;
  append_response(out_, render_error(error.status, error.code, error.message),
                  Framing{false, false});
}

Response Session::render_error(int status, const char* code, const char* message) const {
  try {
    return context_->render_error(status, code, message);
  } catch (...) {
    // The renderer is pipeline code; a response must be producible anyway.
    Response fallback;
    fallback.status = status;
    fallback.set_header("Content-Type", "application/json");
    fallback.body = std::string(R"({"error":{"code":")") + code + R"(","message":")" + message +
                    R"(","details":{}}})";
    return fallback;
  }
}

// The first response of a batch reserves the socket in the watch, so the
// sweeper will not write a 408 into a stream that has our bytes pending.
bool Session::reserve_output() {
  if (!out_.empty()) return true;
  if (watch_->begin_output()) return true;
  closing_ = true;  // expired by the sweeper: the socket is already shut down
  return false;
}

void Session::flush() {
  if (out_.empty()) return;
  watch_->write(out_, closing_);
  out_.clear();
  if (out_.capacity() > kRetainedOutputCapacity) std::string().swap(out_);
}

}  // namespace fk::http::transport
