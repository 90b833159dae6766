#!/usr/bin/env bash
# check_abi.sh -- compare the plugin ABI of the current header with the
# recorded baseline (sdk/abi/fk_plugin_v1.abi), using libabigail.
#
# Usage:
#   check_abi.sh BUILD_DIR                 check (CTest: sdk_abi_check)
#   check_abi.sh --include DIR BUILD_DIR   check the header in DIR/finkernel/ instead
#   check_abi.sh --update BUILD_DIR        rewrite the baseline (release commits only)
#
# How: abi_probe.c (which references every ABI type and mirrors every
# constant family as an enum) is compiled with -g into BUILD_DIR/abi_probe.so,
# then `abidiff --fail-no-debug-info BASELINE abi_probe.so`.
#
# Verdict, from abidiff's exit status (a bit field):
#   0            identical ABI                                     -> pass
#   bit 1 or 2   abidiff itself failed                             -> FAIL
#   bit 8        incompatible change (e.g. a removed symbol)       -> FAIL
#   bit 4 only   "some change": abidiff sets only this bit for struct
#                member reorders, retypes and renumbered constants too
#                (it cannot know our append-only rules), so the report is
#                classified line by line. Allowed: members appended at
#                the END of a struct (offset >= old size), new probe
#                functions (new types), new enumerators (filtered by
#                abidiff as harmless). Anything else                  -> FAIL
#   Additions also require FK_ABI_MINOR > the baseline's minor
#   (fk_plugin_v1.minor): a plugin needing the new members must be refused
#   by older hosts.
#
# Missing tools are a FAILURE, never a skip: install abigail-tools.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
sdk=$(dirname "$here")
include_dir=$sdk/include
update=0
while (($# > 0)); do
  case $1 in
    --update) update=1; shift ;;
    --include) include_dir=$2; shift 2 ;;
    -h | --help) sed -n '2,30p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
if (($# != 1)); then
  echo "usage: $0 [--update] [--include DIR] BUILD_DIR" >&2
  exit 2
fi
build=$1
baseline=$here/fk_plugin_v1.abi
baseline_minor_file=$here/fk_plugin_v1.minor
cc=${CC:-cc}

fail() {
  echo "check_abi: FAIL: $*" >&2
  exit 1
}

for tool in abidw abidiff readelf "$cc"; do
  command -v "$tool" >/dev/null 2>&1 ||
    fail "'$tool' not found. The ABI check needs libabigail: apt-get install -y abigail-tools" \
      "(and binutils, a C compiler). It fails instead of skipping so a missing tool cannot hide an ABI break."
done

header=$include_dir/finkernel/fk_plugin.h
[[ -f $header ]] || fail "no header at $header"
minor=$(sed -n 's/^#define FK_ABI_MINOR \([0-9][0-9]*\).*/\1/p' "$header")
[[ -n $minor ]] || fail "cannot read FK_ABI_MINOR from $header"

mkdir -p "$build" || fail "cannot create $build"
probe=$build/abi_probe.so
"$cc" -std=c99 -Wall -Wextra -Werror -pedantic -g -O0 -shared -fPIC -I"$include_dir" \
  -o "$probe" "$here/abi_probe.c" || fail "cannot compile abi_probe.c against $header"
readelf -S --wide "$probe" | grep -q '\.debug_info' ||
  fail "$probe has no DWARF debug info; abidiff would compare nothing"

if ((update)); then
  abidw --no-corpus-path --no-comp-dir-path --short-locs "$probe" >"$baseline.tmp" ||
    fail "abidw failed"
  mv "$baseline.tmp" "$baseline"
  echo "$minor" >"$baseline_minor_file"
  echo "check_abi: baseline updated: $baseline (ABI minor $minor)"
  exit 0
fi

[[ -f $baseline ]] || fail "no baseline at $baseline (create it with --update)"
report=$build/abidiff-report.txt
abidiff --fail-no-debug-info "$baseline" "$probe" >"$report" 2>&1
rc=$?
echo "check_abi: abidiff --fail-no-debug-info $(basename "$baseline") $probe -> exit $rc"
cat "$report"

if ((rc == 0)); then
  echo "check_abi: OK: the ABI is identical to the baseline"
  exit 0
fi
if ((rc & 1 || rc & 2)); then
  fail "abidiff did not run correctly (exit $rc)"
fi
if ((rc & 8)); then
  fail "INCOMPATIBLE ABI change (abidiff exit bit 8): a symbol or type the baseline has is gone"
fi

# rc == 4: classify the report. Print offending lines; count them.
offending=$(awk '
  function bad(why) { printf "  not allowed (%s): %s\n", why, $0; n++ }
  {
    line = $0
    sub(/^[ \t]+/, "", line)
    if (expect_pointer) {
      expect_pointer = 0
      if (line !~ /^in pointed to type /) { bad("a member held by value changed"); next }
    }
    if (line == "") next
    if (line ~ /^(Functions|Variables|Function symbols|Variable symbols) changes summary: /) {
      if (line !~ /: 0 Removed/) bad("removal")
      next
    }
    if (line ~ /^[0-9]+ Added functions?:$/) next
    if (line ~ /^\[A\] .function /) next
    if (line ~ /^[0-9]+ functions? with some indirect sub-type changes?:$/) next
    if (line ~ /^\[C\] .function .* has some indirect sub-type changes:$/) next
    if (line ~ /^parameter [0-9]+ of type .* has sub-type changes:$/) next
    if (line ~ /^in pointed to type .*:$/) next
    if (line ~ /^in unqualified underlying type .*:$/) next
    if (line ~ /^underlying type .* changed:$/) next
    if (line ~ /^[0-9]+ data member changes?( \([0-9]+ filtered\))?:$/) next
    if (line ~ /^no data member changes? \([0-9]+ filtered\);?$/) next
    if (line ~ /^type of .* changed:$/) { expect_pointer = 1; next }
    if (line ~ /^return type changed:$/) { expect_pointer = 1; next }
    if (line ~ /^type size changed from [0-9]+ to [0-9]+ \(in bits\)$/) {
      split(line, w, " "); old_size = w[5] + 0; new_size = w[7] + 0
      if (new_size <= old_size) bad("a struct shrank")
      next
    }
    if (line ~ /^type size hasn.t changed$/) next  # informational: a member pointee grew
    if (line ~ /^[0-9]+ data member insertions?:$/) next
    if (line ~ /, at offset [0-9]+ \(in bits\)/) {
      off = line; sub(/.*, at offset /, "", off); sub(/ .*/, "", off)
      if (off + 0 < old_size) bad("member inserted before the end")
      next
    }
    bad("not an append")
  }
  END { exit n > 0 }
' "$report")
if [[ -n $offending ]]; then
  echo "$offending" >&2
  fail "ABI change that is not append-only (see the lines above). Within major 1 you may only" \
    "append members at the end of a struct and add constants; see fk_plugin.h section 1."
fi

baseline_minor=$(cat "$baseline_minor_file" 2>/dev/null || echo 0)
if ((minor <= baseline_minor)); then
  fail "the ABI grew (compatible additions) but FK_ABI_MINOR is still $minor;" \
    "bump it above $baseline_minor so older hosts refuse plugins that need the additions"
fi
echo "check_abi: OK: compatible additions only (ABI minor $baseline_minor -> $minor)." \
  "Record them at release: $0 --update BUILD_DIR"
exit 0
