#pragma once
// A deliberately dumb HTTP client over a raw TCP socket, so tests control
// every byte (pipelining, split writes, hostile framing) and observe exactly
// what the server writes and whether it closes.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fk::test {

struct RawResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  [[nodiscard]] std::optional<std::string> header(std::string_view lower_name) const;
};

class RawClient {
 public:
  explicit RawClient(uint16_t port);  // connects to 127.0.0.1:port
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  void send(std::string_view bytes);
  void send_bytewise(std::string_view bytes);  // one send() per byte

  // Reads exactly one response (framed by Content-Length). For a HEAD
  // request pass head = true: no body follows. Throws on timeout or EOF.
  RawResponse read_response(bool head = false,
                            std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // Reads (and keeps) bytes until the server closes. True if EOF (or a
  // reset) arrived within `timeout`.
  bool closed_within(std::chrono::milliseconds timeout);

  // Bytes received but not consumed by read_response.
  [[nodiscard]] const std::string& unread() const { return buffer_; }

 private:
  // Waits up to `timeout` for more bytes; false on timeout; sets eof_.
  bool receive_some(std::chrono::milliseconds timeout);

  int fd_ = -1;
  bool eof_ = false;
  std::string buffer_;
};

}  // namespace fk::test
