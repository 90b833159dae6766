-- Shared by bench/wrk/*.lua (loaded with dofile; see the scripts).
--
-- Counts every response whose status is not 200, per status, in each wrk
-- thread, and prints them in done() together with one machine-readable line
-- that bench/run.sh and bench/soak.sh parse:
--
--   FKBENCH requests=N duration_us=N rps=X p50_us=N p90_us=N p99_us=N
--           max_us=N non200=N connect_errors=N read_errors=N write_errors=N
--           timeouts=N statuses=CODE:COUNT,...
--
-- A response() hook makes wrk parse headers and bodies, which costs client
-- CPU; every target in a run uses the same hook, so the cost is identical.

local fk = {}

local threads = {}

function fk.setup(thread)
  table.insert(threads, thread)
end

function fk.init_counters()
  non200 = 0
  statuses = {}
end

function fk.response(status)
  if status ~= 200 then
    non200 = non200 + 1
    statuses[tostring(status)] = (statuses[tostring(status)] or 0) + 1
  end
end

function fk.done(summary, latency)
  local total_non200 = 0
  local merged = {}
  for _, thread in ipairs(threads) do
    total_non200 = total_non200 + (thread:get("non200") or 0)
    local per_thread = thread:get("statuses") or {}
    for code, count in pairs(per_thread) do
      merged[code] = (merged[code] or 0) + count
    end
  end
  local codes = {}
  for code, count in pairs(merged) do
    table.insert(codes, code .. ":" .. count)
  end
  table.sort(codes)
  local listed = #codes > 0 and table.concat(codes, ",") or "-"
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  if total_non200 > 0 then
    io.write(string.format("non-200 responses: %d (%s)\n", total_non200, listed))
  end
  io.write(string.format(
    "FKBENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "non200=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d statuses=%s\n",
    summary.requests, summary.duration, summary.requests / seconds,
    latency:percentile(50.0), latency:percentile(90.0), latency:percentile(99.0), latency.max,
    total_non200, errors.connect, errors.read, errors.write, errors.timeout, listed))
end

return fk
