#include "http/transport/response_writer.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>

namespace fk::http::transport {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool is_framing_header(std::string_view name) {
  return iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
         iequals(name, "connection") || iequals(name, "date");
}

// A CR or LF in a handler-supplied header would let it inject headers or a
// second response (response splitting); such a header is dropped.
bool is_safe_field(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

void append_number(std::string& out, std::size_t value) {
  std::array<char, 24> digits{};
  const auto result = std::to_chars(digits.data(), digits.data() + digits.size(), value);
  out.append(digits.data(), result.ptr);
}

// RFC 9110 §6.4.1/§8.6: 1xx, 204 and 304 never carry content, and 1xx/204
// must not carry Content-Length.
bool status_has_body(int status) {
  return status >= 200 && status != 204 && status != 304;
}
bool status_has_length(int status) {
  return status >= 200 && status != 204;
}

}  // namespace

void append_response(std::string& out, const Response& response, Framing framing) {
  out.append("HTTP/1.1 ");
  append_number(out, static_cast<std::size_t>(std::clamp(response.status, 100, 999)));
  out.push_back(' ');
  out.append(reason_phrase(response.status));
  out.append("\r\n");

  for (const auto& [name, value] : response.headers) {
    if (name.empty() || is_framing_header(name) || !is_safe_field(name) || !is_safe_field(value)) {
      continue;
    }
    out.append(name).append(": ").append(value).append("\r\n");
  }

  const bool has_body = status_has_body(response.status);
  if (status_has_length(response.status)) {
    out.append("Content-Length: ");
    append_number(out, has_body ? response.body.size() : 0);
    out.append("\r\n");
  }
  out.append(framing.keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
  out.append("Date: ").append(http_date_now()).append("\r\n\r\n");

  if (has_body && !framing.head_request) out.append(response.body);
}

void append_continue(std::string& out) {
  out.append("HTTP/1.1 100 Continue\r\n\r\n");
}

std::string_view http_date_now() {
  struct Cache {
    std::time_t second = -1;
    std::array<char, 32> text{};
    std::size_t size = 0;
  };
  thread_local Cache cache;

  const std::time_t now = std::time(nullptr);
  if (now != cache.second) {
    // Fixed English names: strftime's %a/%b would follow the process locale.
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm parts{};
    gmtime_r(&now, &parts);
    const int written =
        std::snprintf(cache.text.data(), cache.text.size(), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                      kDays[parts.tm_wday % 7], parts.tm_mday, kMonths[parts.tm_mon % 12],
                      parts.tm_year + 1900, parts.tm_hour, parts.tm_min, parts.tm_sec);
    cache.size = written > 0 ? static_cast<std::size_t>(written) : 0;
    cache.second = now;
  }
  return {cache.text.data(), cache.size};
}

}  // namespace fk::http::transport
