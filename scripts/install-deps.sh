#!/usr/bin/env bash
# Installs what FinKernel needs to build, run and test, from Debian's packages
# only. Idempotent: packages already present are not reinstalled and apt's
# index is refreshed only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libpistache-dev libhttp-parser-dev libpqxx-dev libpq-dev libssl-dev
  libyaml-cpp-dev libspdlog-dev libfmt-dev nlohmann-json3-dev catch2
  libboost-dev libboost-filesystem-dev libargon2-dev
  postgresql-15 postgresql-client-15 postgresql-contrib
  clang-format clang-tidy abigail-tools
)
# Benchmarks only (bench/): load generator and the reference server.
if [[ "${FK_WITH_BENCH:-0}" == "1" ]]; then
  packages+=(wrk nginx-light)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]}; run this script as root" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# PostgreSQL refuses to run as root; the embedded cluster runs as this
# unprivileged system account (kernel.yaml: embedded.os_user).
if [[ $(id -u) -eq 0 ]] && ! id finkernel >/dev/null 2>&1; then
  useradd --system --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin finkernel
  echo "install-deps: created system user 'finkernel' for the embedded PostgreSQL cluster"
fi
