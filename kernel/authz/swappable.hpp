#pragma once
// A value replaced whole at run time (policy reload): readers take a
// snapshot that stays valid for as long as they hold it, so a request sees
// one policy from start to end even if a reload lands in the middle.

#include <memory>
#include <mutex>

namespace fk::authz {

template <typename T>
class Swappable {
 public:
  explicit Swappable(T initial) : current_(std::make_shared<const T>(std::move(initial))) {}

  [[nodiscard]] std::shared_ptr<const T> current() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  void replace(T next) {
    auto replacement = std::make_shared<const T>(std::move(next));
    std::lock_guard lock(mutex_);
    current_ = std::move(replacement);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const T> current_;
};

}  // namespace fk::authz
