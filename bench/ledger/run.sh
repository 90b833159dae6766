#!/usr/bin/env bash
# bench/ledger/run.sh: the ledger posting benchmark (issue 6). One run of the
# real `finkernel run` binary with the ledger plugin, embedded PostgreSQL in
# a temporary data directory, and in the SAME run, against the SAME database,
# pgbench executing the SQL of one posting directly as the runtime role.
#
#   bench/ledger/run.sh [BUILD_DIR]
#
# Without BUILD_DIR it configures and builds $ROOT/build-bench-ledger
# (RelWithDebInfo, target finkernel); with one it uses that build directory
# as is. The ledger plugin is always built out of tree against the SDK
# installed from that build (tests/ledger/build_ledger_plugin.sh), staged in a
# private plugins dir and signed with a throw-away publisher key that the
# run's policies trust: the kernel runs WITHOUT dev_mode.
#
# What it measures (all on 127.0.0.1, kernel on :$LEDGER_BENCH_PORT):
#   kernel   wrk: POST /v1/ledger/entries, one balanced 2-line entry per
#            request, Bearer token of a tenant user with role accountant
#            (authenticated, rate-limited, RBAC-checked, audited, under RLS)
#   framed   pgbench: BEGIN; set_config('fk.tenant_id', ..., true);
#            SELECT ledger_post_entry(...); COMMIT  (bench/ledger/pgbench_framed.sql)
#   plain    pgbench: SELECT ledger_post_entry(...) alone, tenant from
#            PGOPTIONS (bench/ledger/pgbench_plain.sql)
#   kernelsql pgbench: all the statements the kernel sends for one posting
#            (user row, outbox event, audit append too; 7 round trips), no
#            HTTP/C++ work (bench/ledger/pgbench_kernel_sql.sql)
#   batch    POST /v1/ledger/batches, atomic and independent mode: lines/s
#   trace    the statements (round trips) of a few single postings, from the
#            server log with log_min_duration_statement=0
#
# Settings (environment):
#   LEDGER_BENCH_CONNECTIONS (8)   wrk -c and pgbench -c
#   LEDGER_BENCH_THREADS (2)       wrk -t and pgbench -j
#   LEDGER_BENCH_DURATION (15)     seconds per measured run
#   LEDGER_BENCH_WARMUP (5)        seconds of warm-up, kernel and pgbench each
#   LEDGER_BENCH_ROUNDS (3)        interleaved rounds kernel/framed/plain/kernelsql; medians
#   LEDGER_BENCH_SERVER_THREADS (2) kernel HTTP threads
#   LEDGER_BENCH_ACCOUNTS (8)      revenue (income) accounts 4001..40nn, credited at random
#   LEDGER_BENCH_CASH_ACCOUNTS (1) cash (asset) accounts 1001..10mm, debited at random;
#                                  1 = every posting locks the same hot account
#   LEDGER_BENCH_PGBENCH_MODE (prepared)  pgbench -M prepared, or extended (unnamed
#                                  statements, re-parsed each time, as the kernel sends them)
#   LEDGER_BENCH_BATCH_ENTRIES (500)  entries per batch (2 lines each)
#   LEDGER_BENCH_BATCH_REQUESTS (40)  batches per mode (after BATCH_WARMUP not counted)
#   LEDGER_BENCH_BATCH_WARMUP (8)     warm-up batches per mode, BATCH_CLIENTS at a time
#   LEDGER_BENCH_BATCH_CLIENTS (2)    batches in flight at once
#   LEDGER_BENCH_PORT (18090)      kernel port (outside 32768-60999)
#   LEDGER_BENCH_PROFILE (0)       1: perf record the kernel during one extra posting run
#                                  and during one extra pair of batches
#   LEDGER_BENCH_POSTINGS (1)      0: skip the single-posting rounds (batches only)
#   LEDGER_BENCH_RESULTS_DIR       raw outputs (/tmp/fk-ledger-bench-<timestamp>)
#
# Exit status 1 when any posting answered other than 201, a batch failed,
# wrk saw socket errors, pgbench reported failures, or the kernel died.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE="$ROOT/bench/ledger"
# shellcheck source=../lib.sh
source "$ROOT/bench/lib.sh"

KERNEL_PORT=${LEDGER_BENCH_PORT:-18090}
CONNECTIONS=${LEDGER_BENCH_CONNECTIONS:-8}
THREADS=${LEDGER_BENCH_THREADS:-2}
DURATION=${LEDGER_BENCH_DURATION:-15}
WARMUP=${LEDGER_BENCH_WARMUP:-5}
ROUNDS=${LEDGER_BENCH_ROUNDS:-3}
SERVER_THREADS=${LEDGER_BENCH_SERVER_THREADS:-2}
ACCOUNTS=${LEDGER_BENCH_ACCOUNTS:-8}
CASH_ACCOUNTS=${LEDGER_BENCH_CASH_ACCOUNTS:-1}
PGBENCH_MODE=${LEDGER_BENCH_PGBENCH_MODE:-prepared}
[[ "$PGBENCH_MODE" == prepared || "$PGBENCH_MODE" == extended ]] ||
  die "LEDGER_BENCH_PGBENCH_MODE must be prepared or extended (the scripts pass values as parameters)"
BATCH_ENTRIES=${LEDGER_BENCH_BATCH_ENTRIES:-500}
BATCH_REQUESTS=${LEDGER_BENCH_BATCH_REQUESTS:-40}
BATCH_WARMUP=${LEDGER_BENCH_BATCH_WARMUP:-8}
BATCH_CLIENTS=${LEDGER_BENCH_BATCH_CLIENTS:-2}
PROFILE=${LEDGER_BENCH_PROFILE:-0}
POSTINGS=${LEDGER_BENCH_POSTINGS:-1}
RESULTS_DIR=${LEDGER_BENCH_RESULTS_DIR:-/tmp/fk-ledger-bench-$(date +%Y%m%d-%H%M%S)}
CASH_CODE=1001  # the first cash account (10mm)
REVENUE_PREFIX=40
TENANT_SLUG=bench
USER_EMAIL=accountant@bench.example
PUBLISHER=finkernel.dev  # = publisher: in plugins/ledger/manifest.yaml

((ACCOUNTS >= 1 && ACCOUNTS <= 99)) || die "LEDGER_BENCH_ACCOUNTS must be 1..99"
((CASH_ACCOUNTS >= 1 && CASH_ACCOUNTS <= 99)) || die "LEDGER_BENCH_CASH_ACCOUNTS must be 1..99"
require_tools wrk pgbench psql curl cmake awk jq
BENCH_TMP=$(mktemp -d /tmp/fk-ledger-bench.XXXXXX)
# The embedded cluster runs as the `finkernel` OS user when we are root.
chmod 755 "$BENCH_TMP"
mkdir -p "$RESULTS_DIR"
PERF_PID=""

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n "$PERF_PID" ]]; then kill -INT "$PERF_PID" 2>/dev/null || true; wait "$PERF_PID" 2>/dev/null || true; fi
  stop_kernel
  if [[ -s "$BENCH_TMP/kernel.err" ]]; then cp "$BENCH_TMP/kernel.err" "$RESULTS_DIR/kernel.err"; fi
  if [[ -s "$BENCH_TMP/pg/postgres.log" ]]; then cp "$BENCH_TMP/pg/postgres.log" "$RESULTS_DIR/postgres.log"; fi
  rm -rf "$BENCH_TMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- build ------------------------------------------------------------------

require_free_port "$KERNEL_PORT"
if [[ -z "${1:-}" ]]; then
  build="$ROOT/build-bench-ledger"
  log "building finkernel into $build (RelWithDebInfo)"
  launcher=()
  if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  fi
  cmake -S "$ROOT" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >"$BENCH_TMP/cmake.log" 2>&1 ||
    { tail -20 "$BENCH_TMP/cmake.log" >&2; die "cmake configure failed"; }
  cmake --build "$build" -j2 --target finkernel >"$BENCH_TMP/build.log" 2>&1 ||
    { tail -30 "$BENCH_TMP/build.log" >&2; die "build failed"; }
  set -- "$build"
fi
build_if_needed "$1"  # sets BUILD_DIR, KERNEL_BIN, KERNEL_SOURCE_DIR, SOURCE_REVISION, BUILD_TYPE

log "building the ledger plugin against the SDK installed from $BUILD_DIR"
"$ROOT/tests/ledger/build_ledger_plugin.sh" "$BUILD_DIR" "$BENCH_TMP/ledger-build" "$KERNEL_SOURCE_DIR" \
  >"$BENCH_TMP/plugin-build.log" 2>&1 || { tail -30 "$BENCH_TMP/plugin-build.log" >&2; die "ledger plugin build failed"; }
LEDGER_SO=$(sed -n 's/^ledger\.so: //p' "$BENCH_TMP/plugin-build.log" | tail -1)
BUNDLE=$(dirname "$LEDGER_SO")/ledger-bundle
[[ -f "$BUNDLE/ledger.so" ]] || BUNDLE="$BENCH_TMP/ledger-build/ledger-build/ledger-bundle"
[[ -f "$BUNDLE/ledger.so" ]] || die "no ledger bundle next to $LEDGER_SO"

# ---- stage: policies, signed plugin package, keys -----------------------------

mkdir -p "$BENCH_TMP/policies" "$BENCH_TMP/plugins" "$BENCH_TMP/keys" "$BENCH_TMP/publisher"
chmod 700 "$BENCH_TMP/keys" "$BENCH_TMP/publisher"
cp -R "$KERNEL_SOURCE_DIR/policies/." "$BENCH_TMP/policies/"
# Rate limits that never trigger: this is a throughput test, not a 429 test.
cp "$ROOT/bench/policies/ratelimits.yaml" "$BENCH_TMP/policies/ratelimits.yaml"
cp -R "$BUNDLE" "$BENCH_TMP/plugins/ledger"

KERNEL_ENV=(
  FINKERNEL_EMBEDDED_DATA_DIR="$BENCH_TMP/pg"
  FINKERNEL_LOG_LEVEL=warn
  FINKERNEL_HTTP_THREADS="$SERVER_THREADS"
  FINKERNEL_PLUGINS_DIR="$BENCH_TMP/plugins"
  FINKERNEL_IDENTITY_POLICY_DIR="$BENCH_TMP/policies"
  FINKERNEL_IDENTITY_SIGNING_KEYS_FILE="$BENCH_TMP/keys/signing-keys.json"
  FINKERNEL_IDENTITY_AUDIT_KEY_FILE="$BENCH_TMP/keys/audit-key.json"
  FINKERNEL_IDENTITY_MASTER_KEY_FILE="$BENCH_TMP/keys/master.key"
)
# fk CLI-ARGS...: the kernel's CLI with the run's configuration, from its source tree.
# Its log lines go to $BENCH_TMP/cli.err, shown when a step fails.
fk() {
  (cd "$KERNEL_SOURCE_DIR" && env "${KERNEL_ENV[@]}" "$KERNEL_BIN" "$@" --config "$KERNEL_SOURCE_DIR/kernel.yaml") \
    2>>"$BENCH_TMP/cli.err" || { tail -5 "$BENCH_TMP/cli.err" >&2; return 1; }
}

# A throw-away publisher key for the manifest's publisher, trusted by this run only.
(cd "$KERNEL_SOURCE_DIR" && "$KERNEL_BIN" plugin keygen --out "$BENCH_TMP/publisher/key.pem" --publisher "$PUBLISHER") \
  >"$BENCH_TMP/keygen.out" || die "plugin keygen failed"
{
  echo "publishers:"
  sed -n '/^  [A-Za-z0-9]/,$p' "$BENCH_TMP/keygen.out"
} >"$BENCH_TMP/policies/plugin-publishers.yaml"
(cd "$KERNEL_SOURCE_DIR" && "$KERNEL_BIN" plugin sign "$BENCH_TMP/plugins/ledger" \
  --key "$BENCH_TMP/publisher/key.pem" --publisher "$PUBLISHER") >"$BENCH_TMP/sign.out" || die "plugin sign failed"
fk plugin verify "$BENCH_TMP/plugins/ledger" >"$BENCH_TMP/verify.out" 2>&1 || true
grep -q '^OK plugin ledger' "$BENCH_TMP/verify.out" || { cat "$BENCH_TMP/verify.out" >&2; die "the signed ledger package does not verify"; }
log "ledger package signed and verified: $(head -1 "$BENCH_TMP/verify.out")"

# ---- start the kernel (no dev_mode) --------------------------------------------

LOAD_BEFORE=$(load_average)
log "load average before start: $LOAD_BEFORE"
KERNEL_PG_DIR="$BENCH_TMP/pg"
(
  cd "$KERNEL_SOURCE_DIR" || exit 1
  exec env "${KERNEL_ENV[@]}" "$KERNEL_BIN" run --config "$KERNEL_SOURCE_DIR/kernel.yaml" --port "$KERNEL_PORT" \
    >"$BENCH_TMP/kernel.out" 2>"$BENCH_TMP/kernel.err"
) &
KERNEL_PID=$!
log "kernel pid $KERNEL_PID starting (embedded cluster in $KERNEL_PG_DIR, $SERVER_THREADS HTTP threads)"
for ((i = 0; i < 240; i++)); do
  if grep -q 'serving on http://' "$BENCH_TMP/kernel.out" 2>/dev/null; then break; fi
  if ! kill -0 "$KERNEL_PID" 2>/dev/null; then
    tail -20 "$BENCH_TMP/kernel.err" >&2
    KERNEL_PID=""
    die "kernel exited during start-up"
  fi
  sleep 0.5
done
grep -q 'serving on http://' "$BENCH_TMP/kernel.out" || die "kernel did not print its banner within 120 s"
if grep -qi 'plugin refused' "$BENCH_TMP/kernel.err"; then
  grep -i 'plugin refused' "$BENCH_TMP/kernel.err" >&2
  die "the kernel refused the ledger plugin"
fi
BASE="http://127.0.0.1:$KERNEL_PORT"

# ---- tenant, plugin, user, token, accounts ---------------------------------------

fk tenant create "$TENANT_SLUG" --name "Ledger Bench" --json >"$BENCH_TMP/tenant.json" || die "tenant create failed"
TENANT_ID=$(jq -r '.[0].id' "$BENCH_TMP/tenant.json")
fk plugin enable ledger --tenant "$TENANT_SLUG" >"$BENCH_TMP/enable.out" || die "plugin enable failed"
USER_PASSWORD="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$USER_PASSWORD" |
  fk user create --tenant "$TENANT_SLUG" --email "$USER_EMAIL" --role accountant --name "Bench Accountant" \
    --password-stdin >"$BENCH_TMP/user.out" || die "user create failed"
USER_ID=$(sed -n 's/.*(id \([0-9a-f-]*\)).*/\1/p' "$BENCH_TMP/user.out" | head -1)
log "tenant $TENANT_SLUG ($TENANT_ID), ledger enabled, user $USER_EMAIL ($USER_ID, role accountant)"

# login: a fresh access token (they live 15 minutes; every phase takes a new one).
login() {
  local body
  body=$(jq -nc --arg t "$TENANT_SLUG" --arg e "$USER_EMAIL" --arg p "$USER_PASSWORD" \
    '{tenant: $t, email: $e, password: $p}')
  curl -sf --max-time 10 -X POST "$BASE/v1/auth/login" -H 'Content-Type: application/json' \
    -H 'Connection: close' -d "$body" | jq -er '.data.accessToken'
}
# api METHOD PATH [BODY]: authenticated JSON call, prints "STATUS BODY"
api() {
  local status data=()
  if (($# > 2)); then data=(--data-binary "$3"); fi
  status=$(curl -s --max-time 60 -o "$BENCH_TMP/api.body" -w '%{http_code}' -X "$1" "$BASE$2" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -H 'Connection: close' \
    "${data[@]}")
  printf '%s %s\n' "$status" "$(cat "$BENCH_TMP/api.body")"
}

# The plugin enablement is cached for tenancy.status_cache_ttl_ms (1 s).
TOKEN=""
for ((i = 0; i < 20; i++)); do
  TOKEN=$(login || true)
  if [[ -n "$TOKEN" ]]; then
    reply=$(api POST /v1/ledger/accounts \
      "{\"code\":\"$CASH_CODE\",\"name\":\"Cash 1\",\"type\":\"asset\",\"currency\":\"USD\"}")
    [[ "$reply" == 201* ]] && break
  fi
  sleep 0.5
done
[[ "${reply:-}" == 201* ]] || die "creating the cash account failed: ${reply:-no token}"
for ((a = 2; a <= CASH_ACCOUNTS; a++)); do
  code=$(printf '10%02d' "$a")
  reply=$(api POST /v1/ledger/accounts \
    "{\"code\":\"$code\",\"name\":\"Cash $a\",\"type\":\"asset\",\"currency\":\"USD\"}")
  [[ "$reply" == 201* ]] || die "creating account $code failed: $reply"
done
for ((a = 1; a <= ACCOUNTS; a++)); do
  code=$(printf '%s%02d' "$REVENUE_PREFIX" "$a")
  reply=$(api POST /v1/ledger/accounts \
    "{\"code\":\"$code\",\"name\":\"Revenue $a\",\"type\":\"income\",\"currency\":\"USD\"}")
  [[ "$reply" == 201* ]] || die "creating account $code failed: $reply"
done
log "accounts: $CASH_ACCOUNTS cash (asset) from $CASH_CODE and $ACCOUNTS income accounts ${REVENUE_PREFIX}01..$(printf '%s%02d' "$REVENUE_PREFIX" "$ACCOUNTS"), USD"

# One posting through the API, to learn the actor the plugin passes to SQL.
reply=$(api POST /v1/ledger/entries \
  "{\"description\":\"bench sale\",\"lines\":[{\"accountCode\":\"$CASH_CODE\",\"debit\":\"1.00\",\"currency\":\"USD\"},{\"accountCode\":\"${REVENUE_PREFIX}01\",\"credit\":\"1.00\",\"currency\":\"USD\"}]}")
[[ "$reply" == 201* ]] || die "a first posting failed: $reply"
ACTOR=$(jq -r '.data.entry.createdBy' <<<"${reply#* }")
log "first posting OK; actor as stored by the plugin: $ACTOR"

# ---- database access as the runtime role (what the kernel's pool uses) -------------

CREDENTIALS="$KERNEL_PG_DIR/credentials.json"
PG_SOCKET="$KERNEL_PG_DIR/run"
runtime_env=(PGHOST="$PG_SOCKET" PGPORT=5432 PGDATABASE=finkernel PGUSER=fk_runtime
  PGPASSWORD="$(jq -r .runtime_password "$CREDENTIALS")" PGAPPNAME=fk-ledger-bench)
superuser_psql() {
  env PGHOST="$PG_SOCKET" PGPORT=5432 PGDATABASE=finkernel PGUSER=postgres \
    PGPASSWORD="$(jq -r .superuser_password "$CREDENTIALS")" psql -X -q -v ON_ERROR_STOP=1 -At "$@"
}

# batch_body MODE SEED: a batch of BATCH_ENTRIES entries, 2 lines each.
batch_body() {
  awk -v mode="$1" -v seed="$2" -v n="$BATCH_ENTRIES" -v accounts="$ACCOUNTS" \
    -v prefix="$REVENUE_PREFIX" -v cash_accounts="$CASH_ACCOUNTS" 'BEGIN {
      srand(seed); printf "{\"mode\":\"%s\",\"entries\":[", mode
      for (i = 0; i < n; i++) {
        minor = int(rand() * 100000) + 1; acct = int(rand() * accounts) + 1
        cash = sprintf("10%02d", int(rand() * cash_accounts) + 1)
        amount = sprintf("%d.%02d", int(minor / 100), minor % 100)
        printf "%s{\"description\":\"bench import %d\",\"lines\":[{\"accountCode\":\"%s\",\"debit\":\"%s\",\"currency\":\"USD\"},{\"accountCode\":\"%s%02d\",\"credit\":\"%s\",\"currency\":\"USD\"}]}", \
          (i ? "," : ""), i, cash, amount, prefix, acct, amount
      }
      printf "]}" }'
}
# ---- trace: the statements of one authenticated posting ----------------------------

trace_postings() {
  local log_file="$KERNEL_PG_DIR/postgres.log" start_bytes n
  superuser_psql -c "ALTER SYSTEM SET log_min_duration_statement = 0" \
    -c "ALTER SYSTEM SET log_line_prefix = '%m [%p] %u '" -c "SELECT pg_reload_conf()" >/dev/null
  sleep 1
  start_bytes=$(stat -c %s "$log_file")
  for ((n = 1; n <= 3; n++)); do
    superuser_psql -c "SELECT 'fk-ledger-bench trace: posting $n begins'" >/dev/null
    reply=$(api POST /v1/ledger/entries \
      "{\"description\":\"traced posting $n\",\"lines\":[{\"accountCode\":\"$CASH_CODE\",\"debit\":\"2.50\",\"currency\":\"USD\"},{\"accountCode\":\"${REVENUE_PREFIX}02\",\"credit\":\"2.50\",\"currency\":\"USD\"}]}")
    [[ "$reply" == 201* ]] || log "traced posting $n answered: $reply"
  done
  superuser_psql -c "SELECT 'fk-ledger-bench trace: batch begins'" >/dev/null
  reply=$(api POST /v1/ledger/batches "$(BATCH_ENTRIES=5 batch_body atomic 7)")
  [[ "$reply" == 201* ]] || log "traced batch answered: ${reply:0:300}"
  superuser_psql -c "SELECT 'fk-ledger-bench trace: end'" >/dev/null
  superuser_psql -c "ALTER SYSTEM RESET log_min_duration_statement" -c "ALTER SYSTEM RESET log_line_prefix" \
    -c "SELECT pg_reload_conf()" >/dev/null
  tail -c +"$((start_bytes + 1))" "$log_file" >"$RESULTS_DIR/trace.log"
  # The last posting (warm caches, prepared statements in place), runtime role only.
  awk '/fk-ledger-bench trace: posting 3 begins/ { on = 1; next } /fk-ledger-bench trace: batch begins/ { on = 0 }
       on && / fk_runtime / { sub(/^.* fk_runtime (LOG|DETAIL): +/, ""); print }' \
    "$RESULTS_DIR/trace.log" >"$RESULTS_DIR/trace-posting3.txt"
  awk '/fk-ledger-bench trace: batch begins/ { on = 1; next } /fk-ledger-bench trace: end/ { on = 0 }
       on && / fk_runtime / { sub(/^.* fk_runtime (LOG|DETAIL): +/, ""); print }' \
    "$RESULTS_DIR/trace.log" >"$RESULTS_DIR/trace-batch5.txt"
}
trace_postings
log "trace: one posting $(grep -cE 'duration: .* (execute|statement)' "$RESULTS_DIR/trace-posting3.txt" || true) statements, one 5-entry batch $(grep -cE 'duration: .* (execute|statement)' "$RESULTS_DIR/trace-batch5.txt" || true) ($RESULTS_DIR/trace-*.txt)"

# ---- measured runs ----------------------------------------------------------------------

CLK_TCK=$(getconf CLK_TCK)
FAILED=0

render_pgbench_script() {  # render_pgbench_script TEMPLATE OUT
  sed -e "s/@TENANT@/$TENANT_ID/g" -e "s/@PREFIX@/$REVENUE_PREFIX/g" -e "s/@N@/$ACCOUNTS/g" \
    -e "s/@CASH_SET@/\\\\set cacct random(1, $CASH_ACCOUNTS)/" \
    -e "s/@CASH_EXPR@/'10' || lpad(:cacct::text, 2, '0')/g" "$1" >"$2"
}
render_pgbench_script "$HERE/pgbench_framed.sql" "$BENCH_TMP/pgbench_framed.sql"
render_pgbench_script "$HERE/pgbench_plain.sql" "$BENCH_TMP/pgbench_plain.sql"
render_pgbench_script "$HERE/pgbench_kernel_sql.sql" "$BENCH_TMP/pgbench_kernel_sql.sql"
cp "$BENCH_TMP"/pgbench_*.sql "$RESULTS_DIR/"

# postgres_ticks: CPU clock ticks of the whole cluster so far: the postmaster,
# its live children (backends, WAL writer, ...) and, unlike lib.sh's
# cpu_ticks, the children it already reaped (pgbench's backends exit with it).
postgres_ticks() {
  local postmaster child
  postmaster=$(postmaster_pid)
  [[ -n "$postmaster" ]] || { echo 0; return; }
  {
    sed 's/.*) //' "/proc/$postmaster/stat" 2>/dev/null | awk '{ print $12 + $13 + $14 + $15 }' || true
    # A backend may exit between ps and sed (pgbench just ended): skip it.
    for child in $(ps -o pid= --ppid "$postmaster" 2>/dev/null || true); do
      sed 's/.*) //' "/proc/$child/stat" 2>/dev/null | awk '{ print $12 + $13 }' || true
    done
  } | awk '{ total += $1 } END { print total + 0 }'
}
# client_cpu_s; cat_cpu: CPU seconds used so far by reaped children of THIS
# shell (wrk, pgbench); `times` must run in this shell, not in a $(...) subshell.
client_cpu_s() { times >"$BENCH_TMP/times"; }
cat_cpu() {
  awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); t += p[1] * 60 + p[2] } } END { printf "%.3f", t }' \
    "$BENCH_TMP/times"
}

# run_kernel NAME SECONDS: one wrk run; writes $RESULTS_DIR/NAME.txt
run_kernel() {
  local name=$1 seconds=$2 out="$RESULTS_DIR/$1.txt"
  TOKEN=$(login) || die "login failed"
  local args=(-t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --latency -s "$HERE/post_entry.lua" "$BASE"
    -- "$TOKEN" "$ACCOUNTS" "$CASH_ACCOUNTS" "$REVENUE_PREFIX")
  { printf '$ wrk'; printf ' %q' "${args[@]:0:7}"; echo " -- <access token> $ACCOUNTS $CASH_ACCOUNTS $REVENUE_PREFIX"; } >"$out"
  local k0 p0 c0 k1 p1 c1
  k0=$(cpu_ticks "$KERNEL_PID"); p0=$(postgres_ticks); client_cpu_s; c0=$(cat_cpu)
  wrk "${args[@]}" >>"$out" 2>&1 || log "$name: wrk failed"
  k1=$(cpu_ticks "$KERNEL_PID"); p1=$(postgres_ticks); client_cpu_s; c1=$(cat_cpu)
  local us
  us=$(fkbench_field "$out" duration_us)
  awk -v k=$((k1 - k0)) -v p=$((p1 - p0)) -v c0="$c0" -v c1="$c1" -v hz="$CLK_TCK" -v us="${us:-1}" \
    'BEGIN { printf "%.0f %.0f %.0f\n", k / hz * 1e8 / us, p / hz * 1e8 / us, (c1 - c0) * 1e8 / us }' >"$out.cpu"
  local field value
  if ! grep -q '^FKBENCH ' "$out"; then log "$name: no FKBENCH line"; cat "$out" >&2; FAILED=1; return; fi
  for field in unexpected connect_errors read_errors write_errors timeouts; do
    value=$(fkbench_field "$out" "$field")
    if [[ "$value" != 0 ]]; then
      log "$name: $field=$value (statuses: $(fkbench_field "$out" statuses))"
      grep '^first unexpected body' "$out" | head -2 >&2 || true
      FAILED=1
    fi
  done
  if ! kill -0 "$KERNEL_PID" 2>/dev/null; then
    log "the kernel process is gone"; tail -20 "$BENCH_TMP/kernel.err" >&2; KERNEL_PID=""; exit 1
  fi
}

# run_pgbench NAME VARIANT SECONDS: one pgbench run; writes $RESULTS_DIR/NAME.txt
# with an FKBENCH line in the wrk script's format (latency percentiles from
# pgbench's per-transaction log).
run_pgbench() {
  local name=$1 variant=$2 seconds=$3 out="$RESULTS_DIR/$1.txt"
  local env_extra=() logdir="$BENCH_TMP/pglog-$name"
  if [[ "$variant" != framed ]]; then env_extra=(PGOPTIONS="-c fk.tenant_id=$TENANT_ID"); fi
  rm -rf "$logdir"; mkdir -p "$logdir"
  local args=(-n -M "$PGBENCH_MODE" -D "actor=$ACTOR" -D "user_id=$USER_ID" -c "$CONNECTIONS" -j "$THREADS" -T "$seconds" -f "$BENCH_TMP/pgbench_$variant.sql"
    -l --log-prefix "$logdir/tx")
  { printf '$'; ((${#env_extra[@]})) && printf " PGOPTIONS='-c fk.tenant_id=%s'" "$TENANT_ID"
    printf ' pgbench -n -M %s -D actor=%s -D user_id=<uuid> -c %s -j %s -T %s -f bench/ledger/pgbench_%s.sql  (as fk_runtime over the socket)\n' \
      "$PGBENCH_MODE" "$ACTOR" "$CONNECTIONS" "$THREADS" "$seconds" "$variant"; } >"$out"
  local p0 c0 p1 c1 start_ns end_ns
  p0=$(postgres_ticks); client_cpu_s; c0=$(cat_cpu); start_ns=$(date +%s%N)
  env "${runtime_env[@]}" "${env_extra[@]}" pgbench "${args[@]}" >>"$out" 2>&1 || { log "$name: pgbench failed"; tail -5 "$out" >&2; FAILED=1; }
  p1=$(postgres_ticks); client_cpu_s; c1=$(cat_cpu); end_ns=$(date +%s%N)
  local tps failed
  tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time).*/\1/p' "$out" | tail -1)
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out" | tail -1)
  [[ -z "$failed" || "$failed" == 0 ]] || { log "$name: $failed failed transactions"; FAILED=1; }
  # Per-transaction log: client_id tx_no latency_us script_no epoch epoch_us
  cat "$logdir"/tx* 2>/dev/null | awk '{ print $3 }' | sort -n >"$logdir/latencies"
  local n p50 p90 p99 max
  n=$(wc -l <"$logdir/latencies")
  pct() { awk -v n="$n" -v q="$1" 'NR == int((n - 1) * q) + 1 { print; exit }' "$logdir/latencies"; }
  p50=$(pct 0.50); p90=$(pct 0.90); p99=$(pct 0.99); max=$(tail -1 "$logdir/latencies")
  local us=$(((end_ns - start_ns) / 1000))
  echo "FKBENCH requests=$n duration_us=$((seconds * 1000000)) rps=${tps:-0} p50_us=${p50:-0} p90_us=${p90:-0} p99_us=${p99:-0} max_us=${max:-0} unexpected=${failed:-0}" >>"$out"
  awk -v p=$((p1 - p0)) -v c0="$c0" -v c1="$c1" -v hz="$CLK_TCK" -v us="$us" \
    'BEGIN { printf "0 %.0f %.0f\n", p / hz * 1e8 / us, (c1 - c0) * 1e8 / us }' >"$out.cpu"
  rm -rf "$logdir"
}

# profile_kernel NAME COMMAND...: perf record of the kernel while COMMAND runs;
# writes $RESULTS_DIR/perf-NAME.txt (self time) and perf-NAME-inclusive.txt.
profile_kernel() {
  local name=$1 data="$BENCH_TMP/perf-$1.data"
  shift
  perf record -F 499 -g -p "$KERNEL_PID" -o "$data" >/dev/null 2>&1 &
  PERF_PID=$!
  sleep 1
  "$@"
  kill -INT "$PERF_PID" 2>/dev/null || true
  wait "$PERF_PID" 2>/dev/null || true
  PERF_PID=""
  perf report -i "$data" --no-children --sort dso,sym -g none --percent-limit 0.7 --stdio \
    2>/dev/null | grep -v '^#' | grep -v '^$' | head -60 >"$RESULTS_DIR/perf-$name.txt" || true
  perf report -i "$data" --children --sort sym -g none --percent-limit 2 --stdio \
    2>/dev/null | grep -v '^#' | grep -v '^$' | head -80 >"$RESULTS_DIR/perf-$name-inclusive.txt" || true
}

if [[ "$POSTINGS" == 1 ]]; then
  log "warm-up: kernel ${WARMUP}s, pgbench ${WARMUP}s per variant"
  run_kernel kernel.warmup "$WARMUP"
  run_pgbench framed.warmup framed "$WARMUP"
  run_pgbench plain.warmup plain "$WARMUP"
  run_pgbench kernelsql.warmup kernel_sql "$WARMUP"
  for ((round = 1; round <= ROUNDS; round++)); do
    log "round $round: kernel ${DURATION}s (load average $(load_average))"
    run_kernel "kernel.r$round" "$DURATION"
    log "round $round: pgbench framed ${DURATION}s"
    run_pgbench "framed.r$round" framed "$DURATION"
    log "round $round: pgbench plain ${DURATION}s"
    run_pgbench "plain.r$round" plain "$DURATION"
    log "round $round: pgbench kernel statements ${DURATION}s"
    run_pgbench "kernelsql.r$round" kernel_sql "$DURATION"
  done

  if [[ "$PROFILE" == 1 ]] && command -v perf >/dev/null; then
    log "profile: perf record of the kernel during one more ${DURATION}s wrk run"
    profile_kernel kernel run_kernel kernel.profiled "$DURATION"
  fi

  # ---- where PostgreSQL's time goes inside one posting: per-function times -------------

  log "function profile: track_functions=all during one more ${WARMUP}s kernel run"
  superuser_psql -c "ALTER SYSTEM SET track_functions = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
  sleep 1
  superuser_psql -c "SELECT pg_stat_reset()" >/dev/null
  run_kernel kernel.functions "$WARMUP"
  sleep 1  # backends report their statistics at most every 0.5 s when idle
  {
    echo "PostgreSQL functions during $(fkbench_field "$RESULTS_DIR/kernel.functions.txt" requests) postings (track_functions=all):"
    superuser_psql -F ' | ' -c "SELECT rpad(funcname, 28), lpad(calls::text, 7),
        lpad(to_char(total_time / calls, 'FM990.000'), 8) AS total_ms_per_call,
        lpad(to_char(self_time / calls, 'FM990.000'), 8) AS self_ms_per_call
      FROM pg_stat_user_functions WHERE calls > 0 ORDER BY total_time DESC LIMIT 15"
    echo "(columns: function | calls | total ms per call | self ms per call)"
  } >"$RESULTS_DIR/functions.txt" 2>&1 || true
  superuser_psql -c "ALTER SYSTEM RESET track_functions" -c "SELECT pg_reload_conf()" >/dev/null
fi  # POSTINGS
LOAD_AFTER=$(load_average)

# ---- batches ----------------------------------------------------------------------

# run_batches MODE: BATCH_REQUESTS batches, BATCH_CLIENTS at a time; writes $RESULTS_DIR/batch-MODE.txt
run_batches() {
  local mode=$1 out="$RESULTS_DIR/batch-$1.txt" dir="$BENCH_TMP/batch-$1" i
  mkdir -p "$dir"
  for ((i = 0; i < BATCH_REQUESTS; i++)); do batch_body "$mode" "$((i + 1))" >"$dir/body.$i"; done
  TOKEN=$(login) || die "login failed"
  # Warm-up (not counted): the first batch call on each pooled connection
  # compiles the PL/pgSQL batch functions and plans their statements there.
  seq 1 "$BATCH_WARMUP" | xargs -P "$BATCH_CLIENTS" -I{} \
    curl -s -o /dev/null --max-time 120 -X POST "$BASE/v1/ledger/batches" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -H 'Connection: close' --data-binary @"$dir/body.0" || true
  local start_ns end_ns k0 p0 k1 p1
  k0=$(cpu_ticks "$KERNEL_PID"); p0=$(postgres_ticks); start_ns=$(date +%s%N)
  seq 0 $((BATCH_REQUESTS - 1)) | xargs -P "$BATCH_CLIENTS" -I{} \
    curl -s -o "$dir/reply.{}" -w '%{http_code} %{time_total}\n' --max-time 120 -X POST "$BASE/v1/ledger/batches" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -H 'Connection: close' \
    --data-binary @"$dir/body.{}" >"$dir/statuses"
  end_ns=$(date +%s%N); k1=$(cpu_ticks "$KERNEL_PID"); p1=$(postgres_ticks)
  local ok posted seconds
  ok=$(awk '$1 == 201' "$dir/statuses" | wc -l)
  posted=$(cat "$dir"/reply.* | jq -s '[.[] | .data.posted // 0] | add')
  seconds=$(awk -v a="$start_ns" -v b="$end_ns" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  {
    echo "POST /v1/ledger/batches mode=$mode: $BATCH_REQUESTS batches x $BATCH_ENTRIES entries x 2 lines, $BATCH_CLIENTS in flight"
    echo "201 answers: $ok / $BATCH_REQUESTS; entries posted: $posted; wall: ${seconds}s"
    awk -v e="$posted" -v s="$seconds" -v k=$((k1 - k0)) -v p=$((p1 - p0)) -v hz="$CLK_TCK" 'BEGIN {
      printf "FKBATCH entries_per_s=%.0f lines_per_s=%.0f kernel_cpu=%.0f pg_cpu=%.0f\n", e / s, 2 * e / s, k / hz * 100 / s, p / hz * 100 / s }'
    echo "per request (status seconds):"; cat "$dir/statuses"
  } >"$out"
  if ((ok != BATCH_REQUESTS)) || [[ "$posted" != $((BATCH_REQUESTS * BATCH_ENTRIES)) ]]; then
    log "batch $mode: $ok/$BATCH_REQUESTS answered 201, $posted entries posted"
    head -c 600 "$dir/reply.0" >&2; echo >&2
    FAILED=1
  fi
}
# Settle first: the postings above leave autovacuum work (vacuum and analyze
# of every ledger, audit and outbox table) and a buffer pool full of dirty
# pages; measured at once, batches share the machine with that maintenance.
if [[ "$POSTINGS" == 1 ]]; then
  log "settling after the postings: VACUUM ANALYZE, CHECKPOINT"
  superuser_psql -c "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null
fi
log "batches: $BATCH_REQUESTS x $BATCH_ENTRIES entries per mode, $BATCH_CLIENTS in flight"
run_batches atomic
run_batches independent

if [[ "$PROFILE" == 1 ]] && command -v perf >/dev/null; then
  log "profile: perf record of the kernel during $BATCH_REQUESTS more atomic batches"
  mv "$RESULTS_DIR/batch-atomic.txt" "$RESULTS_DIR/batch-atomic.kept"
  profile_kernel kernel-batch run_batches atomic
  mv "$RESULTS_DIR/batch-atomic.txt" "$RESULTS_DIR/batch-profiled.txt"
  mv "$RESULTS_DIR/batch-atomic.kept" "$RESULTS_DIR/batch-atomic.txt"
fi

# Per-function times of batch posting (not measured for throughput).
superuser_psql -c "ALTER SYSTEM SET track_functions = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 1
superuser_psql -c "SELECT pg_stat_reset()" >/dev/null
batch_body atomic 4242 >"$BENCH_TMP/profiled-batch.json"
for ((i = 0; i < 2; i++)); do
  curl -s -o /dev/null --max-time 120 -X POST "$BASE/v1/ledger/batches" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' --data-binary @"$BENCH_TMP/profiled-batch.json"
done
sleep 1
{
  echo "PostgreSQL functions during 2 atomic batches of $BATCH_ENTRIES entries (track_functions=all):"
  superuser_psql -F ' | ' -c "SELECT rpad(funcname, 28), lpad(calls::text, 7),
      lpad(to_char(total_time, 'FM99990.000'), 10) AS total_ms, lpad(to_char(self_time, 'FM99990.000'), 10) AS self_ms
    FROM pg_stat_user_functions WHERE calls > 0 ORDER BY total_time DESC LIMIT 15"
  echo "(columns: function | calls | total ms | self ms)"
} >"$RESULTS_DIR/functions-batch.txt" 2>&1 || true
superuser_psql -c "ALTER SYSTEM RESET track_functions" -c "SELECT pg_reload_conf()" >/dev/null

# ---- consistency check: the ledger still balances -----------------------------------

TOKEN=$(login) || die "login failed"
reply=$(api GET /v1/ledger/trial-balance)
BALANCED=$(jq -r '.data.balanced' <<<"${reply#* }" 2>/dev/null || echo "?")
ENTRY_COUNT=$(env "${runtime_env[@]}" PGOPTIONS="-c fk.tenant_id=$TENANT_ID" psql -X -At \
  -c "SELECT count(*) FROM ledger_entries" 2>/dev/null || echo "?")
AUDIT_COUNT=$(env "${runtime_env[@]}" PGOPTIONS="-c fk.tenant_id=$TENANT_ID" psql -X -At \
  -c "SELECT count(*) FROM audit_log" 2>/dev/null || echo "?")
[[ "$BALANCED" == true ]] || { log "trial balance not balanced: ${reply:0:300}"; FAILED=1; }
KERNEL_RSS_KB=$(vm_rss_kb "$KERNEL_PID" || echo "?")

# ---- summary --------------------------------------------------------------------------

median() {  # median NAME FIELD over the rounds
  local round
  for ((round = 1; round <= ROUNDS; round++)); do fkbench_field "$RESULTS_DIR/$1.r$round.txt" "$2"; done |
    awk 'NF { v[++n] = $1 } END { if (n == 0) { print ""; exit }
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
      print (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }'
}
median_cpu() {  # median_cpu NAME COLUMN (1 kernel, 2 postgres, 3 client)
  local round
  for ((round = 1; round <= ROUNDS; round++)); do awk -v c="$2" '{ print $c }' "$RESULTS_DIR/$1.r$round.txt.cpu"; done |
    awk 'NF { v[++n] = $1 } END { if (n == 0) { print "?"; exit }
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
      print (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }'
}
range() {
  local round
  for ((round = 1; round <= ROUNDS; round++)); do fkbench_field "$RESULTS_DIR/$1.r$round.txt" rps; done |
    awk 'NF { if (n++ == 0 || $1 < lo) lo = $1; if ($1 > hi) hi = $1 } END { if (n) printf "%.0f-%.0f", lo, hi; else print "?" }'
}
ms() { awk -v us="$1" 'BEGIN { if (us == "") print "?"; else printf "%.2f", us / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "?"; else printf "%.2f", a / b }'; }
per_cpu() {  # per_cpu NAME: transactions per server-side CPU-second (kernel + postgres)
  awk -v r="$(median "$1" rps)" -v k="$(median_cpu "$1" 1)" -v p="$(median_cpu "$1" 2)" \
    'BEGIN { if (k + p == 0) print "?"; else printf "%.0f", r / ((k + p) / 100) }'
}
batch_field() { sed -n 's/^FKBATCH .*\b'"$2"'=\([^ ]*\).*/\1/p' "$RESULTS_DIR/batch-$1.txt"; }

{
  echo
  echo "FinKernel ledger posting bench, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, build ${BUILD_TYPE:-?}, source $SOURCE_REVISION"
  echo "load average: before start $LOAD_BEFORE, after the runs $LOAD_AFTER"
  echo "$CONNECTIONS connections, $THREADS client threads, ${DURATION}s x $ROUNDS interleaved rounds after ${WARMUP}s warm-ups;"
  echo "kernel: $SERVER_THREADS HTTP threads, pool 8, no dev_mode, Bearer token of an accountant; pgbench -M $PGBENCH_MODE as fk_runtime"
  echo "accounts: $CASH_ACCOUNTS cash account(s) 10mm debited and $ACCOUNTS revenue accounts 40nn credited, at random"
  echo
  if [[ "$POSTINGS" == 1 ]]; then
  printf '| %-30s | %8s | %11s | %6s | %6s | %6s | %6s | %6s | %6s | %8s |\n' target "tx/s" "tx/s range" "p50 ms" "p90 ms" "p99 ms" kernel pg client "tx/CPU-s"
  echo "|--------------------------------|----------|-------------|--------|--------|--------|--------|--------|--------|----------|"
  for name in kernel kernelsql framed plain; do
    case $name in
      kernel) label="kernel POST /v1/ledger/entries" ;;
      framed) label="pgbench BEGIN+set_config+COMMIT" ;;
      plain) label="pgbench function call only" ;;
      kernelsql) label="pgbench the kernel's stmts" ;;
    esac
    printf '| %-30s | %8.0f | %11s | %6s | %6s | %6s | %5s%% | %5s%% | %5s%% | %8s |\n' "$label" "$(median "$name" rps)" \
      "$(range "$name")" "$(ms "$(median "$name" p50_us)")" "$(ms "$(median "$name" p90_us)")" \
      "$(ms "$(median "$name" p99_us)")" "$(median_cpu "$name" 1)" "$(median_cpu "$name" 2)" "$(median_cpu "$name" 3)" \
      "$(per_cpu "$name")"
  done
  echo
  echo "kernel / pgbench framed = $(ratio "$(median kernel rps)" "$(median framed rps)")   (goal >= 0.70)"
  echo "kernel / pgbench plain  = $(ratio "$(median kernel rps)" "$(median plain rps)")"
  echo "kernel / pgbench kernel's statements = $(ratio "$(median kernel rps)" "$(median kernelsql rps)");" \
    "kernel's statements / framed = $(ratio "$(median kernelsql rps)" "$(median framed rps)")"
  echo "per server-side CPU-second: kernel / framed = $(ratio "$(per_cpu kernel)" "$(per_cpu framed)"), kernel / plain = $(ratio "$(per_cpu kernel)" "$(per_cpu plain)")"
  echo
  fi
  echo "batches ($BATCH_REQUESTS x $BATCH_ENTRIES entries x 2 lines, $BATCH_CLIENTS in flight, after $BATCH_WARMUP warm-up batches; goal >= 20000 lines/s):"
  for mode in atomic independent; do
    printf '  %-12s %7s lines/s  (%s entries/s; kernel CPU %s%%, pg CPU %s%%)\n' "$mode" "$(batch_field "$mode" lines_per_s)" \
      "$(batch_field "$mode" entries_per_s)" "$(batch_field "$mode" kernel_cpu)" "$(batch_field "$mode" pg_cpu)"
  done
  echo
  echo "after the run: trial balance balanced=$BALANCED, $ENTRY_COUNT entries, $AUDIT_COUNT audit records in the tenant; kernel VmRSS ${KERNEL_RSS_KB} kB"
  echo "kernel/pg/client: CPU during the measured runs in % of one core (kernel process; postmaster + backends;"
  echo "wrk or pgbench); $(nproc) cores = $(($(nproc) * 100))%. tx/CPU-s: transactions per CPU-second of kernel + PostgreSQL."
  echo "statements of one posting (server log, log_min_duration_statement=0): $RESULTS_DIR/trace-posting3.txt"
  echo "per-function times: $RESULTS_DIR/functions.txt"
  echo "raw outputs in $RESULTS_DIR"
} | tee "$RESULTS_DIR/summary.txt"

if ((FAILED)); then
  log "some posting or batch failed, or a client saw errors; see above"
  exit 1
fi
