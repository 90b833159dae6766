-- wrk script for GET /health (also used, unchanged, for the nginx and
-- Pistache references, so all targets pay the same client-side cost).
--
--   wrk -t2 -c32 -d15s --latency -s bench/wrk/health.lua http://127.0.0.1:18080
--
-- Prints non-200 statuses and one FKBENCH summary line (see common.lua).

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local fk = dofile(here .. "common.lua")

wrk.method = "GET"
wrk.path = "/health"

function setup(thread) fk.setup(thread) end

function init(args)
  fk.init_counters()
end

function response(status, headers, body) fk.response(status) end

function done(summary, latency, requests) fk.done(summary, latency) end
