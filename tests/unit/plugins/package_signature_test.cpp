#include "plugins/package/package_signature.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "identity/secure_random.hpp"
#include "unit/plugins/package_fixture.hpp"

using namespace fk::plugins;
using Catch::Matchers::Contains;
using fk::test::read_text;
using fk::test::write_text;

namespace {

struct SignedHello {
  fk::test::TempDir temp;
  std::filesystem::path dir = fk::test::make_hello_package(temp.path());
  std::filesystem::path key_file = temp.path() / "example.pem";
  GeneratedKey key = generate_signing_key_file(key_file);
  TrustedPublishers trusted;

  SignedHello() {
    trusted.publishers["example.com"] = {
        TrustedKey{key.key_id, fk::identity::base64url_decode(key.public_key_base64url), {}}};
    sign_package(dir, key_file, "example.com", "");
  }
};

std::string refusal(const std::filesystem::path& dir, const TrustedPublishers& trusted) {
  try {
    read_verified_package(dir, trusted, true);
  } catch (const PackageError& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("a signed package verifies and carries the exact bytes", "[plugins][signature]") {
  const SignedHello hello;
  const auto package = read_verified_package(hello.dir, hello.trusted, true);
  CHECK(package.signed_ok);
  CHECK(package.unsigned_reason.empty());
  CHECK(package.publisher == "example.com");
  CHECK(package.key_id == hello.key.key_id);
  CHECK(package.key_id.rfind("ed25519-", 0) == 0);
  CHECK(package.manifest.name == "hello");
  CHECK(package.library_bytes == read_text(hello.dir / "hello.so"));
  REQUIRE(package.migrations.size() == package.manifest.migrations.size());
  CHECK(package.migrations[0].path == "migrations/0001_greetings.sql");
  CHECK(package.migrations[0].sql == read_text(hello.dir / "migrations/0001_greetings.sql"));

  const auto record = nlohmann::json::parse(read_text(hello.dir / "plugin.sig"));
  CHECK(record["format"] == "finkernel-plugin-signature-v1");
  CHECK(record["publisher"] == "example.com");
  CHECK(record["key_id"] == hello.key.key_id);
  CHECK(record["library_sha256"] == fk::identity::sha256_hex(package.library_bytes));
  CHECK(record["manifest_sha256"] ==
        fk::identity::sha256_hex(read_text(hello.dir / "manifest.yaml")));
  CHECK(record["migrations"][0]["sha256"] == fk::identity::sha256_hex(package.migrations[0].sql));
}

TEST_CASE("a file changed after signing is refused, naming it", "[plugins][signature]") {
  const SignedHello hello;
  SECTION("the library") {
    write_text(hello.dir / "hello.so",
               "\x7f"
               "ELF evil");
    CHECK(refusal(hello.dir, hello.trusted) ==
          "plugin hello: library hash mismatch: hello.so changed after signing");
  }
  SECTION("the manifest") {
    write_text(hello.dir / "manifest.yaml", read_text(hello.dir / "manifest.yaml") + "# edit\n");
    CHECK(refusal(hello.dir, hello.trusted) ==
          "plugin hello: manifest hash mismatch: manifest.yaml changed after signing");
  }
  SECTION("a migration") {
    write_text(hello.dir / "migrations/0001_greetings.sql", "DROP TABLE fk_tenants;");
    CHECK(refusal(hello.dir, hello.trusted) ==
          "plugin hello: migration hash mismatch: migrations/0001_greetings.sql changed after "
          "signing");
  }
  SECTION("the recorded hash, to match a changed library") {
    write_text(hello.dir / "hello.so", "evil");
    auto record = nlohmann::json::parse(read_text(hello.dir / "plugin.sig"));
    record["library_sha256"] = fk::identity::sha256_hex("evil");
    write_text(hello.dir / "plugin.sig", record.dump());
    CHECK_THAT(refusal(hello.dir, hello.trusted),
               Contains("plugin hello: bad signature: plugin.sig does not verify with key " +
                        hello.key.key_id + " of publisher example.com"));
  }
}

TEST_CASE("who signed must be trusted", "[plugins][signature]") {
  const SignedHello hello;
  SECTION("unknown publisher") {
    CHECK(refusal(hello.dir, TrustedPublishers{}) ==
          "plugin hello: publisher example.com is not trusted (not in plugin-publishers.yaml)");
  }
  SECTION("publisher trusted, but not this key") {
    TrustedPublishers other;
    other.publishers["example.com"] = {TrustedKey{"ed25519-other", std::string(32, '\x01'), {}}};
    CHECK(refusal(hello.dir, other) == "plugin hello: key " + hello.key.key_id +
                                           " is not a trusted key of publisher example.com");
  }
  SECTION("the key id of a trusted key, signed with another key") {
    const auto impostor_file = hello.temp.path() / "impostor.pem";
    generate_signing_key_file(impostor_file);
    sign_package(hello.dir, impostor_file, "example.com", hello.key.key_id);
    CHECK_THAT(refusal(hello.dir, hello.trusted), Contains("plugin hello: bad signature"));
  }
  SECTION("a key restricted to other plugins") {
    auto restricted = hello.trusted;
    restricted.publishers["example.com"][0].plugins = {"ledger"};
    CHECK(refusal(hello.dir, restricted) ==
          "plugin hello: key " + hello.key.key_id +
              " of publisher example.com is not trusted to sign plugin hello");
    restricted.publishers["example.com"][0].plugins = {"ledger", "hello"};
    CHECK(refusal(hello.dir, restricted) == "(accepted)");
  }
  SECTION("a publisher other than the manifest's cannot sign") {
    CHECK_THROWS_WITH(sign_package(hello.dir, hello.key_file, "evil.example", ""),
                      "plugin hello: manifest.yaml names publisher example.com, not evil.example");
  }
}

TEST_CASE("a missing or broken signature: refused, or reported in dev mode",
          "[plugins][signature]") {
  const SignedHello hello;
  std::filesystem::remove(hello.dir / "plugin.sig");
  CHECK_THAT(refusal(hello.dir, hello.trusted), Contains("plugin hello: no plugin.sig"));

  const auto dev = read_verified_package(hello.dir, hello.trusted, false);
  CHECK_FALSE(dev.signed_ok);
  CHECK_THAT(dev.unsigned_reason, Contains("plugin hello: no plugin.sig"));
  CHECK(dev.manifest.name == "hello");
  CHECK(dev.library_bytes == read_text(hello.dir / "hello.so"));

  write_text(hello.dir / "plugin.sig", "{not json");
  CHECK(refusal(hello.dir, hello.trusted) == "plugin hello: plugin.sig is not valid JSON");
  write_text(hello.dir / "plugin.sig", R"({"format": "v0"})");
  CHECK_THAT(refusal(hello.dir, hello.trusted),
             Contains("plugin hello: plugin.sig has unknown format 'v0'"));
  write_text(hello.dir / "plugin.sig", R"({"format": "finkernel-plugin-signature-v1"})");
  CHECK_THAT(refusal(hello.dir, hello.trusted),
             Contains("plugin.sig is malformed: 'plugin' must be a string"));
}

TEST_CASE("dev mode reports a tampered library but manifest errors always throw",
          "[plugins][signature]") {
  const SignedHello hello;
  write_text(hello.dir / "hello.so", "changed");
  const auto dev = read_verified_package(hello.dir, hello.trusted, false);
  CHECK_FALSE(dev.signed_ok);
  CHECK(dev.unsigned_reason ==
        "plugin hello: library hash mismatch: hello.so changed after signing");
  CHECK(dev.library_bytes == "changed");

  write_text(hello.dir / "manifest.yaml", "name: hello\nversion: 1.0.0\n");
  CHECK_THROWS_AS(read_verified_package(hello.dir, hello.trusted, false), ManifestError);
}

TEST_CASE("signing keys: private file 0600, never overwritten", "[plugins][signature]") {
  const fk::test::TempDir temp;
  const auto file = temp.path() / "key.pem";
  const auto key = generate_signing_key_file(file);
  struct stat info {};
  REQUIRE(stat(file.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  CHECK(read_text(file).rfind("-----BEGIN PRIVATE KEY-----", 0) == 0);
  CHECK(fk::identity::base64url_decode(key.public_key_base64url).size() == 32);
  CHECK(key.key_id == default_key_id(fk::identity::base64url_decode(key.public_key_base64url)));
  CHECK_THROWS_WITH(generate_signing_key_file(file), Contains("it must not exist yet"));

  chmod(file.c_str(), 0644);
  CHECK_THROWS_WITH(read_private_key_file(file), Contains("accessible by group or others"));
  chmod(file.c_str(), 0600);
  CHECK(read_private_key_file(file) != nullptr);
  write_text(temp.path() / "junk.pem", "junk");
  chmod((temp.path() / "junk.pem").c_str(), 0600);
  CHECK_THROWS_WITH(read_private_key_file(temp.path() / "junk.pem"),
                    Contains("not a PEM Ed25519 private key"));
}

TEST_CASE("the publishers policy file", "[plugins][signature]") {
  const GeneratedKey key{"ed25519-0011223344556677",
                         fk::identity::base64url_encode(std::string(32, '\x07'))};
  const auto trusted = parse_trusted_publishers(
      "publishers:\n" + publishers_policy_entry("example.com", key) +
          "  acme.io:\n    - key_id: k1\n      public_key: " + key.public_key_base64url +
          "\n      plugins: [ledger]\n",
      "p.yaml");
  REQUIRE(trusted.find("example.com", key.key_id) != nullptr);
  CHECK(trusted.find("example.com", key.key_id)->public_key == std::string(32, '\x07'));
  CHECK(trusted.find("acme.io", "k1")->plugins == std::vector<std::string>{"ledger"});
  CHECK(trusted.find("acme.io", "k2") == nullptr);
  CHECK_FALSE(trusted.trusts("other.org"));

  CHECK(parse_trusted_publishers("# nobody yet\n", "p.yaml").publishers.empty());
  CHECK(parse_trusted_publishers("publishers: {}\n", "p.yaml").publishers.empty());
  CHECK(load_trusted_publishers("/nonexistent/plugin-publishers.yaml").publishers.empty());
  CHECK_THROWS_WITH(parse_trusted_publishers(
                        "publishers:\n  x.io:\n    - key_id: k\n      public_key: abc\n", "p.yaml"),
                    Contains("p.yaml:4: publishers.x.io[0].public_key: must be the base64url"));
  CHECK_THROWS_WITH(parse_trusted_publishers("publisher: {}\n", "p.yaml"),
                    Contains("p.yaml:1: publisher: unknown key (did you mean 'publishers'?)"));
  CHECK_THROWS_AS(parse_trusted_publishers("publishers: [\n", "p.yaml"), PackageError);
}

TEST_CASE("the shipped publishers policy parses", "[plugins][signature]") {
  const auto file = std::filesystem::path(FK_SOURCE_DIR) / "policies" / kPublishersFileName;
  REQUIRE(std::filesystem::exists(file));
  CHECK_NOTHROW(load_trusted_publishers(file));
}
