#pragma once
// One plugin in memory: its manifest, its shared object (opened from the
// verified bytes, RTLD_NOW | RTLD_LOCAL), its info block and callbacks, and
// the state its init returned. Destroying it calls shutdown and then closes
// the library; the PluginHost destroys plugins only after every thread that
// could call into them has stopped.

#include "plugins/host_objects.hpp"
#include "plugins/package/manifest.hpp"

#include <finkernel/fk_plugin.h>

#include <boost/dll/shared_library.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace fk::plugins {

// A plugin the kernel refuses to load. The message names the plugin and why.
class PluginLoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class LoadedPlugin {
 public:
  // Opens `library_bytes` (already verified) through a sealed memfd, finds
  // the entry symbol, checks the ABI and the manifest against the info
  // block. Does not call init (see initialize). Throws PluginLoadError.
  LoadedPlugin(PluginManifest manifest, const std::string& library_bytes,
               std::filesystem::path directory);
  ~LoadedPlugin();
  LoadedPlugin(const LoadedPlugin&) = delete;
  LoadedPlugin& operator=(const LoadedPlugin&) = delete;

  // Calls the plugin's init with the host table; throws PluginLoadError
  // naming the status on failure (shutdown is then not called).
  void initialize(const fk_host_api* host);

  [[nodiscard]] const PluginManifest& manifest() const { return manifest_; }
  [[nodiscard]] const std::string& name() const { return manifest_.name; }
  [[nodiscard]] const std::filesystem::path& directory() const { return directory_; }
  [[nodiscard]] const fk_plugin_callbacks& callbacks() const { return callbacks_; }
  [[nodiscard]] void* state() const { return state_; }
  [[nodiscard]] fk_plugin* self() { return &self_; }
  [[nodiscard]] uint32_t abi_minor_required() const { return abi_minor_; }

  // Platform-wide configuration values (fk_plugin_settings); tenant values
  // come with each call.
  nlohmann::json platform_config = nlohmann::json::object();

 private:
  PluginManifest manifest_;
  std::filesystem::path directory_;
  int memfd_ = -1;
  boost::dll::shared_library library_;
  fk_plugin_callbacks callbacks_{};  // the plugin's table, zero-extended to the host's size
  uint32_t abi_minor_ = 0;
  void* state_ = nullptr;
  bool initialized_ = false;
  fk_plugin self_;
};

}  // namespace fk::plugins
