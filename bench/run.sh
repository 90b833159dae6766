#!/usr/bin/env bash
# bench/run.sh: throughput and latency of the real `finkernel run` binary,
# next to reference servers measured in the same run with the same wrk
# settings.
#
#   bench/run.sh [BUILD_DIR]
#
# Without BUILD_DIR it configures and builds $ROOT/build-bench
# (RelWithDebInfo, targets finkernel and fk_bench_pistache_reference); with
# one it uses that build directory as is.
#
# Targets, all on 127.0.0.1:
#   kernel /health            :18080  finkernel run --dev-mode, embedded PostgreSQL
#   kernel /v1/tenant/settings :18080  same process, X-Tenant-Id: <demo tenant>
#   nginx  /health            :18081  bench/reference/nginx.conf, a static file
#                                     holding the kernel's captured /health body
#   pistache /health          :18082  bench/reference/pistache_minimal.cpp (if built)
#
# Settings (environment):
#   BENCH_WRK_THREADS (2), BENCH_CONNECTIONS (32)   wrk -t / -c, for every target
#   BENCH_DURATION (10s)      one measured run
#   BENCH_ROUNDS (3)          interleaved rounds over all targets; medians reported
#   BENCH_WARMUP (3s)         warm-up, once per target before its first round
#   BENCH_SERVER_THREADS (2)  kernel HTTP threads and Pistache reference threads
#                             (bench/reference/nginx.conf: worker_processes 2)
#   BENCH_RATE_LIMITS (bench) see bench/policies/ratelimits.yaml; "source" keeps
#                             the source tree's limits (the tenant read then 429s)
#   BENCH_RESULTS_DIR         raw wrk outputs (/tmp/fk-bench-results-<timestamp>)
#
# Whole run: 4 x warm-up + 4 x rounds x duration + start-up, about 2.5 minutes
# with the defaults, plus the build when no BUILD_DIR is given. Exit status 1
# when any target answered non-200, wrk saw socket errors or the kernel died.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR="$ROOT/bench"
# shellcheck source=lib.sh
source "$BENCH_DIR/lib.sh"

WRK_THREADS=${BENCH_WRK_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
DURATION=${BENCH_DURATION:-10s}
ROUNDS=${BENCH_ROUNDS:-3}
WARMUP=${BENCH_WARMUP:-3s}
SERVER_THREADS=${BENCH_SERVER_THREADS:-2}
RESULTS_DIR=${BENCH_RESULTS_DIR:-/tmp/fk-bench-results-$(date +%Y%m%d-%H%M%S)}

require_tools wrk nginx curl cmake awk
BENCH_TMP=$(mktemp -d /tmp/fk-bench.XXXXXX)
# The embedded cluster runs as the `finkernel` OS user and nginx workers as
# `nobody`: both need to traverse this directory.
chmod 755 "$BENCH_TMP"
mkdir -p "$RESULTS_DIR"

NGINX_CONF="$BENCH_DIR/reference/nginx.conf"
NGINX_PREFIX="$BENCH_TMP/nginx"
NGINX_PID=""
PISTACHE_PID=""

stop_nginx() {
  [[ -n "$NGINX_PID" ]] || return 0
  local pid=$NGINX_PID i
  NGINX_PID=""
  nginx -q -s quit -c "$NGINX_CONF" -p "$NGINX_PREFIX/" -e "$NGINX_PREFIX/error.log" 2>/dev/null ||
    kill -QUIT "$pid" 2>/dev/null || true
  for ((i = 0; i < 40; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "nginx $pid ignored quit for 10 s; sending SIGTERM"
    kill -TERM "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

stop_pistache() {
  [[ -n "$PISTACHE_PID" ]] || return 0
  local pid=$PISTACHE_PID i
  PISTACHE_PID=""
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 40; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_pistache
  stop_nginx
  stop_kernel
  if [[ -s "$BENCH_TMP/kernel.err" ]]; then cp "$BENCH_TMP/kernel.err" "$RESULTS_DIR/kernel.err"; fi
  if [[ -s "$NGINX_PREFIX/error.log" ]]; then cp "$NGINX_PREFIX/error.log" "$RESULTS_DIR/nginx-error.log"; fi
  rm -rf "$BENCH_TMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_http() {  # wait_http URL [curl args...]: <= 10 s
  local url=$1 i
  shift
  for ((i = 0; i < 40; i++)); do
    if curl -sf -o /dev/null --max-time 1 "$@" "$url"; then return 0; fi
    sleep 0.25
  done
  return 1
}

for port in "$KERNEL_PORT" "$NGINX_PORT" "$PISTACHE_PORT"; do require_free_port "$port"; done
build_if_needed "${1:-}" finkernel fk_bench_pistache_reference
PISTACHE_BIN="$BUILD_DIR/bench/fk_bench_pistache_reference"

log "load average before start: $(load_average)"
start_kernel "$SERVER_THREADS"

# Capture the kernel's /health body: the references serve these very bytes.
mkdir -p "$NGINX_PREFIX/www" "$NGINX_PREFIX/tmp"
curl -sf --max-time 5 -D "$BENCH_TMP/health.headers" -o "$NGINX_PREFIX/www/health" \
  "http://127.0.0.1:$KERNEL_PORT/health" || die "kernel GET /health failed"
chmod 755 "$NGINX_PREFIX" "$NGINX_PREFIX/www"
chmod 644 "$NGINX_PREFIX/www/health"
HEALTH_BYTES=$(wc -c <"$NGINX_PREFIX/www/health")
HEALTH_TYPE=$(sed -n 's/^[Cc]ontent-[Tt]ype: *\([^\r]*\).*/\1/p' "$BENCH_TMP/health.headers")
cp "$NGINX_PREFIX/www/health" "$RESULTS_DIR/health-body.json"
log "kernel /health body: $HEALTH_BYTES bytes, $HEALTH_TYPE"

nginx -c "$NGINX_CONF" -p "$NGINX_PREFIX/" -e "$NGINX_PREFIX/error.log" &
NGINX_PID=$!
wait_http "http://127.0.0.1:$NGINX_PORT/health" || die "nginx did not answer on :$NGINX_PORT"
REF_TYPE=$(curl -s -D - -o "$BENCH_TMP/nginx-body" "http://127.0.0.1:$NGINX_PORT/health" |
  sed -n 's/^[Cc]ontent-[Tt]ype: *\([^\r]*\).*/\1/p')
cmp -s "$BENCH_TMP/nginx-body" "$NGINX_PREFIX/www/health" || die "nginx serves other bytes than the kernel"
[[ "$REF_TYPE" == "$HEALTH_TYPE" ]] || die "nginx content type '$REF_TYPE' differs from the kernel's '$HEALTH_TYPE'"

if [[ -x "$PISTACHE_BIN" ]]; then
  "$PISTACHE_BIN" "$PISTACHE_PORT" "$SERVER_THREADS" "$NGINX_PREFIX/www/health" >"$BENCH_TMP/pistache.out" 2>&1 &
  PISTACHE_PID=$!
  wait_http "http://127.0.0.1:$PISTACHE_PORT/health" -H 'Connection: keep-alive' ||
    die "Pistache reference did not answer on :$PISTACHE_PORT"
else
  log "no $PISTACHE_BIN; skipping the Pistache reference"
fi

# Identical settings for every target, including the Connection: keep-alive
# header (needed by Pistache 0.0.5, the HTTP/1.1 default for the others).
WRK_ARGS=(-t"$WRK_THREADS" -c"$CONNECTIONS" --latency -H 'Connection: keep-alive')
FAILED=0

CLK_TCK=$(getconf CLK_TCK)

server_ticks() {  # server_ticks kernel|nginx|pistache
  case $1 in
    kernel) cpu_ticks "$KERNEL_PID" ;;
    nginx) cpu_ticks --with-children "$NGINX_PID" ;;
    pistache) cpu_ticks "$PISTACHE_PID" ;;
  esac
}
postgres_ticks() {
  local postmaster
  postmaster=$(postmaster_pid)
  if [[ -n "$postmaster" ]]; then cpu_ticks --with-children "$postmaster"; else echo 0; fi
}

# measure NAME ROUND SERVER URL SCRIPT [script args...]: one measured wrk run
# into $RESULTS_DIR/NAME.rROUND.txt (+ .cpu), preceded in round 1 by a
# warm-up. SERVER is kernel, nginx or pistache: whose CPU time is recorded.
measure() {
  local name=$1 round=$2 server=$3 url=$4 script=$5
  shift 5
  local extra=()
  if (($# > 0)); then extra=(-- "$@"); fi
  local out="$RESULTS_DIR/$name.r$round"
  if ((round == 1)); then
    log "$name: warm-up $WARMUP"
    wrk "${WRK_ARGS[@]}" -d"$WARMUP" -s "$script" "$url" "${extra[@]}" >"$RESULTS_DIR/$name.warmup.txt" 2>&1 || true
  fi
  log "$name: round $round, measuring $DURATION (load average $(load_average))"
  { printf '$ wrk'; printf ' %q' "${WRK_ARGS[@]}" -d"$DURATION" -s "${script#"$ROOT"/}" "$url" "${extra[@]}"; echo; } \
    >"$out.txt"
  local server_before postgres_before server_after postgres_after wrk_cpu_s wall_us
  server_before=$(server_ticks "$server")
  postgres_before=$(postgres_ticks)
  # `times` (a builtin, run in this shell) reports CPU used by reaped children.
  times >"$BENCH_TMP/times.before"
  if ! wrk "${WRK_ARGS[@]}" -d"$DURATION" -s "$script" "$url" "${extra[@]}" >>"$out.txt" 2>&1; then
    log "$name: wrk failed"
  fi
  times >"$BENCH_TMP/times.after"
  server_after=$(server_ticks "$server")
  postgres_after=$(postgres_ticks)
  wrk_cpu_s=$(awk 'FNR == 2 { for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); t[FILENAME] += p[1] * 60 + p[2] } }
    END { printf "%.3f", t[ARGV[2]] - t[ARGV[1]] }' "$BENCH_TMP/times.before" "$BENCH_TMP/times.after")
  # CPU used during the measured run, in % of one core: server, postgres, wrk.
  wall_us=$(fkbench_field "$out.txt" duration_us)
  # 4th value: requests per CPU-second of the server side (kernel + PostgreSQL
  # for the kernel, the reference server alone otherwise): less sensitive to
  # other load on the machine than requests/s.
  local server_side_ticks=$((server_after - server_before))
  if [[ "$server" == kernel ]]; then server_side_ticks=$((server_side_ticks + postgres_after - postgres_before)); fi
  awk -v s=$((server_after - server_before)) -v p=$((postgres_after - postgres_before)) -v w="$wrk_cpu_s" \
    -v hz="$CLK_TCK" -v us="${wall_us:-0}" -v side="$server_side_ticks" \
    -v n="$(fkbench_field "$out.txt" requests)" \
    'BEGIN { if (us <= 0) { print "? ? ? ?"; exit }
             per_cpu = "?"; if (side > 0) per_cpu = sprintf("%.0f", n / (side / hz))
             printf "%.0f %.0f %.0f %s\n", s / hz * 1e8 / us, p / hz * 1e8 / us, w * 1e8 / us, per_cpu }' \
    >"$out.cpu"
  check_wrk_output "$out.txt" "$name round $round" || FAILED=1
  if [[ -n "$KERNEL_PID" ]] && ! kill -0 "$KERNEL_PID" 2>/dev/null; then
    log "the kernel process is gone"; tail -20 "$BENCH_TMP/kernel.err" >&2
    KERNEL_PID=""
    FAILED=1
  fi
}

TARGETS=(kernel-health kernel-tenant-settings nginx-health)
if [[ -n "$PISTACHE_PID" ]]; then TARGETS+=(pistache-health); fi
# Rounds interleave the targets, so a burst of load from other users of the
# machine hits one round of each rather than all rounds of one target.
for ((round = 1; round <= ROUNDS; round++)); do
  measure kernel-health "$round" kernel "http://127.0.0.1:$KERNEL_PORT" "$BENCH_DIR/wrk/health.lua"
  measure kernel-tenant-settings "$round" kernel "http://127.0.0.1:$KERNEL_PORT" \
    "$BENCH_DIR/wrk/tenant_settings.lua" "$TENANT_ID"
  measure nginx-health "$round" nginx "http://127.0.0.1:$NGINX_PORT" "$BENCH_DIR/wrk/health.lua"
  if [[ -n "$PISTACHE_PID" ]]; then
    measure pistache-health "$round" pistache "http://127.0.0.1:$PISTACHE_PORT" "$BENCH_DIR/wrk/health.lua"
  fi
done
KERNEL_RSS_KB=$( [[ -n "$KERNEL_PID" ]] && vm_rss_kb "$KERNEL_PID" || echo "?")
curl -s --max-time 5 "http://127.0.0.1:$KERNEL_PORT/metrics" >"$RESULTS_DIR/kernel-metrics.txt" || true
log "load average after the runs: $(load_average)"

# median NAME FIELD: median over the rounds of an FKBENCH field.
median() {
  local round values=()
  for ((round = 1; round <= ROUNDS; round++)); do
    values+=("$(fkbench_field "$RESULTS_DIR/$1.r$round.txt" "$2")")
  done
  printf '%s\n' "${values[@]}" | awk 'NF { v[++n] = $1 } END {
    if (n == 0) { print ""; exit }
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    print (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }'
}
# median_cpu NAME COLUMN (1 server, 2 postgres, 3 wrk, 4 requests per server-side CPU-second)
median_cpu() {
  local round
  for ((round = 1; round <= ROUNDS; round++)); do
    awk -v c="$2" '{ print $c }' "$RESULTS_DIR/$1.r$round.cpu" 2>/dev/null || true
  done | awk '$1 ~ /^[0-9.]+$/ { v[++n] = $1 } END {
    if (n == 0) { print "?"; exit }
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    print (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }'
}
# total NAME FIELD...: sum over the rounds and fields.
total() {
  local name=$1 round field value sum=0
  shift
  for ((round = 1; round <= ROUNDS; round++)); do
    for field in "$@"; do
      value=$(fkbench_field "$RESULTS_DIR/$name.r$round.txt" "$field")
      sum=$((sum + ${value:-0}))
    done
  done
  echo "$sum"
}
range() {  # range NAME: min-max of requests/s over the rounds
  local round
  for ((round = 1; round <= ROUNDS; round++)); do fkbench_field "$RESULTS_DIR/$1.r$round.txt" rps; done |
    awk 'NF { if (n++ == 0 || $1 < lo) lo = $1; if ($1 > hi) hi = $1 } END { if (n) printf "%.0f-%.0f", lo, hi; else print "?" }'
}
ms() { awk -v us="$1" 'BEGIN { if (us == "") print "?"; else printf "%.2f", us / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "?"; else printf "%.3f", a / b }'; }
rps() { median "$1" rps; }

{
  echo
  echo "FinKernel bench, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, build ${BUILD_TYPE:-?}, source $SOURCE_REVISION"
  echo "wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION --latency -H 'Connection: keep-alive', $ROUNDS interleaved rounds"
  echo "per target after a $WARMUP warm-up; server threads/workers: $SERVER_THREADS; medians over the rounds"
  echo "/health body: $HEALTH_BYTES bytes, $HEALTH_TYPE; demo tenant $TENANT_ID"
  echo
  printf '| %-24s | %10s | %15s | %6s | %6s | %6s | %7s | %7s | %6s | %6s | %6s | %9s |\n' target "req/s" \
    "req/s range" "p50 ms" "p90 ms" "p99 ms" non-200 "sockerr" "server" "pg" "wrk" "req/CPU-s"
  echo "|--------------------------|------------|-----------------|--------|--------|--------|---------|---------|--------|--------|--------|-----------|"
  for name in "${TARGETS[@]}"; do
    printf '| %-24s | %10.0f | %15s | %6s | %6s | %6s | %7s | %7s | %5s%% | %5s%% | %5s%% | %9s |\n' "$name" \
      "$(rps "$name")" "$(range "$name")" "$(ms "$(median "$name" p50_us)")" "$(ms "$(median "$name" p90_us)")" \
      "$(ms "$(median "$name" p99_us)")" "$(total "$name" non200)" \
      "$(total "$name" connect_errors read_errors write_errors timeouts)" \
      "$(median_cpu "$name" 1)" "$(median_cpu "$name" 2)" "$(median_cpu "$name" 3)" "$(median_cpu "$name" 4)"
  done
  echo
  echo "ratios (median requests/s):"
  echo "  kernel /health / nginx /health             = $(ratio "$(rps kernel-health)" "$(rps nginx-health)")"
  if [[ " ${TARGETS[*]} " == *" pistache-health "* ]]; then
    echo "  kernel /health / pistache /health          = $(ratio "$(rps kernel-health)" "$(rps pistache-health)")"
  fi
  echo "  kernel tenant read / kernel /health        = $(ratio "$(rps kernel-tenant-settings)" "$(rps kernel-health)")"
  echo "  kernel tenant read / nginx /health         = $(ratio "$(rps kernel-tenant-settings)" "$(rps nginx-health)")"
  echo "ratios (median requests per server-side CPU-second):"
  echo "  kernel /health / nginx /health             = $(ratio "$(median_cpu kernel-health 4)" "$(median_cpu nginx-health 4)")"
  if [[ " ${TARGETS[*]} " == *" pistache-health "* ]]; then
    echo "  kernel /health / pistache /health          = $(ratio "$(median_cpu kernel-health 4)" "$(median_cpu pistache-health 4)")"
  fi
  echo "  kernel tenant read / kernel /health        = $(ratio "$(median_cpu kernel-tenant-settings 4)" "$(median_cpu kernel-health 4)")"
  echo
  echo "non-200 and sockerr (connect/read/write errors + timeouts) are totals over the rounds."
  echo "server / pg / wrk: CPU used during the measured runs, in % of one core, by the server under"
  echo "test (kernel process, nginx master+workers, or the Pistache reference), by the embedded"
  echo "PostgreSQL cluster (postmaster + backends) and by wrk; the machine has $(nproc) cores"
  echo "(= $(($(nproc) * 100))%), shared by all of them and by anything else running. req/CPU-s:"
  echo "requests per CPU-second of the server side (kernel + PostgreSQL for the kernel targets)."
  echo "kernel VmRSS after the runs: ${KERNEL_RSS_KB} kB; raw wrk outputs in $RESULTS_DIR"
} | tee "$RESULTS_DIR/summary.txt"

if ((FAILED)); then
  log "some target answered non-200 or had socket errors; see above"
  exit 1
fi
