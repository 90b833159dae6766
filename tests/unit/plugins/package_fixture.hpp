#pragma once
// A plugin package in a fresh temporary directory: the example plugin's
// manifest and migration from sdk/examples/hello plus a fake hello.so
// (bytes only: this layer never opens the library).

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fk::test {

inline std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void write_text(const std::filesystem::path& file, const std::string& text) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
}

inline std::string hello_manifest_text() {
  return read_text(std::filesystem::path(FK_SOURCE_DIR) / "sdk/examples/hello/manifest.yaml");
}

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "fk-plugin-test-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// <root>/hello: manifest.yaml, migrations/*.sql, hello.so.
inline std::filesystem::path make_hello_package(const std::filesystem::path& root) {
  const auto dir = root / "hello";
  const std::filesystem::path example = std::filesystem::path(FK_SOURCE_DIR) / "sdk/examples/hello";
  write_text(dir / "manifest.yaml", read_text(example / "manifest.yaml"));
  for (const auto& migration : std::filesystem::directory_iterator(example / "migrations")) {
    write_text(dir / "migrations" / migration.path().filename(), read_text(migration.path()));
  }
  // Not a real library: bytes with a NUL inside, to show nothing stops at it.
  static constexpr char kFakeLibrary[] =
      "\x7f"
      "ELF fake plugin bytes\0\1\2";
  write_text(dir / "hello.so", std::string(kFakeLibrary, sizeof kFakeLibrary - 1));
  return dir;
}

}  // namespace fk::test
