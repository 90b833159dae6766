#include "keys/master_key.hpp"

#include "identity/secure_random.hpp"
#include "keys/aead.hpp"
#include "keys/errors.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace fk::keys {

namespace fs = std::filesystem;

namespace {

std::string decode_key(std::string_view text, const std::string& source) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  std::string key;
  try {
    key = identity::base64url_decode(text);
  } catch (const std::exception&) {
    throw KeyError("master key in " + source + " is not base64url");
  }
  if (key.size() != kKeyBytes) {
    wipe(key);
    throw KeyError("master key in " + source + " must be 32 bytes (base64url, 43 characters)");
  }
  return key;
}

}  // namespace

LocalMasterKeyProvider::LocalMasterKeyProvider(std::string key) : key_(std::move(key)) {
  if (key_.size() != kKeyBytes) throw KeyError("master key must be 32 bytes");
  // A one-way, domain-separated digest: identifies the key without revealing it.
  key_id_ = "local:" + identity::sha256_hex("fk.master-key-id|" + key_).substr(0, 16);
}

LocalMasterKeyProvider::~LocalMasterKeyProvider() {
  wipe(key_);
}

// Layout: "fkw1." base64url(nonce || ciphertext || tag).
std::string LocalMasterKeyProvider::wrap(std::string_view plaintext_key,
                                         std::string_view aad) const {
  const auto nonce = identity::random_bytes(kNonceBytes);
  return "fkw1." + identity::base64url_encode(nonce + gcm_seal(key_, nonce, aad, plaintext_key));
}

std::string LocalMasterKeyProvider::unwrap(std::string_view wrapped, std::string_view aad) const {
  constexpr std::string_view prefix = "fkw1.";
  if (wrapped.substr(0, prefix.size()) != prefix) throw KeyError("unknown wrapped key format");
  std::string raw;
  try {
    raw = identity::base64url_decode(wrapped.substr(prefix.size()));
  } catch (const std::exception&) {
    throw KeyError("wrapped key is not base64url");
  }
  if (raw.size() < kNonceBytes + kTagBytes) throw KeyError("wrapped key too short");
  auto opened = gcm_open(key_, std::string_view(raw).substr(0, kNonceBytes), aad,
                         std::string_view(raw).substr(kNonceBytes));
  if (!opened) throw TamperedCiphertext("wrapped key does not authenticate under " + key_id_);
  return std::move(*opened);
}

void init_master_key_file(const fs::path& path) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  // O_EXCL: never clobber an existing master key (that would destroy every
  // tenant's data). Mode 0600 from creation, not chmod afterwards.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw KeyError("cannot create master key file " + path.string() + ": " + std::strerror(errno));
  }
  // The umask can only remove bits, but set the mode explicitly anyway.
  ::fchmod(fd, S_IRUSR | S_IWUSR);
  auto key = identity::random_bytes(kKeyBytes);
  const std::string text = identity::base64url_encode(key) + "\n";
  wipe(key);
  const auto written = ::write(fd, text.data(), text.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (written != static_cast<ssize_t>(text.size()) || !synced) {
    ::unlink(path.c_str());
    throw KeyError("cannot write master key file " + path.string());
  }
}

std::shared_ptr<MasterKeyProvider> load_master_key_file(const fs::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    throw KeyError("cannot read master key file " + path.string() + ": " + std::strerror(errno) +
                   " (create one with: finkernel keys init)");
  }
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    throw KeyError("master key file " + path.string() +
                   " is accessible by group or others; run: chmod 600 " + path.string());
  }
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  auto text = content.str();
  auto key = decode_key(text, path.string());
  wipe(text);
  return std::make_shared<LocalMasterKeyProvider>(std::move(key));
}

std::shared_ptr<MasterKeyProvider> master_key_from_env() {
  const char* value = std::getenv(kMasterKeyEnv);
  if (value == nullptr || *value == '\0') return nullptr;
  return std::make_shared<LocalMasterKeyProvider>(decode_key(value, kMasterKeyEnv));
}

std::shared_ptr<MasterKeyProvider> load_master_key(const fs::path& path) {
  if (auto provider = master_key_from_env()) return provider;
  return load_master_key_file(path);
}

}  // namespace fk::keys
