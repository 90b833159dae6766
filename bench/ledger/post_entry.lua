-- wrk script for bench/ledger/run.sh: POST /v1/ledger/entries, one balanced
-- entry of two lines per request (debit one of M cash accounts, credit one
-- of N revenue accounts, both picked at random, a random amount of 0.01 .. 1000.00 USD
-- as a decimal string, as a client would send it), authenticated with a
-- Bearer access token.
--
--   wrk -t2 -c8 -d15s --latency -s bench/ledger/post_entry.lua URL -- TOKEN [N] [M] [PREFIX]
--
--   TOKEN   access token (POST /v1/auth/login) or API key (fk_...)
--   N       revenue accounts PREFIX01 .. PREFIXnn (default 8)
--   M       cash accounts 1001 .. 10mm (default 1: one hot account)
--   PREFIX  revenue account code prefix (default 40)
--
-- Every response must be 201; the others are counted per status (the first
-- body of each thread is printed) and reported on one machine-readable line:
--
--   FKBENCH requests=N duration_us=N rps=X p50_us=N p90_us=N p99_us=N max_us=N
--           unexpected=N connect_errors=N read_errors=N write_errors=N timeouts=N
--           statuses=CODE:COUNT,...

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("thread_no", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  local token = args[1] or os.getenv("FK_TOKEN")
  if token == nil or token == "" then
    io.stderr:write("post_entry.lua: pass the access token after `--`\n")
    os.exit(2)
  end
  revenue_accounts = tonumber(args[2] or "8")
  cash_accounts = tonumber(args[3] or "1")
  revenue_prefix = args[4] or "40"
  if token:sub(1, 3) == "fk_" then
    wrk.headers["X-API-Key"] = token
  else
    wrk.headers["Authorization"] = "Bearer " .. token
  end
  wrk.headers["Content-Type"] = "application/json"
  -- Pistache 0.0.5 closes HTTP/1.1 connections without it (docs/performance.md).
  wrk.headers["Connection"] = "keep-alive"
  math.randomseed(os.time() * 1000 + (thread_no or 0) * 7919)
  unexpected = 0
  statuses = {}
  first_body = nil
end

function request()
  local minor = math.random(1, 100000)
  local amount = string.format("%d.%02d", math.floor(minor / 100), minor % 100)
  local revenue = string.format("%s%02d", revenue_prefix, math.random(1, revenue_accounts))
  local cash = string.format("10%02d", math.random(1, cash_accounts))
  local body = '{"description":"bench sale","lines":[' ..
    '{"accountCode":"' .. cash .. '","debit":"' .. amount .. '","currency":"USD"},' ..
    '{"accountCode":"' .. revenue .. '","credit":"' .. amount .. '","currency":"USD"}]}'
  return wrk.format("POST", "/v1/ledger/entries", nil, body)
end

function response(status, headers, body)
  if status ~= 201 then
    unexpected = unexpected + 1
    statuses[tostring(status)] = (statuses[tostring(status)] or 0) + 1
    if first_body == nil then first_body = body end
  end
end

function done(summary, latency, requests)
  local total = 0
  local merged = {}
  for _, thread in ipairs(threads) do
    total = total + (thread:get("unexpected") or 0)
    for code, count in pairs(thread:get("statuses") or {}) do
      merged[code] = (merged[code] or 0) + count
    end
    local body = thread:get("first_body")
    if body ~= nil then io.write("first unexpected body: " .. tostring(body) .. "\n") end
  end
  local codes = {}
  for code, count in pairs(merged) do table.insert(codes, code .. ":" .. count) end
  table.sort(codes)
  local listed = #codes > 0 and table.concat(codes, ",") or "-"
  local errors = summary.errors
  if total > 0 then io.write(string.format("non-201 responses: %d (%s)\n", total, listed)) end
  io.write(string.format(
    "FKBENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "unexpected=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d statuses=%s\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50.0), latency:percentile(90.0), latency:percentile(99.0), latency.max,
    total, errors.connect, errors.read, errors.write, errors.timeout, listed))
end
