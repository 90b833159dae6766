#include "config/config_value.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <variant>

namespace fk::config {
namespace {

using ParsedValue = std::variant<bool, std::int64_t, std::string>;

bool is_ip_literal(const std::string& text) {
  in6_addr buffer{};  // large enough for either family
  return inet_pton(AF_INET, text.c_str(), &buffer) == 1 ||
         inet_pton(AF_INET6, text.c_str(), &buffer) == 1;
}

// Strict decimal: no sign '+', no spaces, no hex or underscores, so "0x10" or
// "1_000" cannot silently mean something other than what a reader assumes.
std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

std::optional<ParsedValue> parse(const KeySpec& key, std::string_view text) {
  switch (key.type) {
    case KeyType::Bool:
      if (text == "true") return true;
      if (text == "false") return false;
      return std::nullopt;
    case KeyType::Integer:
    case KeyType::DurationMs: {
      auto value = parse_integer(text);
      if (!value || *value < key.min || *value > key.max) return std::nullopt;
      return *value;
    }
    case KeyType::String:
      return std::string(text);
    case KeyType::NonEmptyString:
      if (text.empty()) return std::nullopt;
      return std::string(text);
    case KeyType::Address:
      if (text != "localhost" && !is_ip_literal(std::string(text))) return std::nullopt;
      return std::string(text);
    case KeyType::Enum:
      if (std::find(key.choices.begin(), key.choices.end(), text) == key.choices.end()) {
        return std::nullopt;
      }
      return std::string(text);
  }
  return std::nullopt;
}

// The schema pairs each KeyType with a field type; a wrong pairing is a bug
// in config_schema.cpp, not a user error, hence logic_error.
void store(const KeySpec& key, const ParsedValue& value, KernelConfig& config) {
  std::visit(
      [&](auto* field) {
        using Field = std::remove_pointer_t<decltype(field)>;
        if constexpr (std::is_same_v<Field, bool>) {
          if (const auto* b = std::get_if<bool>(&value)) return void(*field = *b);
        } else if constexpr (std::is_same_v<Field, std::string>) {
          if (const auto* s = std::get_if<std::string>(&value)) return void(*field = *s);
        } else if constexpr (std::is_same_v<Field, std::chrono::milliseconds>) {
          if (const auto* i = std::get_if<std::int64_t>(&value);
              i && key.type == KeyType::DurationMs) {
            return void(*field = std::chrono::milliseconds(*i));
          }
        } else {
          const auto* i = std::get_if<std::int64_t>(&value);
          if (i && key.type == KeyType::Integer && *i >= 0 &&
              static_cast<std::uint64_t>(*i) <=
                  static_cast<std::uint64_t>(std::numeric_limits<Field>::max())) {
            return void(*field = static_cast<Field>(*i));
          }
        }
        throw std::logic_error("config schema: key '" + std::string(key.path) +
                               "' has a type that does not fit its field");
      },
      key.field(config));
}

}  // namespace

std::string expectation(const KeySpec& key) {
  const auto range = [&] { return std::to_string(key.min) + " and " + std::to_string(key.max); };
  switch (key.type) {
    case KeyType::Bool:
      return "true or false";
    case KeyType::Integer:
      return "an integer between " + range();
    case KeyType::DurationMs:
      return "an integer number of milliseconds between " + range();
    case KeyType::String:
      return "a string";
    case KeyType::NonEmptyString:
      return "a non-empty string";
    case KeyType::Address:
      return "an IPv4 or IPv6 address or \"localhost\"";
    case KeyType::Enum: {
      std::string list;
      for (auto choice : key.choices) list += (list.empty() ? "" : ", ") + std::string(choice);
      return "one of " + list;
    }
  }
  return "a valid value";
}

std::string type_error(const KeySpec& key, std::string_view got) {
  return "'" + std::string(key.path) + "' must be " + expectation(key) + ", got " +
         std::string(got);
}

std::string quote_for_message(std::string_view text) {
  constexpr std::size_t kMaxShown = 80;
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += text.size() > kMaxShown ? "\"..." : "\"";
  return out;
}

std::optional<std::string> assign_value(const KeySpec& key, std::string_view text,
                                        KernelConfig& config) {
  auto value = parse(key, text);
  if (!value) return type_error(key, quote_for_message(text));
  store(key, *value, config);
  return std::nullopt;
}

}  // namespace fk::config
