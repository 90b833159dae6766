#pragma once
// Polling for asynchronous outcomes (event delivery, background jobs): no
// fixed sleeps, and a generous limit because the machines are shared.

#include <chrono>
#include <thread>

namespace fk::test {

template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

}  // namespace fk::test
