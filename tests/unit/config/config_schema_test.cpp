// The schema table against the struct defaults, the shipped kernel.yaml, the
// environment naming rule, --help, and the did-you-mean helper.

#include "config/config_schema.hpp"
#include "config/config_suggest.hpp"
#include "config/config_value.hpp"
#include "config/kernel_config.hpp"

#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include <set>
#include <string>

using namespace fk::config;

namespace {

void collect_leaf_paths(const YAML::Node& map, const std::string& prefix,
                        std::set<std::string>& out) {
  for (const auto& entry : map) {
    const std::string path = prefix + entry.first.Scalar();
    if (entry.second.IsMap()) {
      collect_leaf_paths(entry.second, path + ".", out);
    } else {
      out.insert(path);
    }
  }
}

}  // namespace

TEST_CASE("schema defaults equal the struct initializers", "[config][schema]") {
  KernelConfig config;
  for (const auto& key : config_keys()) {
    INFO(key.path);
    CHECK(assign_value(key, key.default_value, config) == std::nullopt);
  }
  CHECK(config == KernelConfig{});
}

TEST_CASE("every key's range fits the field it lands in", "[config][schema]") {
  for (const auto& key : config_keys()) {
    if (key.type != KeyType::Integer && key.type != KeyType::DurationMs) continue;
    INFO(key.path);
    KernelConfig config;
    CHECK(key.min <= key.max);
    // A range wider than the field would throw logic_error from assign_value.
    CHECK(assign_value(key, std::to_string(key.max), config) == std::nullopt);
    CHECK(assign_value(key, std::to_string(key.min), config) == std::nullopt);
    CHECK(assign_value(key, std::to_string(key.max + 1), config).has_value());
    CHECK(assign_value(key, std::to_string(key.min - 1), config).has_value());
  }
}

TEST_CASE("key paths and environment variable names are unique", "[config][schema]") {
  std::set<std::string> paths;
  std::set<std::string> variables;
  for (const auto& key : config_keys()) {
    CHECK(paths.insert(std::string(key.path)).second);
    CHECK(variables.insert(environment_variable(key)).second);
    CHECK_FALSE(key.description.empty());
    if (key.type == KeyType::DurationMs) CHECK(key.path.ends_with("_ms"));
  }
  CHECK(paths.size() == config_keys().size());
  CHECK(environment_variable(*find_key("http.port")) == "FINKERNEL_HTTP_PORT");
  CHECK(environment_variable(*find_key("dev_mode")) == "FINKERNEL_DEV_MODE");
  CHECK(environment_variable(*find_key("database.url")) == "FINKERNEL_DATABASE_URL");
  CHECK(environment_variable(*find_key("database.pool_size")) == "FINKERNEL_DATABASE_POOL_SIZE");
}

TEST_CASE("the shipped kernel.yaml lists every key and only those", "[config][schema]") {
  std::set<std::string> in_file;
  collect_leaf_paths(YAML::LoadFile(FK_SOURCE_DIR "/kernel.yaml"), "", in_file);
  std::set<std::string> in_schema;
  for (const auto& key : config_keys()) in_schema.insert(std::string(key.path));
  CHECK(in_file == in_schema);
}

TEST_CASE("describe_config_keys lists each key with its default", "[config][schema]") {
  const std::string text = describe_config_keys();
  for (const auto& key : config_keys()) {
    INFO(key.path);
    const auto line_start = text.find("\n" + std::string(key.path) + " ");
    REQUIRE(line_start != std::string::npos);
    const auto line_end = text.find('\n', line_start + 1);
    const std::string line = text.substr(line_start + 1, line_end - line_start - 1);
    CHECK_THAT(line, Catch::Contains(std::string(key.description)));
    CHECK_THAT(line, Catch::Contains(key.default_value.empty() ? std::string("\"\"")
                                                               : std::string(key.default_value)));
  }
  CHECK_THAT(text, Catch::Contains("integer 0..65535") &&
                       Catch::Contains("(trace|debug|info|warn|error|critical|off)") &&
                       Catch::Contains("FINKERNEL_HTTP_PORT"));
}

TEST_CASE("edit distance counts a transposition as one edit", "[config][suggest]") {
  CHECK(edit_distance("prot", "port") == 1);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("abc", "") == 3);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("same", "same") == 0);
}

TEST_CASE("suggestions prefer siblings, then the same name elsewhere", "[config][suggest]") {
  CHECK(suggest_key("http.prot") == "http.port");
  CHECK(suggest_key("htp") == "http");
  CHECK(suggest_key("dev-mode") == "dev_mode");
  CHECK(suggest_key("database.pool") == std::nullopt);  // too far from pool_size
  CHECK(suggest_key("database.port") == "http.port");
  CHECK(suggest_key("http.frobnicate") == std::nullopt);
}
