#!/usr/bin/env bash
# One-step set-up on a fresh Debian/Ubuntu machine: system packages, a virtual
# environment in .venv, this package, then the main job on the embedded
# default (a scan of libvirt's built-in test:///default hypervisor into a
# SQLite inventory, ./vminv-demo.db).
set -euo pipefail
cd "$(dirname "$0")"
export DEBIAN_FRONTEND=noninteractive
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
need=()
for pkg in libvirt-dev libvirt-clients pkg-config gcc python3-dev python3-venv; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
    echo "install.sh: installing ${need[*]}" >&2
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'
echo "install.sh: installed; scanning test:///default into ./vminv-demo.db" >&2
.venv/bin/rscan localhost --uri test:///default --db ./vminv-demo.db -w
.venv/bin/vminv ls --db ./vminv-demo.db
