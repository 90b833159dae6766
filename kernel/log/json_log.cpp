#include "log/json_log.hpp"

#include "http/envelope.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

namespace fk::log {

namespace {

spdlog::logger& logger() {
  // The message is already a complete JSON object; spdlog only adds the newline.
  static const auto instance = [] {
    auto created = spdlog::stderr_logger_mt("finkernel");
    created->set_pattern("%v");
    created->set_level(spdlog::level::info);
    created->flush_on(spdlog::level::info);
    return created;
  }();
  return *instance;
}

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::trace:
      return spdlog::level::trace;
    case Level::debug:
      return spdlog::level::debug;
    case Level::info:
      return spdlog::level::info;
    case Level::warn:
      return spdlog::level::warn;
    case Level::error:
      return spdlog::level::err;
    case Level::critical:
      return spdlog::level::critical;
    case Level::off:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

const char* level_name(Level level) {
  switch (level) {
    case Level::trace:
      return "trace";
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
    case Level::critical:
      return "critical";
    case Level::off:
      return "off";
  }
  return "info";
}

}  // namespace

Level parse_level(std::string_view name) {
  for (Level level : {Level::trace, Level::debug, Level::info, Level::warn, Level::error,
                      Level::critical, Level::off}) {
    if (name == level_name(level)) return level;
  }
  throw std::invalid_argument("unknown log level \"" + std::string(name) + "\"");
}

void set_level(Level level) {
  logger().set_level(to_spdlog(level));
}

bool enabled(Level level) {
  return logger().should_log(to_spdlog(level));
}

void write(Level level, std::string_view message, const nlohmann::json& fields) noexcept {
  if (!enabled(level)) return;
  try {
    nlohmann::json line = {
        {"time", http::utc_timestamp_now()}, {"level", level_name(level)}, {"msg", message}};
    if (fields.is_object()) {
      for (const auto& [key, value] : fields.items()) line[key] = value;
    }
    logger().log(to_spdlog(level), "{}",
                 line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  } catch (...) {
    // Logging must never take a request down with it.
  }
}

}  // namespace fk::log
