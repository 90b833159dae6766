#!/usr/bin/env bash
# Usage: install_and_build_example.sh BUILD_DIR WORK_DIR SDK_SOURCE_DIR [HARNESS]
#
# What a partner does, end to end:
#   1. cmake --install the SDK component to a fresh prefix (and check what
#      got installed: headers, CMake package, pkg-config file, example);
#   2. copy sdk/examples/hello somewhere else and build it OUT OF TREE with
#      find_package(FinKernelSDK) against that prefix only;
#   3. check the plugin exports only fk_* symbols and stages its bundle;
#   4. load it through the C ABI and drive its handlers (HARNESS hello);
#   5. build a C plugin with nothing but pkg-config's flags, same checks.
# Environment: CMAKE, CC, CXX (set by CTest; default cmake, cc, c++).
set -euo pipefail
if (($# < 3)); then
  echo "usage: $0 BUILD_DIR WORK_DIR SDK_SOURCE_DIR [HARNESS]" >&2
  exit 2
fi
build_dir=$1
work=$2
sdk_src=$3
harness=${4:-}
cmake=${CMAKE:-cmake}
cc=${CC:-cc}
cxx=${CXX:-c++}
here=$(cd "$(dirname "$0")" && pwd)

step() { printf '== %s\n' "$*"; }
die() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}

rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix

step "install the SDK component to $prefix"
"$cmake" --install "$build_dir" --component finkernel_sdk --prefix "$prefix" >"$work/install.log"
for f in include/finkernel/fk_plugin.h include/finkernel/fk_plugin.hpp \
  share/cmake/FinKernelSDK/FinKernelSDKConfig.cmake \
  share/cmake/FinKernelSDK/FinKernelSDKConfigVersion.cmake \
  share/cmake/FinKernelSDK/FinKernelSDKTargets.cmake \
  share/cmake/FinKernelSDK/FinKernelSDKPlugin.cmake \
  share/cmake/FinKernelSDK/fk_plugin.map \
  share/pkgconfig/finkernel-sdk.pc \
  share/finkernel-sdk/examples/hello/CMakeLists.txt; do
  [[ -f $prefix/$f ]] || die "not installed: $f"
done
unexpected=$(cd "$prefix" && find . -type f | sed 's|^\./||' |
  grep -Ev '^(include/finkernel/fk_plugin\.(h|hpp)|share/cmake/FinKernelSDK/[^/]+|share/pkgconfig/finkernel-sdk\.pc|share/finkernel-sdk/examples/hello/.*)$' || true)
[[ -z $unexpected ]] || die "the SDK component installed unexpected files: $unexpected"
# The installed headers include nothing but each other and the standard library.
if grep -h '^#include' "$prefix"/include/finkernel/* | grep -Ev '<(finkernel/fk_plugin\.h|std(int|def)\.h|[a-z_]+)>$'; then
  die "installed headers include something outside the SDK"
fi
echo "installed: $(cd "$prefix" && find . -type f | wc -l) files"

step "build sdk/examples/hello out of tree against the installed SDK"
cp -r "$sdk_src/examples/hello" "$work/hello-src"
"$cmake" -S "$work/hello-src" -B "$work/hello-build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$work/hello-configure.log" ||
  { cat "$work/hello-configure.log"; die "configuring hello failed"; }
grep -q "against FinKernelSDK 1\.[0-9]*\.[0-9]* (plugin ABI 1\.[0-9]*) from $prefix/share/cmake/FinKernelSDK" \
  "$work/hello-configure.log" || die "hello did not find the SDK in $prefix"
"$cmake" --build "$work/hello-build" -j 2 >"$work/hello-build.log" 2>&1 ||
  { cat "$work/hello-build.log"; die "building hello failed"; }
hello_so=$(find "$work/hello-build" -name hello.so -not -path '*-bundle/*' | head -n 1)
[[ -n $hello_so ]] || die "hello.so was not built"
# The compile lines carry the visibility flags and the link line the version script.
grep -rqs -- "-fvisibility=hidden" "$work/hello-build" || die "no -fvisibility=hidden in the build"
grep -rqs -- "-fvisibility-inlines-hidden" "$work/hello-build" || die "no -fvisibility-inlines-hidden"
grep -rqs -- "--version-script=$prefix/share/cmake/FinKernelSDK/fk_plugin.map" "$work/hello-build" ||
  die "hello was not linked with the installed version script"

step "hello.so exports only fk_* symbols"
"$here/check_exports.sh" "$hello_so"
bundle=$work/hello-build/hello-bundle
for f in hello.so manifest.yaml migrations/0001_greetings.sql; do
  [[ -f $bundle/$f ]] || die "bundle misses $f"
done
echo "bundle: $(cd "$bundle" && find . -type f | sort | tr '\n' ' ')"

if [[ -n $harness ]]; then
  step "load hello.so through the C ABI and drive its handlers"
  "$harness" hello "$hello_so"
fi

if command -v pkg-config >/dev/null; then
  step "pkg-config: build a C plugin with the .pc file's flags only"
  export PKG_CONFIG_PATH=$prefix/share/pkgconfig
  version=$(pkg-config --modversion finkernel-sdk)
  [[ $version == 1.* ]] || die "pkg-config version $version"
  includedir=$(cd "$(pkg-config --variable=includedir finkernel-sdk)" && pwd -P)
  [[ $includedir == "$(cd "$prefix/include" && pwd -P)" ]] || die "pkg-config includedir $includedir"
  # shellcheck disable=SC2046
  "$cc" -std=c99 -Wall -Wextra -Werror -pedantic $(pkg-config --cflags finkernel-sdk) \
    $(pkg-config --variable=plugin_cflags finkernel-sdk) -fPIC -shared \
    -o "$work/c_plugin_pc.so" "$sdk_src/tests/plugins/c_plugin.c" \
    $(pkg-config --variable=plugin_ldflags finkernel-sdk)
  "$here/check_exports.sh" "$work/c_plugin_pc.so"
  if [[ -n $harness ]]; then "$harness" load "$work/c_plugin_pc.so" c-plugin; fi
  # Relocatable: the same .pc file works after the prefix moves.
  mv "$prefix" "$work/moved-prefix"
  moved=$(PKG_CONFIG_PATH=$work/moved-prefix/share/pkgconfig pkg-config --variable=includedir finkernel-sdk)
  [[ -f $moved/finkernel/fk_plugin.h ]] || die "pkg-config is not relocatable ($moved)"
  mv "$work/moved-prefix" "$prefix"
else
  echo "pkg-config not found: pkg-config checks skipped"
fi

step "OK: installed SDK builds and loads the example plugin"
