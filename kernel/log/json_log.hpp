#pragma once
// Structured logging: one JSON object per line on stderr, through spdlog.
// Every line has "time", "level" and "msg"; request-scoped lines add
// requestId, tenantId, method, route, status and durationMs.

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace fk::log {

enum class Level { trace, debug, info, warn, error, critical, off };

// Parses "trace".."off"; throws std::invalid_argument naming the value otherwise.
Level parse_level(std::string_view name);

void set_level(Level level);
[[nodiscard]] bool enabled(Level level);

// Writes {"time":..., "level":..., "msg": message, ...fields}. Never throws.
void write(Level level, std::string_view message,
           const nlohmann::json& fields = nlohmann::json::object()) noexcept;

inline void info(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) {
  write(Level::info, m, f);
}
inline void warn(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) {
  write(Level::warn, m, f);
}
inline void error(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) {
  write(Level::error, m, f);
}
inline void debug(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) {
  write(Level::debug, m, f);
}

}  // namespace fk::log
