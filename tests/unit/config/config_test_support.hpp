#pragma once
// Helpers for the config tests: a kernel.yaml in a private temp directory, and
// the message of the ConfigError a load throws.

#include "config/kernel_config.hpp"

#include <unistd.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>

namespace fk::config::test {

using Env = std::map<std::string, std::string>;

class TempYaml {
 public:
  explicit TempYaml(std::string_view content) {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("fk_config_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "kernel.yaml").string();
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempYaml() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  TempYaml(const TempYaml&) = delete;
  TempYaml& operator=(const TempYaml&) = delete;

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string dir() const { return dir_.string(); }

  // "<path>:<line>: " — the exact prefix every file error must start with.
  [[nodiscard]] std::string at(int line) const { return path_ + ":" + std::to_string(line) + ": "; }

 private:
  std::filesystem::path dir_;
  std::string path_;
};

// The message of the ConfigError that loading throws; fails the test if none is thrown.
inline std::string load_error(const std::string& path, const Env& env = {}) {
  try {
    load_config(path, env);
  } catch (const ConfigError& e) {
    return e.what();
  }
  FAIL("expected a ConfigError loading '" << path << "'");
  return {};
}

inline std::string load_error(const TempYaml& file, const Env& env = {}) {
  return load_error(file.path(), env);
}

inline KernelConfig load(const TempYaml& file, const Env& env = {}) {
  return load_config(file.path(), env);
}

}  // namespace fk::config::test
