#!/usr/bin/env bash
# Usage: check_exports.sh PLUGIN.so...
# Fails unless every dynamic symbol a plugin DEFINES starts with fk_, and
# fk_plugin_entry_v1 is among them (what the version script guarantees).
set -euo pipefail
if (($# == 0)); then
  echo "usage: $0 PLUGIN.so..." >&2
  exit 2
fi
status=0
for so in "$@"; do
  mapfile -t symbols < <(nm -D --defined-only "$so" | awk 'NF >= 3 {print $3}' | sed 's/@.*//' | sort -u)
  bad=()
  for s in "${symbols[@]}"; do
    [[ $s == fk_* ]] || bad+=("$s")
  done
  if ((${#bad[@]} > 0)); then
    echo "FAIL $so exports non-fk_ symbols: ${bad[*]}" >&2
    status=1
  elif ! printf '%s\n' "${symbols[@]}" | grep -qx 'fk_plugin_entry_v1'; then
    echo "FAIL $so does not export fk_plugin_entry_v1" >&2
    status=1
  else
    echo "ok   $(basename "$so") exports only: ${symbols[*]}"
  fi
done
exit $status
