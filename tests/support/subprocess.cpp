#include "support/subprocess.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace fk::test {

namespace {

pid_t spawn(const std::vector<std::string>& args, const std::string& output_file) {
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int fd = open(output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(FK_BINARY));
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    // Relative paths in kernel.yaml (tenants/, var/) resolve from the source tree.
    if (chdir(FK_SOURCE_DIR) != 0) _exit(126);
    execv(FK_BINARY, argv.data());
    _exit(127);
  }
  return pid;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string temporary_file() {
  char pattern[] = "/tmp/fk-proc-XXXXXX";
  const int fd = mkstemp(pattern);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  close(fd);
  return pattern;
}

}  // namespace

ProcessResult run_finkernel(const std::vector<std::string>& args) {
  BackgroundProcess process(args);
  ProcessResult result;
  result.exit_code = process.wait(120'000);
  result.out = process.output();
  return result;
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& args)
    : output_file_(temporary_file()) {
  pid_ = spawn(args, output_file_);
}

BackgroundProcess::~BackgroundProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  unlink(output_file_.c_str());
}

std::string BackgroundProcess::output() const {
  return read_file(output_file_);
}

std::string BackgroundProcess::wait_for_output(const std::string& text, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    auto content = output();
    if (content.find(text) != std::string::npos) return content;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return output();
}

void BackgroundProcess::signal(int number) {
  if (pid_ > 0) kill(pid_, number);
}

int BackgroundProcess::wait(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

}  // namespace fk::test
