#include "raw_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <system_error>

namespace fk::test {

namespace {
using Clock = std::chrono::steady_clock;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}
}  // namespace

std::optional<std::string> RawResponse::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return std::nullopt;
}

RawClient::RawClient(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const int error = errno;
    ::close(fd_);
    throw std::system_error(error, std::generic_category(), "connect");
  }
}

RawClient::~RawClient() {
  if (fd_ >= 0) ::close(fd_);
}

void RawClient::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto written = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (written < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "send");
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
}

void RawClient::send_bytewise(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size(); ++i) send(bytes.substr(i, 1));
}

bool RawClient::receive_some(std::chrono::milliseconds timeout) {
  if (eof_) return false;
  pollfd descriptor{fd_, POLLIN, 0};
  const int ready = ::poll(&descriptor, 1, static_cast<int>(timeout.count()));
  if (ready <= 0) return false;
  char chunk[16 * 1024];
  const auto received = ::recv(fd_, chunk, sizeof chunk, 0);
  if (received > 0) {
    buffer_.append(chunk, static_cast<std::size_t>(received));
    return true;
  }
  if (received == 0 || errno == ECONNRESET) eof_ = true;
  return false;
}

RawResponse RawClient::read_response(bool head, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto remaining = [&] {
    return std::max(std::chrono::milliseconds(0),
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
  };

  std::size_t head_end;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (eof_ || remaining().count() == 0) {
      throw std::runtime_error("no complete response head; got: " + buffer_);
    }
    receive_some(remaining());
  }

  RawResponse response;
  const std::string head_text = buffer_.substr(0, head_end);
  std::size_t line_end = head_text.find("\r\n");
  const std::string status_line = head_text.substr(0, line_end);
  if (status_line.rfind("HTTP/1.1 ", 0) != 0 || status_line.size() < 12) {
    throw std::runtime_error("bad status line: " + status_line);
  }
  response.status = std::atoi(status_line.substr(9, 3).c_str());

  std::size_t position = line_end == std::string::npos ? head_text.size() : line_end + 2;
  while (position < head_text.size()) {
    auto next = head_text.find("\r\n", position);
    if (next == std::string::npos) next = head_text.size();
    const std::string line = head_text.substr(position, next - position);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      response.headers.emplace_back(lower(line.substr(0, colon)), value);
    }
    position = next + 2;
  }

  std::size_t body_size = 0;
  if (!head) {
    if (auto length = response.header("content-length")) body_size = std::stoul(*length);
  }
  const std::size_t body_start = head_end + 4;
  while (buffer_.size() < body_start + body_size) {
    if (eof_ || remaining().count() == 0) throw std::runtime_error("incomplete response body");
    receive_some(remaining());
  }
  response.body = buffer_.substr(body_start, body_size);
  buffer_.erase(0, body_start + body_size);
  return response;
}

bool RawClient::closed_within(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!eof_) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    receive_some(left);
  }
  return true;
}

}  // namespace fk::test
