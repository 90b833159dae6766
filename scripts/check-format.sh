#!/usr/bin/env bash
# Fails if any of our C++ sources differ from .clang-format's layout.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h')
if ((${#files[@]} > 0)); then
  clang-format --dry-run --Werror "${files[@]}"
fi
echo "format: ${#files[@]} files OK"
