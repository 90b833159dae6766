#!/usr/bin/env bash
# Usage: build_ledger_plugin.sh BUILD_DIR WORK_DIR [SOURCE_DIR]
#
# Builds plugins/ledger the way a partner builds a plugin (mirrors
# sdk/tests/install_and_build_example.sh):
#   1. cmake --install the SDK component of the configured project build
#      BUILD_DIR to a fresh prefix under WORK_DIR;
#   2. copy plugins/ledger out of the source tree and build it there with
#      find_package(FinKernelSDK) against that prefix only;
#   3. check ledger.so exports only fk_* symbols and its bundle is complete.
# Prints the path of ledger.so on its last line ("ledger.so: PATH").
# Environment: CMAKE, CXX (default cmake, c++).
set -euo pipefail
if (($# < 2)); then
  echo "usage: $0 BUILD_DIR WORK_DIR [SOURCE_DIR]" >&2
  exit 2
fi
build_dir=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)
src=${3:-$(cd "$here/../.." && pwd)}
cmake=${CMAKE:-cmake}
cxx=${CXX:-c++}

step() { printf '== %s\n' "$*"; }
die() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}

rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix

step "install the SDK component of $build_dir to $prefix"
"$cmake" --install "$build_dir" --component finkernel_sdk --prefix "$prefix" >"$work/install.log" ||
  { cat "$work/install.log"; die "installing the SDK failed"; }
[[ -f $prefix/share/cmake/FinKernelSDK/FinKernelSDKConfig.cmake ]] || die "the SDK CMake package is not installed"

step "build plugins/ledger out of tree against the installed SDK"
cp -r "$src/plugins/ledger" "$work/ledger-src"
rm -rf "$work/ledger-src/build"
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
"$cmake" -S "$work/ledger-src" -B "$work/ledger-build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" "${launcher[@]}" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$work/configure.log" ||
  { cat "$work/configure.log"; die "configuring the ledger plugin failed"; }
grep -q "against FinKernelSDK 1\.[0-9]*\.[0-9]* (plugin ABI 1\.[0-9]*) from $prefix/share/cmake/FinKernelSDK" \
  "$work/configure.log" || die "the ledger plugin did not find the SDK in $prefix"
"$cmake" --build "$work/ledger-build" -j 2 >"$work/build.log" 2>&1 ||
  { cat "$work/build.log"; die "building the ledger plugin failed"; }
ledger_so=$(find "$work/ledger-build" -name ledger.so -not -path '*-bundle/*' | head -n 1)
[[ -n $ledger_so ]] || die "ledger.so was not built"

step "ledger.so exports only fk_* symbols"
"$src/sdk/tests/check_exports.sh" "$ledger_so"
bundle=$work/ledger-build/ledger-bundle
for f in ledger.so manifest.yaml; do
  [[ -f $bundle/$f ]] || die "bundle misses $f"
done
# Every migration the manifest lists is in the bundle.
while read -r migration; do
  [[ -f $bundle/$migration ]] || die "bundle misses $migration (listed in manifest.yaml)"
done < <(sed -n 's/^  - \(migrations\/[^ ]*\.sql\)$/\1/p' "$src/plugins/ledger/manifest.yaml")
echo "bundle: $(cd "$bundle" && find . -type f | sort | tr '\n' ' ')"

step "OK"
echo "ledger.so: $ledger_so"
