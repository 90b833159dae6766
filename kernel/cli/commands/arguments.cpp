#include "cli/commands/arguments.hpp"

namespace fk::cli {

std::optional<std::string> Arguments::get(const std::string& name) const {
  if (auto found = options.find(name); found != options.end()) return found->second;
  return std::nullopt;
}

Arguments parse_arguments(const std::vector<std::string>& words,
                          const std::set<std::string>& valued, const std::set<std::string>& flags) {
  Arguments arguments;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word.rfind("--", 0) != 0 || word == "--") {
      arguments.positional.push_back(word);
      continue;
    }
    std::string name = word.substr(2);
    std::optional<std::string> inline_value;
    if (auto equals = name.find('='); equals != std::string::npos) {
      inline_value = name.substr(equals + 1);
      name = name.substr(0, equals);
    }
    if (flags.count(name)) {
      if (inline_value) throw UsageError("option --" + name + " takes no value");
      arguments.options[name] = "true";
    } else if (valued.count(name)) {
      if (inline_value) {
        arguments.options[name] = *inline_value;
      } else if (i + 1 < words.size()) {
        arguments.options[name] = words[++i];
      } else {
        throw UsageError("option --" + name + " needs a value");
      }
    } else {
      throw UsageError("unknown option --" + name);
    }
  }
  return arguments;
}

}  // namespace fk::cli
