#include "auth/signing_key_file.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fk::auth {

namespace fs = std::filesystem;

namespace {

void save(const fs::path& file, const identity::SigningKeyRing& ring) {
  if (file.has_parent_path()) fs::create_directories(file.parent_path());
  const fs::path temporary = file.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + temporary.string());
    fs::permissions(temporary, fs::perms::owner_read | fs::perms::owner_write);
    out << ring.to_json();
  }
  fs::rename(temporary, file);
}

identity::SigningKeyRing load(const fs::path& file) {
  struct stat info {};
  if (stat(file.c_str(), &info) != 0) throw std::runtime_error("cannot stat " + file.string());
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    throw std::runtime_error("signing key file " + file.string() +
                             " is accessible by group or others; run: chmod 600 " + file.string());
  }
  std::ifstream in(file);
  std::stringstream content;
  content << in.rdbuf();
  try {
    return identity::SigningKeyRing::from_json(content.str());
  } catch (const std::exception& e) {
    throw std::runtime_error("signing key file " + file.string() + " is invalid: " + e.what());
  }
}

}  // namespace

identity::SigningKeyRing load_or_create_signing_keys(const fs::path& file) {
  if (!fs::exists(file)) {
    identity::SigningKeyRing ring;
    ring.add(identity::SigningKeyRing::generate(), true);
    save(file, ring);
  }
  auto ring = load(file);
  ring.prune_retired(std::chrono::system_clock::now());
  return ring;
}

std::string rotate_signing_key(const fs::path& file, std::chrono::seconds overlap) {
  auto ring = load_or_create_signing_keys(file);
  const auto kid = ring.rotate(std::chrono::system_clock::now() + overlap);
  save(file, ring);
  return kid;
}

}  // namespace fk::auth
