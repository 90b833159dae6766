#pragma once
// Internal to fk_config: turning one key's text (from YAML or an environment
// variable) into a typed value. Shared by both sources so a value means the
// same thing wherever it is written and fails with the same wording.

#include "config/config_schema.hpp"
#include "config/kernel_config.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace fk::config {

// What the key accepts, e.g. "an integer between 0 and 65535".
std::string expectation(const KeySpec& key);

// "'http.port' must be an integer between 0 and 65535, got <got>".
std::string type_error(const KeySpec& key, std::string_view got);

// `text` in double quotes, escaped and shortened so a message stays one line.
std::string quote_for_message(std::string_view text);

// Parses and range-checks `text`, then stores it in `config`. Returns the
// problem (without location) if the text is not acceptable; config is then untouched.
std::optional<std::string> assign_value(const KeySpec& key, std::string_view text,
                                        KernelConfig& config);

}  // namespace fk::config
