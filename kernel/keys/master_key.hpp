#pragma once
// The top of the key hierarchy: the master key (KEK) wraps every tenant's
// data keys and is never stored in the database. MasterKeyProvider is the
// seam an external KMS plugs into later; docs/keys.md states its contract.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace fk::keys {

class MasterKeyProvider {
 public:
  virtual ~MasterKeyProvider() = default;
  // Encrypts a data key; `aad` (tenant id, key version, key kind) is bound to
  // the result so a wrapped key copied to another tenant or version fails to
  // unwrap. The result is opaque text, safe to store in the database.
  [[nodiscard]] virtual std::string wrap(std::string_view plaintext_key,
                                         std::string_view aad) const = 0;
  // Inverse of wrap with the same aad; throws TamperedCiphertext if the
  // wrapped key does not authenticate (altered, other aad, other master key).
  [[nodiscard]] virtual std::string unwrap(std::string_view wrapped,
                                           std::string_view aad) const = 0;
  // Stable, non-secret identifier of the master key, recorded beside every
  // wrapped key so rotation can tell which rows still need rewrapping.
  [[nodiscard]] virtual std::string key_id() const = 0;
};

// Wraps with AES-256-GCM under a 32-byte key held in process memory.
class LocalMasterKeyProvider final : public MasterKeyProvider {
 public:
  explicit LocalMasterKeyProvider(std::string key);
  ~LocalMasterKeyProvider() override;
  LocalMasterKeyProvider(const LocalMasterKeyProvider&) = delete;
  LocalMasterKeyProvider& operator=(const LocalMasterKeyProvider&) = delete;

  [[nodiscard]] std::string wrap(std::string_view plaintext_key,
                                 std::string_view aad) const override;
  [[nodiscard]] std::string unwrap(std::string_view wrapped, std::string_view aad) const override;
  [[nodiscard]] std::string key_id() const override { return key_id_; }

 private:
  std::string key_;
  std::string key_id_;
};

// Name of the environment variable holding the master key (base64url, 32 bytes).
inline constexpr const char* kMasterKeyEnv = "FINKERNEL_MASTER_KEY";

// Creates `path` with a fresh random master key. The file is created with
// open(O_CREAT | O_EXCL, 0600), so it is never readable by others, not even
// briefly, and an existing key is never overwritten (throws KeyError).
void init_master_key_file(const std::filesystem::path& path);

// Loads a key file; refuses one accessible by group or others, naming the
// file and the fix (chmod 600), and one that does not hold 32 bytes.
std::shared_ptr<MasterKeyProvider> load_master_key_file(const std::filesystem::path& path);

// Reads FINKERNEL_MASTER_KEY; nullptr when unset.
std::shared_ptr<MasterKeyProvider> master_key_from_env();

// The kernel's choice: the environment variable if set, else the key file.
std::shared_ptr<MasterKeyProvider> load_master_key(const std::filesystem::path& path);

}  // namespace fk::keys
