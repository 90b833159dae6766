#pragma once
// Runs the built `finkernel` binary the way an operator would, capturing its
// exit code and output, or starts it in the background for signal tests.

#include <string>
#include <vector>

#include <sys/types.h>

namespace fk::test {

struct ProcessResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr, interleaved
};

ProcessResult run_finkernel(const std::vector<std::string>& args);

class BackgroundProcess {
 public:
  explicit BackgroundProcess(const std::vector<std::string>& args);
  ~BackgroundProcess();  // kills the process if still running
  // Waits (up to timeout_ms) until the output contains `text`; returns the output so far.
  std::string wait_for_output(const std::string& text, int timeout_ms);
  void signal(int number);
  int wait(int timeout_ms);  // exit code, or -1 on timeout
  std::string output() const;

 private:
  pid_t pid_ = -1;
  std::string output_file_;
};

}  // namespace fk::test
