#include "auth/auth_policy.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>

namespace fk::auth {

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

long long positive(const YAML::Node& section, const char* key, const std::string& where,
                   long long fallback) {
  const auto node = section[key];
  if (!node) return fallback;
  long long value = 0;
  if (!YAML::convert<long long>::decode(node, value) || value <= 0) {
    throw std::runtime_error(where + ":" + std::to_string(node.Mark().line + 1) + ": '" + key +
                             "' must be a positive integer");
  }
  return value;
}

void refuse_unknown(const YAML::Node& section, const std::set<std::string>& known,
                    const std::string& where, const std::string& prefix) {
  for (const auto& item : section) {
    const auto key = item.first.as<std::string>();
    if (!known.count(key)) {
      throw std::runtime_error(where + ":" + std::to_string(item.first.Mark().line + 1) +
                               ": unknown key '" + prefix + key + "'");
    }
  }
}

}  // namespace

AuthPolicy AuthPolicy::load(const std::string& path) {
  YAML::Node document;
  try {
    document = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw std::runtime_error(path + ": cannot read file");
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  refuse_unknown(document, {"tokens", "lockout", "password"}, path, "");
  AuthPolicy policy;
  if (const auto tokens = document["tokens"]) {
    refuse_unknown(tokens,
                   {"issuer", "audience", "access_ttl_seconds", "refresh_ttl_seconds",
                    "signing_key_overlap_seconds"},
                   path, "tokens.");
    if (tokens["issuer"]) policy.issuer = tokens["issuer"].as<std::string>();
    if (tokens["audience"]) policy.audience = tokens["audience"].as<std::string>();
    policy.access_ttl = std::chrono::seconds(positive(tokens, "access_ttl_seconds", path, 900));
    policy.refresh_ttl =
        std::chrono::seconds(positive(tokens, "refresh_ttl_seconds", path, 604800));
    policy.signing_key_overlap =
        std::chrono::seconds(positive(tokens, "signing_key_overlap_seconds", path, 1800));
  }
  if (const auto lockout = document["lockout"]) {
    refuse_unknown(lockout, {"max_failures", "window_seconds", "lock_seconds"}, path, "lockout.");
    policy.max_failures = static_cast<int>(positive(lockout, "max_failures", path, 5));
    policy.failure_window = std::chrono::seconds(positive(lockout, "window_seconds", path, 900));
    policy.lock_duration = std::chrono::seconds(positive(lockout, "lock_seconds", path, 1800));
  }
  if (const auto password = document["password"]) {
    refuse_unknown(password, {"min_length", "max_length", "common_list"}, path, "password.");
    policy.password_min_length =
        static_cast<std::size_t>(positive(password, "min_length", path, 12));
    policy.password_max_length =
        static_cast<std::size_t>(positive(password, "max_length", path, 128));
    if (password["common_list"]) {
      const auto list =
          std::filesystem::path(path).parent_path() / password["common_list"].as<std::string>();
      std::ifstream in(list);
      if (!in)
        throw std::runtime_error(path + ": cannot read common password list " + list.string());
      for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line[0] != '#') policy.common_passwords.insert(lower(line));
      }
    }
  }
  if (policy.password_min_length > policy.password_max_length) {
    throw std::runtime_error(path + ": password.min_length exceeds password.max_length");
  }
  return policy;
}

std::string AuthPolicy::password_problem(const std::string& password,
                                         const std::string& email) const {
  if (password.size() < password_min_length) {
    return "password must be at least " + std::to_string(password_min_length) + " characters";
  }
  if (password.size() > password_max_length) {
    return "password must be at most " + std::to_string(password_max_length) + " characters";
  }
  const std::string folded = lower(password);
  if (common_passwords.count(folded)) return "password is too common";
  const std::string local_part = lower(email.substr(0, email.find('@')));
  // Short local parts ("x@…") would match random passwords by chance.
  if (local_part.size() >= 4 && folded.find(local_part) != std::string::npos) {
    return "password must not contain the email address";
  }
  return {};
}

}  // namespace fk::auth
