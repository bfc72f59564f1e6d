#!/usr/bin/env bash
# The whole test suite: installs what it needs (apt packages, .venv), starts
# libvirtd/virtlogd (.ci/services; tests start their own sshd), runs the static
# checks (.ci/lint: ruff, mypy --strict), on CI the tests with the lowest
# allowed dependency versions (.ci/lowest-deps), then pytest.
# Extra arguments go to pytest, e.g. ./run-tests.sh -k noderange
set -euo pipefail
cd "$(dirname "$0")"
bash .ci/services
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test,lint]'
bash .ci/lint
if [ "${CI:-}" = true ] || [ "${VMINV_LOWEST_DEPS:-}" = 1 ]; then
    bash .ci/lowest-deps        # the lowest allowed dependency versions, fast tests
fi
exec .venv/bin/python -m pytest "$@"
