#include "audit/audit_key_file.hpp"

#include "identity/secure_random.hpp"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace fk::audit {

namespace fs = std::filesystem;

namespace {

void create(const fs::path& file) {
  if (file.has_parent_path()) fs::create_directories(file.parent_path());
  const nlohmann::json content = {
      {"kid", "k-" + identity::base64url_encode(identity::random_bytes(9))},
      {"seed", identity::base64url_encode(identity::random_bytes(32))}};
  const fs::path temporary = file.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + temporary.string());
    // Restrict before the secret is written, not after.
    fs::permissions(temporary, fs::perms::owner_read | fs::perms::owner_write);
    out << content.dump(2) << "\n";
  }
  fs::rename(temporary, file);
}

}  // namespace

identity::SigningKey load_or_create_audit_key(const fs::path& file) {
  if (!fs::exists(file)) create(file);
  struct stat info {};
  if (stat(file.c_str(), &info) != 0) throw std::runtime_error("cannot stat " + file.string());
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    throw std::runtime_error("audit key file " + file.string() +
                             " is accessible by group or others; run: chmod 600 " + file.string());
  }
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  try {
    const auto content = nlohmann::json::parse(text.str());
    return identity::SigningKey::from_private(
        content.at("kid").get<std::string>(),
        identity::base64url_decode(content.at("seed").get<std::string>()));
  } catch (const std::exception& e) {
    throw std::runtime_error("audit key file " + file.string() + " is invalid: " + e.what());
  }
}

std::string public_key_pem(const identity::SigningKey& key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key.public_key.get()) != 1) {
    throw std::runtime_error("cannot encode the audit public key");
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace fk::audit
