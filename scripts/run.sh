#!/usr/bin/env bash
# Installs what is missing, builds, and runs FinKernel with its embedded
# default: a private PostgreSQL cluster under var/pg, migrations, the demo
# tenant from tenants/, serving on 127.0.0.1:8080 until Ctrl-C.
# Extra arguments go to `finkernel run` (see `finkernel run --help`). The first
# embedded start also creates the master key (var/keys/master.key, 0600) that
# encrypts tenant secrets such as TOTP seeds; back it up.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
bash scripts/build.sh release

# The embedded cluster runs as the unprivileged 'finkernel' user when we are
# root; it must be able to reach var/. A checkout inside a private home
# directory (e.g. /root) is not reachable, so keep the data elsewhere then.
if [[ $(id -u) -eq 0 && -z "${FINKERNEL_EMBEDDED_DATA_DIR:-}" ]] &&
   ! runuser -u finkernel -- test -x "$PWD"; then
  export FINKERNEL_EMBEDDED_DATA_DIR="/var/lib/finkernel/$(basename "$PWD")/pg"
  echo "run: $PWD is not reachable by the 'finkernel' user; keeping data in $FINKERNEL_EMBEDDED_DATA_DIR"
fi

exec build/kernel/finkernel run --config kernel.yaml "$@"
