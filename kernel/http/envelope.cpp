#include "http/envelope.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace fk::http {

std::string utc_timestamp_now() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  const std::time_t seconds = system_clock::to_time_t(now);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char buffer[64];  // generous: the compiler cannot bound tm fields
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900,
                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                static_cast<int>(millis));
  return buffer;
}

namespace {
nlohmann::json meta(std::string_view request_id) {
  return {{"requestId", request_id}, {"timestamp", utc_timestamp_now()}};
}

Response json_response(int status, const nlohmann::json& document, std::string_view request_id) {
  Response response;
  response.status = status;
  response.set_header("Content-Type", "application/json");
  response.set_header("X-Request-Id", std::string(request_id));
  // Replace invalid UTF-8 instead of throwing: a response must always be producible.
  response.body = document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}
}  // namespace

Response success_response(int status, const nlohmann::json& data, std::string_view request_id) {
  return json_response(status, {{"data", data}, {"meta", meta(request_id)}}, request_id);
}

Response error_response(int status, std::string_view code, std::string_view message,
                        std::string_view request_id, const nlohmann::json& details) {
  nlohmann::json error = {{"code", code}, {"message", message}, {"details", details}};
  return json_response(status, {{"error", error}, {"meta", meta(request_id)}}, request_id);
}

}  // namespace fk::http
