// `finkernel plugin keygen | sign | verify` as a partner and a platform admin
// use them, on a copy of sdk/examples/hello with a stand-in hello.so.

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <sstream>

#include "support/subprocess.hpp"
#include "unit/plugins/package_fixture.hpp"

using Catch::Matchers::Contains;
using fk::test::run_finkernel;

namespace {

// The policy lines keygen printed: from the "  <publisher>:" line to the end.
std::string policy_lines(const std::string& keygen_output, const std::string& publisher) {
  const auto start = keygen_output.find("  " + publisher + ":\n");
  REQUIRE(start != std::string::npos);
  return keygen_output.substr(start);
}

}  // namespace

TEST_CASE("plugin keygen, sign and verify", "[plugincli]") {
  const fk::test::TempDir temp;
  const auto dir = fk::test::make_hello_package(temp.path());
  const auto key = (temp.path() / "example.pem").string();
  const auto policies = temp.path() / "policies";
  std::filesystem::create_directories(policies);
  const auto empty_policies = temp.path() / "empty-policies";
  std::filesystem::create_directories(empty_policies);

  const auto keygen =
      run_finkernel({"plugin", "keygen", "--out", key, "--publisher", "example.com"});
  INFO(keygen.out);
  REQUIRE(keygen.exit_code == 0);
  CHECK_THAT(keygen.out, Contains("public_key: "));
  struct stat info {};
  REQUIRE(stat(key.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  fk::test::write_text(policies / "plugin-publishers.yaml",
                       "publishers:\n" + policy_lines(keygen.out, "example.com"));

  const auto again =
      run_finkernel({"plugin", "keygen", "--out", key, "--publisher", "example.com"});
  CHECK(again.exit_code == 1);
  CHECK_THAT(again.out, Contains("must not exist yet"));

  const auto unsigned_verify =
      run_finkernel({"plugin", "verify", dir.string(), "--policy-dir", policies.string()});
  INFO(unsigned_verify.out);
  CHECK(unsigned_verify.exit_code == 1);
  CHECK_THAT(unsigned_verify.out, Contains("REFUSED plugin hello: no plugin.sig"));

  const auto sign =
      run_finkernel({"plugin", "sign", dir.string(), "--key", key, "--publisher", "example.com"});
  INFO(sign.out);
  REQUIRE(sign.exit_code == 0);
  CHECK_THAT(sign.out, Contains("signed plugin hello 1.0.0 as example.com"));

  const auto ok =
      run_finkernel({"plugin", "verify", dir.string(), "--policy-dir", policies.string()});
  INFO(ok.out);
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.out, Contains("OK plugin hello 1.0.0 signed by example.com"));

  const auto untrusted =
      run_finkernel({"plugin", "verify", dir.string(), "--policy-dir", empty_policies.string()});
  INFO(untrusted.out);
  CHECK(untrusted.exit_code == 1);
  CHECK_THAT(untrusted.out, Contains("REFUSED plugin hello: publisher example.com is not trusted"));

  fk::test::write_text(dir / "hello.so", "swapped after signing");
  const auto tampered =
      run_finkernel({"plugin", "verify", dir.string(), "--policy-dir", policies.string()});
  INFO(tampered.out);
  CHECK(tampered.exit_code == 1);
  CHECK_THAT(
      tampered.out,
      Contains("REFUSED plugin hello: library hash mismatch: hello.so changed after signing"));

  const auto wrong_publisher =
      run_finkernel({"plugin", "sign", dir.string(), "--key", key, "--publisher", "evil.example"});
  CHECK(wrong_publisher.exit_code == 1);
  CHECK_THAT(wrong_publisher.out, Contains("names publisher example.com, not evil.example"));
}

TEST_CASE("plugin verify refuses a bad manifest before anything else", "[plugincli]") {
  const fk::test::TempDir temp;
  const auto dir = fk::test::make_hello_package(temp.path());
  auto manifest = fk::test::read_text(dir / "manifest.yaml");
  const std::string permission_line = "    permission: hello:greetings.read\n";
  manifest.erase(manifest.find(permission_line), permission_line.size());
  fk::test::write_text(dir / "manifest.yaml", manifest);
  const auto result =
      run_finkernel({"plugin", "verify", dir.string(), "--policy-dir", temp.path().string()});
  INFO(result.out);
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.out, Contains("REFUSED invalid manifest:"));
  CHECK_THAT(result.out, Contains("route GET /v1/hello/greetings declares no permission"));
}

TEST_CASE("plugin usage and argument errors", "[plugincli]") {
  const auto help = run_finkernel({"plugin", "--help"});
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Contains("usage: finkernel plugin"));
  CHECK_THAT(help.out, Contains("keygen --out KEYFILE --publisher NAME"));
  CHECK_THAT(help.out, Contains("verify DIR"));

  const auto unknown = run_finkernel({"plugin", "frobnicate"});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.out, Contains("unknown subcommand \"frobnicate\""));
  CHECK_THAT(unknown.out, Contains("sign DIR --key KEYFILE"));

  const auto no_key = run_finkernel({"plugin", "sign", "/tmp", "--publisher", "example.com"});
  CHECK(no_key.exit_code == 2);
  CHECK_THAT(no_key.out, Contains("--key is required"));

  const auto top = run_finkernel({"--help"});
  CHECK_THAT(top.out, Contains("plugin     sign, verify, list, enable and disable plugins"));
}
