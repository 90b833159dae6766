#include "plugins/loaded_plugin.hpp"

#include "log/json_log.hpp"
#include "plugins/package/sealed_library.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace fk::plugins {
namespace {

std::string text(fk_str s) {
  return s.data != nullptr ? std::string(s.data, s.len) : std::string();
}

}  // namespace

LoadedPlugin::LoadedPlugin(PluginManifest manifest, const std::string& library_bytes,
                           std::filesystem::path directory)
    : manifest_(std::move(manifest)), directory_(std::move(directory)) {
  self_.loaded = this;
  const std::string who = "plugin " + manifest_.name + ": ";
  // The bytes that were verified are the bytes that are mapped: nobody can
  // swap the file on disk between the check and the open.
  memfd_ = write_to_sealed_memfd(library_bytes, manifest_.name);
  const std::string path = "/proc/self/fd/" + std::to_string(memfd_);
  try {
    library_.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    ::close(memfd_);
    throw PluginLoadError(who + manifest_.library + " cannot be loaded: " + e.what());
  }
  if (!library_.has(FK_PLUGIN_ENTRY_SYMBOL)) {
    library_.unload();
    ::close(memfd_);
    throw PluginLoadError(who + manifest_.library +
                          " does not export " FK_PLUGIN_ENTRY_SYMBOL
                          " (define it with FK_PLUGIN_DEFINE or FK_CPP_PLUGIN)");
  }
  const auto entry = library_.get<const fk_plugin_info*()>(FK_PLUGIN_ENTRY_SYMBOL);
  const fk_plugin_info* info = entry();
  std::array<char, 256> message{};
  std::string problem;
  if (fk_abi_check(info, FK_ABI_MAJOR, FK_ABI_MINOR, message.data(), message.size()) != FK_OK) {
    problem = message.data();
  } else if (text(info->name) != manifest_.name || text(info->version) != manifest_.version) {
    problem = "the library is " + text(info->name) + " " + text(info->version) +
              " but the manifest says " + manifest_.name + " " + manifest_.version;
  } else if (static_cast<uint32_t>(manifest_.abi_major) != info->abi_major ||
             static_cast<uint32_t>(manifest_.abi_minor) != info->abi_minor) {
    problem = "the manifest declares abi " + std::to_string(manifest_.abi_major) + "." +
              std::to_string(manifest_.abi_minor) + " but the library was built for " +
              std::to_string(info->abi_major) + "." + std::to_string(info->abi_minor);
  }
  if (problem.empty()) {
    // Read the plugin's callback table only within the size it was built with.
    const auto* table = info->callbacks;
    std::memcpy(&callbacks_, table, std::min<std::size_t>(table->struct_size, sizeof callbacks_));
    abi_minor_ = info->abi_minor;
    if (!manifest_.routes.empty() && callbacks_.handle_request == nullptr) {
      problem = "the manifest declares routes but the library has no handle_request";
    } else if (!manifest_.subscribes.empty() && callbacks_.handle_event == nullptr) {
      problem = "the manifest subscribes to events but the library has no handle_event";
    } else if (!manifest_.exports.empty() && callbacks_.handle_call == nullptr) {
      problem = "the manifest exports methods but the library has no handle_call";
    }
  }
  if (!problem.empty()) {
    library_.unload();
    ::close(memfd_);
    throw PluginLoadError(who + problem);
  }
}

void LoadedPlugin::initialize(const fk_host_api* host) {
  const std::string dir = directory_.string();
  fk_init_args args{};
  args.struct_size = sizeof args;
  args.host = host;
  args.self = &self_;
  args.plugin_dir = fk_str{dir.data(), dir.size()};
  void* state = nullptr;
  fk_status status = FK_ERR_INTERNAL;
  try {
    status = callbacks_.init(&args, &state);
  } catch (...) {
    // A C++ plugin that let an exception escape init; the ABI forbids it.
    status = FK_ERR_INTERNAL;
  }
  if (status != FK_OK) {
    throw PluginLoadError("plugin " + manifest_.name + ": init failed with status " +
                          std::to_string(status));
  }
  state_ = state;
  initialized_ = true;
}

LoadedPlugin::~LoadedPlugin() {
  if (initialized_) {
    try {
      callbacks_.shutdown(state_);
    } catch (...) {
      log::error("plugin shutdown threw", {{"plugin", manifest_.name}});
    }
  }
  library_.unload();
  if (memfd_ >= 0) ::close(memfd_);
}

}  // namespace fk::plugins
