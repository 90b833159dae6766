#include "plugins/package/sealed_library.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <string>

#include "unit/plugins/package_fixture.hpp"

TEST_CASE("the sealed memfd holds exactly the bytes and cannot change", "[plugins][memfd]") {
  std::string bytes(100000, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 + 3);
  const int fd = fk::plugins::write_to_sealed_memfd(bytes, "fk-plugin-hello");
  REQUIRE(fd >= 0);

  // What the loader will open.
  const std::string proc_path = "/proc/self/fd/" + std::to_string(fd);
  CHECK(fk::test::read_text(proc_path) == bytes);

  const int seals = fcntl(fd, F_GET_SEALS);
  CHECK((seals & F_SEAL_WRITE) != 0);
  CHECK((seals & F_SEAL_GROW) != 0);
  CHECK((seals & F_SEAL_SHRINK) != 0);
  CHECK((seals & F_SEAL_SEAL) != 0);
  CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);

  CHECK(pwrite(fd, "x", 1, 0) == -1);
  CHECK(errno == EPERM);
  CHECK(ftruncate(fd, 10) == -1);
  CHECK(ftruncate(fd, static_cast<off_t>(bytes.size() + 1)) == -1);
  // Even a new writable open of the same file cannot write.
  const int writable = open(proc_path.c_str(), O_WRONLY);
  if (writable >= 0) {
    CHECK(write(writable, "x", 1) == -1);
    close(writable);
  }
  CHECK(fk::test::read_text(proc_path) == bytes);
  close(fd);
}

TEST_CASE("an empty library is sealed too", "[plugins][memfd]") {
  const int fd = fk::plugins::write_to_sealed_memfd("", "empty");
  REQUIRE(fd >= 0);
  CHECK(fk::test::read_text("/proc/self/fd/" + std::to_string(fd)).empty());
  close(fd);
}
