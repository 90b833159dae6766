-- wrk script for the tenant-scoped read GET /v1/tenant/settings, with the
-- tenant in X-Tenant-Id (accepted only when the kernel runs with --dev-mode).
-- The tenant id comes from the first script argument or, failing that, from
-- the environment variable FK_TENANT_ID:
--
--   wrk -t2 -c32 -d15s --latency -s bench/wrk/tenant_settings.lua \
--       http://127.0.0.1:18080 -- 344f90b3-4d44-46f2-acb9-25739e8724fb
--   FK_TENANT_ID=344f90b3-... wrk ... -s bench/wrk/tenant_settings.lua http://127.0.0.1:18080
--
-- Prints non-200 statuses and one FKBENCH summary line (see common.lua).

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local fk = dofile(here .. "common.lua")

wrk.method = "GET"
wrk.path = "/v1/tenant/settings"

function setup(thread) fk.setup(thread) end

function init(args)
  local tenant = args[1] or os.getenv("FK_TENANT_ID")
  if tenant == nil or tenant == "" then
    io.stderr:write("tenant_settings.lua: pass the tenant id after `--` or set FK_TENANT_ID\n")
    os.exit(2)
  end
  wrk.headers["X-Tenant-Id"] = tenant
  fk.init_counters()
end

function response(status, headers, body) fk.response(status) end

function done(summary, latency, requests) fk.done(summary, latency) end
