#!/usr/bin/env bash
# Installs the Debian packages remotes needs, only those that are missing.
# Idempotent and quiet when everything is already there; never builds anything.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libenet-dev        # transport (UDP)
  libmsgpack-dev     # codec (msgpack-c)
  libluajit2-5.1-dev # Lua host
  libcmocka-dev      # unit tests
  libsodium-dev      # signed join tickets
  clang libclang-rt-14-dev  # fuzz targets and sanitizers
  python3            # test and bench drivers
  valgrind           # memcheck run of the integration tests (tests/valgrind.sh)
  dpkg-dev file      # make deb: CPack's dpkg-shlibdeps and its ELF detection
)
if [ "${REMOTES_BENCH_DEPS:-0}" = 1 ]; then
  packages+=(gnuplot-nox)
  # A node/npm already on PATH (e.g. from another distribution) is used as is: Debian's
  # npm would conflict with it, so Debian's nodejs and npm are asked for only when absent.
  command -v node >/dev/null 2>&1 || packages+=(nodejs)
  command -v npm >/dev/null 2>&1 || packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps.sh: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
