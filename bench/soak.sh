#!/usr/bin/env bash
# bench/soak.sh: full-kernel memory soak. Starts the real `finkernel run`
# binary (dev mode, embedded PostgreSQL in a temporary directory), then for
# each endpoint
#
#   GET /v1/tenant/settings   (X-Tenant-Id: demo tenant; pool, BEGIN,
#                              set_config, SELECT, COMMIT per request)
#   GET /health               (transport + pipeline only; SOAK_HEALTH=0 skips)
#
# sends a warm-up of ~SOAK_WARMUP_REQUESTS requests, samples the kernel's
# VmRSS, sends at least SOAK_REQUESTS more over keep-alive connections (wrk
# has no request-count flag: the duration is sized from the measured rate and
# topped up if it fell short), samples VmRSS again and reports the growth.
# VmRSS, thread and fd counts are also written every SOAK_SAMPLE_SECONDS to a
# CSV file.
#
#   bench/soak.sh [BUILD_DIR]
#
# Environment: SOAK_REQUESTS (1000000), SOAK_WARMUP_REQUESTS (100000),
# SOAK_WRK_THREADS (2), SOAK_CONNECTIONS (32), SOAK_SERVER_THREADS (2),
# SOAK_MAX_GROWTH_PERCENT (5), SOAK_SAMPLE_SECONDS (2), SOAK_HEALTH (1),
# SOAK_MAX_PHASE_SECONDS (900: cap on the measured phase of one endpoint),
# SOAK_CSV (/tmp/fk-soak-rss-<timestamp>.csv), SOAK_RESULTS_DIR
# (/tmp/fk-soak-results-<timestamp>: raw wrk outputs).
#
# Exit status: 0 all good; 1 VmRSS grew more than SOAK_MAX_GROWTH_PERCENT on
# an endpoint; 2 non-200 responses, socket errors, fewer requests than asked
# or the kernel died (memory verdict still printed).

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR="$ROOT/bench"
# shellcheck source=lib.sh
source "$BENCH_DIR/lib.sh"

STAMP=$(date +%Y%m%d-%H%M%S)
REQUESTS=${SOAK_REQUESTS:-1000000}
WARMUP_REQUESTS=${SOAK_WARMUP_REQUESTS:-100000}
WRK_THREADS=${SOAK_WRK_THREADS:-2}
CONNECTIONS=${SOAK_CONNECTIONS:-32}
SERVER_THREADS=${SOAK_SERVER_THREADS:-2}
MAX_GROWTH=${SOAK_MAX_GROWTH_PERCENT:-5}
SAMPLE_SECONDS=${SOAK_SAMPLE_SECONDS:-2}
WITH_HEALTH=${SOAK_HEALTH:-1}
MAX_PHASE_SECONDS=${SOAK_MAX_PHASE_SECONDS:-900}
CSV=${SOAK_CSV:-/tmp/fk-soak-rss-$STAMP.csv}
RESULTS_DIR=${SOAK_RESULTS_DIR:-/tmp/fk-soak-results-$STAMP}

require_tools wrk curl cmake awk
BENCH_TMP=$(mktemp -d /tmp/fk-soak.XXXXXX)
chmod 755 "$BENCH_TMP"  # the embedded cluster's OS user must traverse it
mkdir -p "$RESULTS_DIR"
SAMPLER_PID=""

stop_sampler() {
  [[ -n "$SAMPLER_PID" ]] || return 0
  rm -f "$BENCH_TMP/sampling"
  wait "$SAMPLER_PID" 2>/dev/null || true  # it notices within SAMPLE_SECONDS
  SAMPLER_PID=""
}

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_sampler
  stop_kernel
  if [[ -s "$BENCH_TMP/kernel.err" ]]; then cp "$BENCH_TMP/kernel.err" "$RESULTS_DIR/kernel.err"; fi
  rm -rf "$BENCH_TMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

require_free_port "$KERNEL_PORT"
build_if_needed "${1:-}" finkernel
log "load average before start: $(load_average)"
start_kernel "$SERVER_THREADS"

# Background sampler: one CSV row every SAMPLE_SECONDS while $BENCH_TMP/sampling
# exists, at most 7200 rows.
echo "epoch_s,elapsed_s,phase,vmrss_kb,threads,fds" >"$CSV"
echo "start" >"$BENCH_TMP/phase"
touch "$BENCH_TMP/sampling"
(
  started=$(date +%s.%N)
  for ((row = 0; row < 7200; row++)); do
    [[ -e "$BENCH_TMP/sampling" ]] || break
    kill -0 "$KERNEL_PID" 2>/dev/null || break
    now=$(date +%s.%N)
    rss=$(vm_rss_kb "$KERNEL_PID")
    threads=$(awk '/^Threads:/ {print $2}' "/proc/$KERNEL_PID/status" 2>/dev/null || true)
    fds=$( (find "/proc/$KERNEL_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null || true) | wc -l)
    printf '%s,%s,%s,%s,%s,%s\n' "${now%.*}" "$(awk -v a="$now" -v b="$started" 'BEGIN {printf "%.1f", a - b}')" \
      "$(cat "$BENCH_TMP/phase" 2>/dev/null)" "$rss" "$threads" "$fds" >>"$CSV"
    sleep "$SAMPLE_SECONDS"
  done
) &
SAMPLER_PID=$!

ERRORS=0
WRK_BASE=(-t"$WRK_THREADS" -c"$CONNECTIONS" --latency)

# run_wrk NAME SECONDS SCRIPT [script args...]: one wrk run, output kept in
# $RESULTS_DIR/NAME.txt; sets LAST_REQUESTS and LAST_RPS.
run_wrk() {
  local name=$1 seconds=$2 script=$3
  shift 3
  local extra=()
  if (($# > 0)); then extra=(-- "$@"); fi
  echo "$name" >"$BENCH_TMP/phase"
  { printf '$ wrk'; printf ' %q' "${WRK_BASE[@]}" -d"${seconds}s" -s "${script#"$ROOT"/}" \
      "http://127.0.0.1:$KERNEL_PORT" "${extra[@]}"; echo; } >"$RESULTS_DIR/$name.txt"
  wrk "${WRK_BASE[@]}" -d"${seconds}s" -s "$script" "http://127.0.0.1:$KERNEL_PORT" "${extra[@]}" \
    >>"$RESULTS_DIR/$name.txt" 2>&1 || log "$name: wrk exited non-zero"
  check_wrk_output "$RESULTS_DIR/$name.txt" "$name" || ERRORS=1
  LAST_REQUESTS=$(fkbench_field "$RESULTS_DIR/$name.txt" requests)
  LAST_RPS=$(fkbench_field "$RESULTS_DIR/$name.txt" rps)
  LAST_REQUESTS=${LAST_REQUESTS:-0}
  LAST_RPS=${LAST_RPS:-0}
  if ! kill -0 "$KERNEL_PID" 2>/dev/null; then
    log "the kernel process died during $name"; tail -20 "$BENCH_TMP/kernel.err" >&2
    KERNEL_PID=""
    ERRORS=1
    return 1
  fi
}

seconds_for() {  # seconds_for REQUESTS RATE: ceil(requests * 1.05 / rate), >= 1
  awk -v n="$1" -v r="$2" -v cap="$MAX_PHASE_SECONDS" 'BEGIN {
    if (r <= 0) { print cap; exit }
    s = int(n * 1.05 / r) + 1; if (s < 1) s = 1; if (s > cap) s = cap; print s }'
}

# kernel_count ROUTE: requests the kernel itself counted with status 200.
kernel_count() {
  curl -s --max-time 5 "http://127.0.0.1:$KERNEL_PORT/metrics" |
    awk -v route="$1" 'index($0, "finkernel_http_requests_total{method=\"GET\",route=\"" route "\",status=\"200\"}") == 1 {print $2}'
}

SUMMARY=()
GROWTH_FAILED=0

# soak_endpoint LABEL ROUTE SCRIPT [script args...]
soak_endpoint() {
  local label=$1 route=$2 script=$3
  shift 3
  log "$label: probe (3 s) to size the runs"
  run_wrk "$label-probe" 3 "$script" "$@" || return 0
  local warm_sent=$LAST_REQUESTS rate=$LAST_RPS
  if ((warm_sent < WARMUP_REQUESTS)); then
    local warm_seconds
    warm_seconds=$(seconds_for $((WARMUP_REQUESTS - warm_sent)) "$rate")
    log "$label: warm-up ${warm_seconds}s at ~${rate} req/s"
    run_wrk "$label-warmup" "$warm_seconds" "$script" "$@" || return 0
    warm_sent=$((warm_sent + LAST_REQUESTS))
    rate=$LAST_RPS
  fi
  local counted_before rss_warm
  counted_before=$(kernel_count "$route")
  rss_warm=$(vm_rss_kb "$KERNEL_PID")
  log "$label: $warm_sent warm-up requests sent; VmRSS $rss_warm kB"

  local sent=0 round seconds started=$SECONDS
  for ((round = 1; round <= 4 && sent < REQUESTS; round++)); do
    seconds=$(seconds_for $((REQUESTS - sent)) "$rate")
    log "$label: soak round $round, ${seconds}s at ~${rate} req/s ($sent of $REQUESTS sent; load $(load_average))"
    run_wrk "$label-soak-$round" "$seconds" "$script" "$@" || return 0
    sent=$((sent + LAST_REQUESTS))
    rate=$LAST_RPS
    if ((SECONDS - started > 2 * MAX_PHASE_SECONDS)); then break; fi
  done
  local elapsed=$((SECONDS - started))
  local rss_end counted_after growth
  rss_end=$(vm_rss_kb "$KERNEL_PID")
  counted_after=$(kernel_count "$route")
  growth=$(awk -v a="$rss_warm" -v b="$rss_end" 'BEGIN {printf "%.2f", (b - a) * 100 / a}')
  echo "$label-end" >"$BENCH_TMP/phase"
  local verdict=ok
  if awk -v g="$growth" -v m="$MAX_GROWTH" 'BEGIN {exit !(g > m)}'; then verdict="FAIL (> ${MAX_GROWTH} %)"; GROWTH_FAILED=1; fi
  if ((sent < REQUESTS)); then
    log "$label: only $sent of $REQUESTS requests sent within the time cap"
    ERRORS=1
  fi
  SUMMARY+=("$(printf '| %-22s | %9s | %9s | %12s | %8s | %8s | %11s | %8s | %s |' "$label" "$warm_sent" "$sent" \
    "$((counted_after - counted_before))" "$elapsed" "$rss_warm" "$rss_end" "$growth" "$verdict")")
}

soak_endpoint tenant-settings /v1/tenant/settings "$BENCH_DIR/wrk/tenant_settings.lua" "$TENANT_ID"
if [[ "$WITH_HEALTH" == 1 && -n "$KERNEL_PID" ]]; then
  soak_endpoint health /health "$BENCH_DIR/wrk/health.lua"
fi
stop_sampler
log "load average at the end: $(load_average)"

{
  echo
  echo "FinKernel soak, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, build ${BUILD_TYPE:-?}, source $SOURCE_REVISION"
  echo "wrk -t$WRK_THREADS -c$CONNECTIONS (keep-alive); kernel HTTP threads $SERVER_THREADS; demo tenant $TENANT_ID"
  echo
  echo "| endpoint               | warm-up   | soak reqs | kernel 200s  | soak s   | RSS warm | RSS end     | growth % | verdict |"
  echo "|------------------------|-----------|-----------|--------------|----------|----------|-------------|----------|---------|"
  for row in "${SUMMARY[@]}"; do echo "$row"; done
  echo
  echo "RSS in kB (VmRSS of the finkernel process); samples every ${SAMPLE_SECONDS}s in $CSV;"
  echo "raw wrk outputs in $RESULTS_DIR. 'kernel 200s' = growth of finkernel_http_requests_total{status=200}"
  echo "for the route during the soak rounds, as counted by the kernel."
} | tee "$RESULTS_DIR/summary.txt"

if ((GROWTH_FAILED)); then exit 1; fi
if ((ERRORS)) || ((${#SUMMARY[@]} == 0)); then exit 2; fi
exit 0
