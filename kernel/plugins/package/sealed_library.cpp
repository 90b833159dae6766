#include "plugins/package/sealed_library.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace fk::plugins {

namespace {

[[noreturn]] void fail(const std::string& step, int error) {
  throw std::system_error(error, std::generic_category(), "sealed plugin library: " + step);
}

}  // namespace

int write_to_sealed_memfd(const std::string& bytes, const std::string& name) {
  const int fd = memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) fail("memfd_create", errno);
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : EIO;
      close(fd);
      fail("write", error);
    }
    written += static_cast<std::size_t>(n);
  }
  if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) != 0) {
    const int error = errno;
    close(fd);
    fail("F_ADD_SEALS", error);
  }
  return fd;
}

}  // namespace fk::plugins
