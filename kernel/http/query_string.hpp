#pragma once
// Query strings (application/x-www-form-urlencoded): split on '&' and '=',
// '+' is a space, %XX is a byte. Malformed escapes are kept literally
// rather than refused: a query is input to validate, not to trust.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fk::http {

std::string percent_decode(std::string_view text, bool plus_is_space);

// Name/value pairs in order, decoded; a name without '=' has an empty value.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);

// The first value of `name`, decoded; nullopt when absent.
std::optional<std::string> query_value(std::string_view query, std::string_view name);

}  // namespace fk::http
