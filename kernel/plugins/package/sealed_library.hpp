#pragma once
// The verified bytes of a plugin library, as a file the dynamic loader can
// open that nobody can change: the kernel hashes and checks the signature on
// bytes in memory, copies exactly those into a sealed memfd and dlopens
// "/proc/self/fd/<fd>", so swapping the .so on disk between the check and
// the open changes nothing (no time-of-check/time-of-use window).

#include <string>

namespace fk::plugins {

// memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING), writes `bytes`, then
// seals F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL. Returns the
// fd, owned by the caller (close it after dlopen: the mapping keeps the
// pages). Throws std::system_error naming the failing step.
int write_to_sealed_memfd(const std::string& bytes, const std::string& name);

}  // namespace fk::plugins
