#include "plugins/package/package_signature.hpp"

#include <nlohmann/json.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>

#include "identity/secure_random.hpp"
#include "identity/signing_key_ring.hpp"
#include "plugins/package/manifest_reader.hpp"

namespace fk::plugins {

namespace {

constexpr const char* kManifestFileName = "manifest.yaml";

struct MigrationDigest {
  std::string path;
  std::string sha256;
};

// What plugin.sig records; also what is computed from the files on disk.
struct PackageDigests {
  std::string name, version, publisher;
  std::string manifest_sha256, library, library_sha256;
  std::vector<MigrationDigest> migrations;
};

// The bytes the package consists of, each read once.
struct PackageBytes {
  PluginManifest manifest;
  std::string manifest_bytes, library_bytes;
  std::vector<PackageMigration> migrations;
};

std::string canonical_message(const PackageDigests& digests) {
  std::string message = std::string(kSignatureFormat) + "\n";
  message += "name=" + digests.name + "\n";
  message += "version=" + digests.version + "\n";
  message += "publisher=" + digests.publisher + "\n";
  message += "manifest-sha256=" + digests.manifest_sha256 + "\n";
  message += "library-sha256=" + digests.library_sha256 + "\n";
  for (const auto& migration : digests.migrations) {
    message += "migration-sha256=" + migration.sha256 + " " + migration.path + "\n";
  }
  return message;
}

PackageBytes read_package(const std::filesystem::path& dir) {
  PackageBytes package;
  const auto manifest_file = dir / kManifestFileName;
  try {
    package.manifest_bytes = detail::read_file_bytes(manifest_file);
  } catch (const std::runtime_error&) {
    throw ManifestError(manifest_file.string() + ": cannot read the plugin manifest");
  }
  package.manifest = parse_manifest(package.manifest_bytes, manifest_file.string());
  detail::check_package_files(dir, package.manifest, manifest_file.string());
  try {
    package.library_bytes = detail::read_file_bytes(dir / package.manifest.library);
    for (const auto& path : package.manifest.migrations) {
      package.migrations.push_back(PackageMigration{path, detail::read_file_bytes(dir / path)});
    }
  } catch (const std::runtime_error& e) {
    throw PackageError("plugin " + package.manifest.name + ": " + e.what());
  }
  return package;
}

PackageDigests digests_of(const PackageBytes& package, const std::string& publisher) {
  PackageDigests digests;
  digests.name = package.manifest.name;
  digests.version = package.manifest.version;
  digests.publisher = publisher;
  digests.manifest_sha256 = identity::sha256_hex(package.manifest_bytes);
  digests.library = package.manifest.library;
  digests.library_sha256 = identity::sha256_hex(package.library_bytes);
  for (const auto& migration : package.migrations) {
    digests.migrations.push_back(
        MigrationDigest{migration.path, identity::sha256_hex(migration.sql)});
  }
  return digests;
}

nlohmann::json to_json(const PackageDigests& digests, const std::string& key_id,
                       const std::string& signature) {
  auto migrations = nlohmann::json::array();
  for (const auto& migration : digests.migrations) {
    migrations.push_back({{"path", migration.path}, {"sha256", migration.sha256}});
  }
  return {{"format", kSignatureFormat}, {"plugin", digests.name},
          {"version", digests.version}, {"publisher", digests.publisher},
          {"key_id", key_id},           {"manifest_sha256", digests.manifest_sha256},
          {"library", digests.library}, {"library_sha256", digests.library_sha256},
          {"migrations", migrations},   {"signature", identity::base64url_encode(signature)}};
}

// A signature problem: thrown as PackageError, or reported in dev mode.
class SignatureProblem : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string text_field(const nlohmann::json& record, const char* field) {
  if (!record.contains(field) || !record.at(field).is_string()) {
    throw SignatureProblem(std::string(kSignatureFileName) + " is malformed: '" + field +
                           "' must be a string");
  }
  return record.at(field).get<std::string>();
}

struct SignatureRecord {
  PackageDigests digests;
  std::string key_id;
  std::string signature;  // raw 64 bytes
};

SignatureRecord parse_signature_file(const std::string& text) {
  nlohmann::json record;
  try {
    record = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    throw SignatureProblem(std::string(kSignatureFileName) + " is not valid JSON");
  }
  if (!record.is_object()) {
    throw SignatureProblem(std::string(kSignatureFileName) + " must be a JSON object");
  }
  if (const auto format = text_field(record, "format"); format != kSignatureFormat) {
    throw SignatureProblem(std::string(kSignatureFileName) + " has unknown format '" + format +
                           "' (expected " + kSignatureFormat + ")");
  }
  SignatureRecord out;
  out.digests.name = text_field(record, "plugin");
  out.digests.version = text_field(record, "version");
  out.digests.publisher = text_field(record, "publisher");
  out.key_id = text_field(record, "key_id");
  out.digests.manifest_sha256 = text_field(record, "manifest_sha256");
  out.digests.library = text_field(record, "library");
  out.digests.library_sha256 = text_field(record, "library_sha256");
  if (!record.contains("migrations") || !record.at("migrations").is_array()) {
    throw SignatureProblem(std::string(kSignatureFileName) +
                           " is malformed: 'migrations' must be a list");
  }
  const auto& migrations = record.at("migrations");
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    const auto& item = migrations.at(i);
    if (!item.is_object()) {
      throw SignatureProblem(std::string(kSignatureFileName) +
                             " is malformed: 'migrations' items must be objects");
    }
    out.digests.migrations.push_back(
        MigrationDigest{text_field(item, "path"), text_field(item, "sha256")});
  }
  try {
    out.signature = identity::base64url_decode(text_field(record, "signature"));
  } catch (const std::invalid_argument&) {
    throw SignatureProblem(std::string(kSignatureFileName) +
                           " is malformed: 'signature' must be base64url");
  }
  return out;
}

// Checks, in order: who signed (trusted publisher and key), that the record
// is authentic (signature over the recorded digests), then that the files
// are the ones recorded — so a changed file is named, not reported as a bad
// signature.
void verify_signature(const std::filesystem::path& dir, const PackageBytes& package,
                      const TrustedPublishers& trusted, VerifiedPackage& out) {
  const auto sig_file = dir / kSignatureFileName;
  std::error_code error;
  if (!std::filesystem::exists(sig_file, error)) {
    throw SignatureProblem(std::string("no ") + kSignatureFileName +
                           " (sign the package with `finkernel plugin sign`)");
  }
  std::string text;
  try {
    text = detail::read_file_bytes(sig_file);
  } catch (const std::runtime_error& e) {
    throw SignatureProblem(e.what());
  }
  const auto record = parse_signature_file(text);
  const auto& manifest = package.manifest;
  out.publisher = record.digests.publisher;
  out.key_id = record.key_id;

  if (!trusted.trusts(record.digests.publisher)) {
    throw SignatureProblem("publisher " + record.digests.publisher + " is not trusted (not in " +
                           kPublishersFileName + ")");
  }
  const auto* key = trusted.find(record.digests.publisher, record.key_id);
  if (key == nullptr) {
    throw SignatureProblem("key " + record.key_id + " is not a trusted key of publisher " +
                           record.digests.publisher);
  }
  if (!key->plugins.empty() &&
      std::find(key->plugins.begin(), key->plugins.end(), manifest.name) == key->plugins.end()) {
    throw SignatureProblem("key " + record.key_id + " of publisher " + record.digests.publisher +
                           " is not trusted to sign plugin " + manifest.name);
  }
  const auto public_key = identity::SigningKey::from_public(key->key_id, key->public_key);
  if (!identity::ed25519_verify(public_key.public_key.get(), canonical_message(record.digests),
                                record.signature)) {
    throw SignatureProblem("bad signature: " + std::string(kSignatureFileName) +
                           " does not verify with key " + record.key_id + " of publisher " +
                           record.digests.publisher);
  }

  const auto actual = digests_of(package, record.digests.publisher);
  if (actual.manifest_sha256 != record.digests.manifest_sha256) {
    throw SignatureProblem(std::string("manifest hash mismatch: ") + kManifestFileName +
                           " changed after signing");
  }
  // Equal manifest bytes imply equal name, version and library name; checked
  // anyway so a record made for another package can never pass.
  if (record.digests.name != manifest.name || record.digests.version != manifest.version ||
      record.digests.library != manifest.library) {
    throw SignatureProblem(std::string(kSignatureFileName) + " was made for plugin " +
                           record.digests.name + " " + record.digests.version);
  }
  if (!manifest.publisher.empty() && manifest.publisher != record.digests.publisher) {
    throw SignatureProblem("signed by publisher " + record.digests.publisher + " but " +
                           kManifestFileName + " names publisher " + manifest.publisher);
  }
  if (actual.library_sha256 != record.digests.library_sha256) {
    throw SignatureProblem("library hash mismatch: " + manifest.library + " changed after signing");
  }
  if (actual.migrations.size() != record.digests.migrations.size()) {
    throw SignatureProblem("migration list changed after signing");
  }
  for (std::size_t i = 0; i < actual.migrations.size(); ++i) {
    if (actual.migrations[i].path != record.digests.migrations[i].path) {
      throw SignatureProblem("migration list changed after signing");
    }
    if (actual.migrations[i].sha256 != record.digests.migrations[i].sha256) {
      throw SignatureProblem("migration hash mismatch: " + actual.migrations[i].path +
                             " changed after signing");
    }
  }
  out.signed_ok = true;
}

}  // namespace

VerifiedPackage read_verified_package(const std::filesystem::path& dir,
                                      const TrustedPublishers& trusted, bool require_signature) {
  auto package = read_package(dir);
  VerifiedPackage out;
  try {
    verify_signature(dir, package, trusted, out);
  } catch (const SignatureProblem& problem) {
    const std::string reason = "plugin " + package.manifest.name + ": " + problem.what();
    if (require_signature) throw PackageError(reason);
    out.signed_ok = false;
    out.unsigned_reason = reason;
  }
  out.manifest = std::move(package.manifest);
  out.library_bytes = std::move(package.library_bytes);
  out.migrations = std::move(package.migrations);
  return out;
}

void sign_package(const std::filesystem::path& dir, const std::filesystem::path& private_key_file,
                  const std::string& publisher, const std::string& key_id) {
  if (!is_valid_publisher(publisher)) {
    throw PackageError("publisher '" + publisher + "' must be [A-Za-z0-9][A-Za-z0-9._-]*");
  }
  const auto package = read_package(dir);
  if (!package.manifest.publisher.empty() && package.manifest.publisher != publisher) {
    throw PackageError("plugin " + package.manifest.name + ": " + kManifestFileName +
                       " names publisher " + package.manifest.publisher + ", not " + publisher);
  }
  const auto private_key = read_private_key_file(private_key_file);
  std::string effective_key_id = key_id;
  if (effective_key_id.empty()) {
    // An Ed25519 private key carries its public half.
    std::string raw_public(32, '\0');
    std::size_t length = raw_public.size();
    if (EVP_PKEY_get_raw_public_key(
            private_key.get(), reinterpret_cast<unsigned char*>(raw_public.data()), &length) != 1 ||
        length != raw_public.size()) {
      throw PackageError(private_key_file.string() + ": cannot derive the public key");
    }
    effective_key_id = default_key_id(raw_public);
  }
  if (!is_valid_key_id(effective_key_id)) {
    throw PackageError("key id '" + effective_key_id + "' must be 1 to 64 of [A-Za-z0-9._-]");
  }
  const auto digests = digests_of(package, publisher);
  const auto signature = identity::ed25519_sign(private_key.get(), canonical_message(digests));
  const auto record = to_json(digests, effective_key_id, signature);

  // Write then rename: a reader never sees half a signature file.
  const auto target = dir / kSignatureFileName;
  const auto temporary = dir / (std::string(kSignatureFileName) + ".tmp");
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << record.dump(2) << "\n";
    if (!out.flush()) throw PackageError(temporary.string() + ": cannot write");
  }
  std::filesystem::rename(temporary, target);
}

}  // namespace fk::plugins
