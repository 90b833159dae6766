#pragma once
// Signed plugin packages. A package is a directory: manifest.yaml, the
// library it names, its migrations, and plugin.sig — a JSON record of their
// SHA-256 digests and an Ed25519 signature (by a publisher key trusted in
// policies/plugin-publishers.yaml) over this canonical message:
//
//   finkernel-plugin-signature-v1\n
//   name=<name>\n
//   version=<version>\n
//   publisher=<publisher>\n
//   manifest-sha256=<hex>\n
//   library-sha256=<hex>\n
//   migration-sha256=<hex> <relative path>\n     (one line per migration, in order)
//
// Verification reads every file ONCE into memory and checks those bytes; the
// loader then loads exactly these bytes (sealed_library.hpp), so nothing can
// be swapped between the check and the dlopen.

#include <filesystem>
#include <string>
#include <vector>

#include "plugins/package/manifest.hpp"
#include "plugins/package/publisher_keys.hpp"

namespace fk::plugins {

inline constexpr const char* kSignatureFileName = "plugin.sig";
inline constexpr const char* kSignatureFormat = "finkernel-plugin-signature-v1";

struct PackageMigration {
  std::string path;  // as listed in the manifest
  std::string sql;   // the exact bytes hashed (run these, do not re-read the file)
};

struct VerifiedPackage {
  PluginManifest manifest;
  std::string library_bytes;  // the exact bytes hashed
  std::string publisher, key_id;
  bool signed_ok = false;
  std::string unsigned_reason;  // why signed_ok is false (only without require_signature)
  std::vector<PackageMigration> migrations;  // manifest order, exact bytes hashed
};

// require_signature=true: any signature problem throws PackageError
// ("plugin hello: no plugin.sig", "plugin hello: library hash mismatch:
// hello.so changed after signing", "plugin hello: publisher example.com is
// not trusted", "plugin hello: bad signature ..."); false (dev_mode): returns
// signed_ok=false and the same text in unsigned_reason instead. Manifest
// problems always throw ManifestError; unreadable files PackageError.
VerifiedPackage read_verified_package(const std::filesystem::path& dir,
                                      const TrustedPublishers& trusted, bool require_signature);

// Writes <dir>/plugin.sig (replacing any previous one). `key_id` empty =
// default_key_id of the key. Refuses a publisher other than the manifest's.
void sign_package(const std::filesystem::path& dir, const std::filesystem::path& private_key_file,
                  const std::string& publisher, const std::string& key_id);

}  // namespace fk::plugins
