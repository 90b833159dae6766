#include "app/platform_seed.hpp"

#include "auth/platform_admins.hpp"
#include "identity/secure_random.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>

namespace fk::app {

void write_secret_file(const std::filesystem::path& file, const std::string& content) {
  std::filesystem::create_directories(file.parent_path().empty() ? "." : file.parent_path());
  const auto temporary = file.string() + ".tmp";
  // O_EXCL|0600 at creation: the secret is never readable by others, not even briefly.
  ::unlink(temporary.c_str());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + temporary);
  const bool written =
      ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ::close(fd);
  if (!written) throw std::runtime_error("cannot write " + temporary);
  std::filesystem::rename(temporary, file);
}

SeededPlatformAdmin seed_platform_admin(const std::string& owner_url,
                                        const std::filesystem::path& secrets_dir,
                                        const auth::AuthPolicy& policy,
                                        const authz::RbacPolicy& rbac) {
  SeededPlatformAdmin seeded;
  seeded.secret_file = secrets_dir / "platform-admin.txt";
  if (auth::any_platform_admin(owner_url)) return seeded;
  seeded.email = "admin@finkernel.local";
  seeded.password = identity::base64url_encode(identity::random_bytes(18));
  write_secret_file(seeded.secret_file,
                    "email: " + seeded.email + "\npassword: " + seeded.password + "\n");
  auth::create_platform_admin(owner_url, policy, rbac, seeded.email, seeded.password,
                              {"platform-admin"});
  return seeded;
}

}  // namespace fk::app
