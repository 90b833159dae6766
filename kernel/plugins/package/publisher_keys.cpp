#include "plugins/package/publisher_keys.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

#include "identity/secure_random.hpp"
#include "plugins/package/manifest_reader.hpp"

namespace fk::plugins {

namespace {

constexpr std::size_t kRawPublicKeyBytes = 32;  // RFC 8032

struct BioDeleter {
  void operator()(BIO* bio) const noexcept { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

const std::regex kPublisherPattern("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$");
const std::regex kKeyIdPattern("^[A-Za-z0-9._-]{1,64}$");
const std::regex kPluginNamePattern("^[a-z][a-z0-9_-]{0,63}$");

TrustedKey read_key(const detail::YamlReader& reader, const YAML::Node& item,
                    const std::string& field) {
  reader.map_entries(item, field, {"key_id", "public_key", "plugins"});
  if (!item.IsMap()) reader.fail(item, field, "must be a map with key_id and public_key");
  TrustedKey key;
  key.key_id = reader.member(item, "key_id", field);
  if (!is_valid_key_id(key.key_id)) {
    reader.fail(item["key_id"], field + ".key_id", "must be 1 to 64 of [A-Za-z0-9._-]");
  }
  const auto encoded = reader.member(item, "public_key", field);
  try {
    key.public_key = identity::base64url_decode(encoded);
  } catch (const std::invalid_argument&) {
    key.public_key.clear();
  }
  if (key.public_key.size() != kRawPublicKeyBytes) {
    reader.fail(item["public_key"], field + ".public_key",
                "must be the base64url (no padding) of a raw 32-byte Ed25519 public key, "
                "as `finkernel plugin keygen` prints it");
  }
  key.plugins = reader.scalar_list(item["plugins"], field + ".plugins");
  for (const auto& plugin : key.plugins) {
    if (!std::regex_match(plugin, kPluginNamePattern)) {
      reader.fail(item["plugins"], field + ".plugins", "'" + plugin + "' is not a plugin name");
    }
  }
  return key;
}

}  // namespace

const TrustedKey* TrustedPublishers::find(const std::string& publisher,
                                          const std::string& key_id) const {
  const auto found = publishers.find(publisher);
  if (found == publishers.end()) return nullptr;
  for (const auto& key : found->second) {
    if (key.key_id == key_id) return &key;
  }
  return nullptr;
}

bool is_valid_publisher(std::string_view publisher) {
  return std::regex_match(publisher.begin(), publisher.end(), kPublisherPattern);
}

bool is_valid_key_id(std::string_view key_id) {
  return std::regex_match(key_id.begin(), key_id.end(), kKeyIdPattern);
}

std::string default_key_id(std::string_view raw_public_key) {
  return "ed25519-" + identity::sha256_hex(raw_public_key).substr(0, 16);
}

TrustedPublishers parse_trusted_publishers(const std::string& yaml_text,
                                           const std::string& source) {
  try {
    const detail::YamlReader reader(source);
    YAML::Node root;
    try {
      root = YAML::Load(yaml_text);
    } catch (const YAML::Exception& e) {
      const std::string at =
          e.mark.is_null() ? source : source + ":" + std::to_string(e.mark.line + 1);
      throw PackageError(at + ": invalid YAML: " + e.msg);
    }
    TrustedPublishers trusted;
    if (root.IsNull()) return trusted;  // all comments: nobody trusted
    reader.map_entries(root, "", {"publishers"});
    for (const auto& [name, keys] : reader.map_entries(root["publishers"], "publishers", {})) {
      const std::string field = "publishers." + name.Scalar();
      if (!is_valid_publisher(name.Scalar())) {
        reader.fail(name, field, "publisher names are [A-Za-z0-9][A-Za-z0-9._-]*");
      }
      auto& list = trusted.publishers[name.Scalar()];
      const auto items = reader.sequence(keys, field);
      for (std::size_t i = 0; i < items.size(); ++i) {
        auto key = read_key(reader, items[i], field + "[" + std::to_string(i) + "]");
        if (std::any_of(list.begin(), list.end(),
                        [&](const TrustedKey& other) { return other.key_id == key.key_id; })) {
          reader.fail(items[i], field, "key_id '" + key.key_id + "' is listed twice");
        }
        list.push_back(std::move(key));
      }
    }
    return trusted;
  } catch (const ManifestError& e) {
    throw PackageError(e.what());
  }
}

TrustedPublishers load_trusted_publishers(const std::filesystem::path& yaml_file) {
  std::error_code error;
  if (!std::filesystem::exists(yaml_file, error)) return {};
  std::ifstream in(yaml_file, std::ios::binary);
  if (!in) throw PackageError(yaml_file.string() + ": cannot read the plugin publishers policy");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_trusted_publishers(text.str(), yaml_file.string());
}

GeneratedKey generate_signing_key_file(const std::filesystem::path& private_key_file) {
  const auto key = identity::SigningKeyRing::generate();
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key.private_key.get(), nullptr, nullptr, 0,
                                       nullptr, nullptr) != 1) {
    throw PackageError("cannot encode the Ed25519 private key as PEM");
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);

  // O_EXCL: never replace an existing key (that would orphan signed packages).
  const int fd = open(private_key_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw PackageError(private_key_file.string() + ": cannot create the key file (" +
                       std::string(std::strerror(errno)) + "); it must not exist yet");
  }
  // The umask could only remove bits; fchmod makes the mode exact either way.
  const bool ok = fchmod(fd, 0600) == 0 &&
                  write(fd, data, static_cast<std::size_t>(length)) == static_cast<ssize_t>(length);
  const bool closed = close(fd) == 0;
  if (!ok || !closed) {
    std::filesystem::remove(private_key_file);
    throw PackageError(private_key_file.string() + ": cannot write the key file");
  }
  const auto raw_public = key.raw_public_key();
  return GeneratedKey{default_key_id(raw_public), identity::base64url_encode(raw_public)};
}

std::string publishers_policy_entry(const std::string& publisher, const GeneratedKey& key) {
  return "  " + publisher + ":\n" + "    - key_id: " + key.key_id + "\n" +
         "      public_key: " + key.public_key_base64url + "\n";
}

identity::EvpPkeyPtr read_private_key_file(const std::filesystem::path& private_key_file) {
  const std::string path = private_key_file.string();
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) throw PackageError(path + ": cannot read the private key");
  if ((info.st_mode & 077) != 0) {
    throw PackageError(path + ": private key is accessible by group or others; chmod 600 it");
  }
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) throw PackageError(path + ": cannot read the private key");
  // No passphrase prompt: an encrypted key fails here instead of blocking on a terminal.
  pem_password_cb* no_passphrase = [](char*, int, int, void*) { return 0; };
  identity::EvpPkeyPtr key(PEM_read_PrivateKey(file, nullptr, no_passphrase, nullptr));
  std::fclose(file);
  ERR_clear_error();
  if (!key || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    throw PackageError(path + ": not a PEM Ed25519 private key (BEGIN PRIVATE KEY)");
  }
  return key;
}

}  // namespace fk::plugins
