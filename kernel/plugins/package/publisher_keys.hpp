#pragma once
// Who may sign plugins: the publishers and Ed25519 public keys a platform
// admin trusts (policies/plugin-publishers.yaml), and the publisher's side:
// generating and reading the private signing key.
//
// policies/plugin-publishers.yaml:
//   publishers:
//     example.com:                          # = `publisher:` in the manifest
//       - key_id: ed25519-1f2e3d4c5b6a7980  # = key_id in plugin.sig
//         public_key: <base64url, no padding, of the raw 32-byte key (RFC 8032)>
//         plugins: [hello]                  # optional: names this key may sign
//
// Private keys are PKCS#8 PEM files ("BEGIN PRIVATE KEY"), the format of
// `openssl genpkey -algorithm ed25519`, so partners may use either tool.

#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "identity/signing_key_ring.hpp"

namespace fk::plugins {

// A refused package: bad or missing signature, untrusted publisher, changed
// bytes, unreadable files, bad publisher policy. The message says which.
class PackageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr const char* kPublishersFileName = "plugin-publishers.yaml";

struct TrustedKey {
  std::string key_id;
  std::string public_key;            // raw 32 bytes
  std::vector<std::string> plugins;  // plugin names this key may sign; empty = any
};

struct TrustedPublishers {
  std::map<std::string, std::vector<TrustedKey>> publishers;  // publisher -> keys

  [[nodiscard]] bool trusts(const std::string& publisher) const {
    return publishers.count(publisher) > 0;
  }
  // The key, or nullptr when the publisher has no key with that id.
  [[nodiscard]] const TrustedKey* find(const std::string& publisher,
                                       const std::string& key_id) const;
};

// A missing file trusts nobody (so every plugin is refused unless dev_mode);
// a malformed one throws PackageError with file and line.
TrustedPublishers load_trusted_publishers(const std::filesystem::path& yaml_file);
TrustedPublishers parse_trusted_publishers(const std::string& yaml_text, const std::string& source);

// Publisher names: [A-Za-z0-9][A-Za-z0-9._-]* up to 128 bytes (a domain fits);
// key ids: [A-Za-z0-9._-], 1 to 64 bytes.
bool is_valid_publisher(std::string_view publisher);
bool is_valid_key_id(std::string_view key_id);

// The default key id of a public key: "ed25519-" + 16 hex of its SHA-256.
std::string default_key_id(std::string_view raw_public_key);

struct GeneratedKey {
  std::string key_id;
  std::string public_key_base64url;
};
// Writes a fresh private key to `private_key_file` (created, never
// overwritten, mode 0600) and returns what goes into the publishers policy.
GeneratedKey generate_signing_key_file(const std::filesystem::path& private_key_file);

// The publishers-policy lines for `key` (indented to paste under `publishers:`).
std::string publishers_policy_entry(const std::string& publisher, const GeneratedKey& key);

// Reads a PEM Ed25519 private key; refuses files others can read.
identity::EvpPkeyPtr read_private_key_file(const std::filesystem::path& private_key_file);

}  // namespace fk::plugins
