# shellcheck shell=bash disable=SC2034
# Shared helpers for bench/run.sh and bench/soak.sh; sourced, not executed.
#
# Expects ROOT (repository root) and BENCH_TMP (a private temporary directory
# the caller created and removes) to be set. Every wait below is bounded.

KERNEL_PORT=18080
NGINX_PORT=18081
PISTACHE_PORT=18082

KERNEL_PID=""
KERNEL_PG_DIR=""
TENANT_ID=""

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found (apt-get install -y wrk nginx-light curl)"
  done
}

# Refuse to start when something already listens on PORT: the numbers would
# belong to someone else's server.
require_free_port() {
  if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/" 2>/dev/null; then
    die "port $1 is already in use on 127.0.0.1"
  fi
}

# build_if_needed BUILD_DIR_ARG TARGET...: with an empty BUILD_DIR_ARG
# configure $ROOT/build-bench (RelWithDebInfo) and build the TARGETs there;
# otherwise use that existing build directory as is. Sets BUILD_DIR.
build_if_needed() {
  local given=$1
  shift
  if [[ -n "$given" ]]; then
    BUILD_DIR=$(cd "$given" && pwd) || die "no build directory $given"
  else
    BUILD_DIR="$ROOT/build-bench"
    log "building $* into $BUILD_DIR (RelWithDebInfo)"
    cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$BENCH_TMP/cmake.log" 2>&1 ||
      { tail -20 "$BENCH_TMP/cmake.log" >&2; die "cmake configure failed"; }
    cmake --build "$BUILD_DIR" -j2 --target "$@" >"$BENCH_TMP/build.log" 2>&1 ||
      { tail -30 "$BENCH_TMP/build.log" >&2; die "build failed"; }
  fi
  # The kernel reads kernel.yaml, tenants/ and policies/ from the source tree
  # it was built from (they must match the binary), taken from CMakeCache.txt.
  KERNEL_SOURCE_DIR=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)
  [[ -n "$KERNEL_SOURCE_DIR" && -d "$KERNEL_SOURCE_DIR" ]] || KERNEL_SOURCE_DIR=$ROOT
  # What was built, for the report (read-only git queries). A source tree
  # without .git (e.g. a `git archive` snapshot) may name its commit in
  # .fk-bench-revision. For a given BUILD_DIR this describes the tree now.
  if git -C "$KERNEL_SOURCE_DIR" rev-parse --git-dir >/dev/null 2>&1; then
    SOURCE_REVISION=$(git -C "$KERNEL_SOURCE_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
    if ! git -C "$KERNEL_SOURCE_DIR" diff --quiet HEAD -- kernel CMakeLists.txt cmake 2>/dev/null; then
      SOURCE_REVISION+=" + uncommitted kernel changes"
    fi
  elif [[ -f "$KERNEL_SOURCE_DIR/.fk-bench-revision" ]]; then
    SOURCE_REVISION="$(head -1 "$KERNEL_SOURCE_DIR/.fk-bench-revision") (snapshot in $KERNEL_SOURCE_DIR)"
  else
    SOURCE_REVISION="unknown ($KERNEL_SOURCE_DIR)"
  fi
  KERNEL_BIN="$BUILD_DIR/kernel/finkernel"
  [[ -x "$KERNEL_BIN" ]] || die "$KERNEL_BIN missing; build the finkernel target first"
  BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)
}

# start_kernel THREADS: the real binary, dev mode, embedded PostgreSQL in
# $BENCH_TMP/pg, warn-level logs, run from its source tree (kernel.yaml,
# tenants/, policies/). Sets KERNEL_PID and TENANT_ID.
start_kernel() {
  local threads=$1
  KERNEL_PG_DIR="$BENCH_TMP/pg"
  # Policies: the source tree's, with bench/policies/ratelimits.yaml over the
  # rate limits unless BENCH_RATE_LIMITS=source (see that file for why).
  local policy_env=()
  if [[ -d "$KERNEL_SOURCE_DIR/policies" ]]; then
    mkdir -p "$BENCH_TMP/policies"
    cp -R "$KERNEL_SOURCE_DIR/policies/." "$BENCH_TMP/policies/"
    if [[ "${BENCH_RATE_LIMITS:-bench}" != source && -f "$BENCH_TMP/policies/ratelimits.yaml" ]]; then
      cp "$ROOT/bench/policies/ratelimits.yaml" "$BENCH_TMP/policies/ratelimits.yaml"
      log "rate limits: bench/policies/ratelimits.yaml (never triggers)"
    else
      log "rate limits: the source tree's policies/ratelimits.yaml"
    fi
    policy_env=(FINKERNEL_IDENTITY_POLICY_DIR="$BENCH_TMP/policies")
  fi
  (
    cd "$KERNEL_SOURCE_DIR" || exit 1
    # Unknown FINKERNEL_* variables are ignored, so this also suits builds
    # that predate the identity section: keep the key ring out of the repo.
    exec env FINKERNEL_EMBEDDED_DATA_DIR="$KERNEL_PG_DIR" FINKERNEL_LOG_LEVEL=warn \
      FINKERNEL_HTTP_THREADS="$threads" \
      FINKERNEL_IDENTITY_SIGNING_KEYS_FILE="$BENCH_TMP/keys/signing-keys.json" "${policy_env[@]}" \
      "$KERNEL_BIN" run --config "$KERNEL_SOURCE_DIR/kernel.yaml" --dev-mode --port "$KERNEL_PORT" \
      >"$BENCH_TMP/kernel.out" 2>"$BENCH_TMP/kernel.err"
  ) &
  KERNEL_PID=$!
  log "kernel pid $KERNEL_PID starting (embedded cluster in $KERNEL_PG_DIR, $threads HTTP threads)"
  local i
  for ((i = 0; i < 240; i++)); do  # <= 120 s: initdb, migrations, seeding
    if grep -q 'serving on http://' "$BENCH_TMP/kernel.out" 2>/dev/null; then break; fi
    if ! kill -0 "$KERNEL_PID" 2>/dev/null; then
      tail -20 "$BENCH_TMP/kernel.err" >&2
      KERNEL_PID=""
      die "kernel exited during start-up"
    fi
    sleep 0.5
  done
  grep -q 'serving on http://' "$BENCH_TMP/kernel.out" || die "kernel did not print its banner within 120 s"
  TENANT_ID=$(sed -n 's/^ *tenant:  demo (id \([0-9a-fA-F-]*\)).*/\1/p' "$BENCH_TMP/kernel.out" | head -1)
  [[ -n "$TENANT_ID" ]] || die "no demo tenant in the kernel banner"
  log "kernel up; demo tenant $TENANT_ID"
}

# The embedded cluster's postmaster (pg_ctl daemonizes it: not our child).
postmaster_pid() {
  local pid
  pid=$(head -1 "$KERNEL_PG_DIR/data/postmaster.pid" 2>/dev/null || true)
  if [[ "$pid" =~ ^[0-9]+$ ]]; then echo "$pid"; fi
}

# cpu_ticks [--with-children] PID...: user+system clock ticks used so far by
# the PIDs (all their threads), optionally plus their live children.
cpu_ticks() {
  local children=0 pid pids=()
  if [[ "${1:-}" == --with-children ]]; then children=1; shift; fi
  for pid in "$@"; do
    pids+=("$pid")
    if ((children)); then
      while read -r pid; do pids+=("$pid"); done < <(ps -o pid= --ppid "$pid" 2>/dev/null || true)
    fi
  done
  for pid in "${pids[@]}"; do
    sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null || true
  done | awk '{ total += $12 + $13 } END { print total + 0 }'
}

vm_rss_kb() {
  awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || true
}

# stop_kernel: SIGTERM, wait for the drain (<= 30 s), then SIGKILL as a last
# resort, in which case the orphaned embedded postmaster is stopped too.
stop_kernel() {
  [[ -n "$KERNEL_PID" ]] || return 0
  local pid=$KERNEL_PID i status=0
  KERNEL_PID=""
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 120; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "kernel $pid still running 30 s after SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    status=1
  fi
  wait "$pid" 2>/dev/null || status=$?
  local postmaster
  postmaster=$(postmaster_pid)
  if [[ -n "$postmaster" ]]; then
    # Only a live postmaster of *our* data directory (pids get reused).
    if tr '\0' ' ' <"/proc/$postmaster/cmdline" 2>/dev/null | grep -qF "$KERNEL_PG_DIR"; then
      log "embedded postmaster $postmaster outlived the kernel; stopping it"
      kill -TERM "$postmaster" 2>/dev/null || true
      for ((i = 0; i < 40; i++)); do
        kill -0 "$postmaster" 2>/dev/null || break
        sleep 0.25
      done
    fi
  fi
  log "kernel stopped (exit status $status)"
  KERNEL_EXIT_STATUS=$status
}

# fkbench_field FILE NAME: a field of the FKBENCH line wrk printed into FILE.
fkbench_field() {
  sed -n 's/^FKBENCH .*\b'"$2"'=\([^ ]*\).*/\1/p' "$1" | tail -1
}

# check_wrk_output FILE LABEL: warn (to stderr) about non-200 statuses and
# socket errors; returns 1 when any were seen.
check_wrk_output() {
  local file=$1 label=$2 bad=0 field value
  if ! grep -q '^FKBENCH ' "$file"; then
    log "$label: wrk printed no FKBENCH line:"; cat "$file" >&2
    return 1
  fi
  for field in non200 connect_errors read_errors write_errors timeouts; do
    value=$(fkbench_field "$file" "$field")
    if [[ "$value" != 0 ]]; then
      log "$label: $field=$value (statuses: $(fkbench_field "$file" statuses))"
      bad=1
    fi
  done
  return $bad
}

load_average() { cut -d' ' -f1-3 /proc/loadavg; }
