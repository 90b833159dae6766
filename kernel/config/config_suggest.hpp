#pragma once
// Internal to fk_config: the "did you mean" hint for an unknown key.

#include <optional>
#include <string>
#include <string_view>

namespace fk::config {

// Optimal-string-alignment distance: Levenshtein plus adjacent transposition,
// so "prot" is one edit from "port", like a typist's slip.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The known key or section the user most likely meant by `unknown_path`
// (dotted), or nothing when no candidate is close enough to be a useful hint.
std::optional<std::string> suggest_key(std::string_view unknown_path);

}  // namespace fk::config
