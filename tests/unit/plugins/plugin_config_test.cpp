#include <catch2/catch.hpp>

#include "plugins/package/manifest.hpp"
#include "unit/plugins/package_fixture.hpp"

using Catch::Matchers::Contains;
using fk::plugins::effective_config;
using fk::plugins::ManifestError;
using fk::plugins::parse_manifest;
using fk::plugins::validate_plugin_config;
using nlohmann::json;

namespace {

fk::plugins::PluginManifest demo() {
  return parse_manifest(
      "name: demo\nversion: 1.0.0\nabi: \"1.0\"\nlibrary: demo.so\n"
      "config:\n"
      "  page_size: {type: integer, default: 20, minimum: 1, maximum: 100}\n"
      "  mode: {type: string, default: fast, enum: [fast, safe]}\n"
      "  label: {type: string, default: hi, max_length: 4}\n"
      "  verbose: {type: boolean, default: false}\n",
      "demo");
}

std::string refusal(const json& values) {
  try {
    validate_plugin_config(demo(), values);
  } catch (const ManifestError& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("plugin config values are checked against the manifest schema", "[plugins][config]") {
  CHECK(refusal(json::object()) == "(accepted)");
  CHECK(refusal(nullptr) == "(accepted)");
  CHECK(refusal({{"page_size", 100}, {"mode", "safe"}, {"label", "abcd"}, {"verbose", true}}) ==
        "(accepted)");

  CHECK_THAT(refusal({{"page_sise", 5}}),
             Contains("plugin demo config: page_sise: unknown setting (known: page_size, mode, "
                      "label, verbose)"));
  CHECK_THAT(refusal({{"page_size", "5"}}), Contains("page_size: must be an integer, got \"5\""));
  CHECK_THAT(refusal({{"page_size", 2.5}}), Contains("page_size: must be an integer, got 2.5"));
  CHECK_THAT(refusal({{"page_size", true}}), Contains("page_size: must be an integer"));
  CHECK_THAT(refusal({{"page_size", 0}}), Contains("page_size: 0 is below the minimum 1"));
  CHECK_THAT(refusal({{"page_size", 101}}), Contains("page_size: 101 is above the maximum 100"));
  CHECK_THAT(refusal({{"page_size", 18446744073709551615ULL}}), Contains("out of range"));
  CHECK_THAT(refusal({{"mode", "slow"}}), Contains("mode: \"slow\" is not one of: fast, safe"));
  CHECK_THAT(refusal({{"mode", 1}}), Contains("mode: must be a string, got 1"));
  CHECK_THAT(refusal({{"label", "abcde"}}),
             Contains("label: is 5 bytes, longer than max_length 4"));
  CHECK_THAT(refusal({{"verbose", "yes"}}), Contains("verbose: must be true or false"));
  CHECK_THAT(refusal(json::array({1})), Contains("plugin demo config: must be a JSON object"));
}

TEST_CASE("effective config layers defaults < platform < tenant", "[plugins][config]") {
  const auto manifest = demo();
  const auto defaults = effective_config(manifest, nullptr, json::object());
  CHECK(defaults == json{{"page_size", 20}, {"mode", "fast"}, {"label", "hi"}, {"verbose", false}});

  const auto layered =
      effective_config(manifest, {{"page_size", 50}, {"mode", "safe"}}, {{"page_size", 10}});
  CHECK(layered["page_size"] == 10);   // tenant wins
  CHECK(layered["mode"] == "safe");    // platform over default
  CHECK(layered["verbose"] == false);  // default

  // Either layer being invalid refuses the whole, naming the key.
  CHECK_THROWS_WITH(effective_config(manifest, {{"page_size", 500}}, json::object()),
                    Contains("page_size: 500 is above the maximum 100"));
  CHECK_THROWS_WITH(effective_config(manifest, json::object(), {{"colour", "red"}}),
                    Contains("colour: unknown setting"));
}

TEST_CASE("the example plugin's config resolves", "[plugins][config]") {
  const auto manifest = parse_manifest(fk::test::hello_manifest_text(), "hello");
  const auto config = effective_config(manifest, {{"max_page_size", 200}}, nullptr);
  CHECK(config == json{{"default_page_size", 20}, {"max_page_size", 200}});
  CHECK_THROWS_WITH(effective_config(manifest, nullptr, {{"max_page_size", 501}}),
                    Contains("plugin hello config: max_page_size: 501 is above the maximum 500"));
}
