#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the normal build,
# then the same suite under AddressSanitizer + UndefinedBehaviorSanitizer.
# Integration tests start their own PostgreSQL clusters (never a mock).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
bash scripts/check-format.sh

bash scripts/build.sh release
echo "== tests (release build)"
ctest --test-dir build --output-on-failure -j 2 --timeout 600

bash scripts/build.sh asan
echo "== tests (ASan + UBSan build)"
# Leak checking stays on; suppressions name third-party leaks only.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizer/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ctest --test-dir build-asan --output-on-failure -j 2 --timeout 900
