# Sourced by the benches: starts the local AWS emulator (moto + the tests' proxy,
# tests/harness/emulator.py) for the life of the sourcing shell. Sets py (the Python that has
# moto), work (a temp dir, removed at exit) and port (the proxy's). Closing fd 3 is the
# emulator's EOF: it stops moto and its proxy.
source "$(dirname "${BASH_SOURCE[0]}")/../.ci/env"
py=$(python3 -c 'import sys; print(sys.executable)')
work=$(mktemp -d)
trap 'exec 3>&-; rm -rf "$work"' EXIT
exec 3> >("$py" "$(dirname "${BASH_SOURCE[0]}")/../tests/harness/emulator.py" >"$work/ready")
for _ in $(seq 100); do [ -s "$work/ready" ] && break; sleep 0.1; done
port=$(awk '{print $2}' "$work/ready")
[ -n "$port" ] || { echo "the local AWS emulator did not start (is moto installed? bash .ci/setup)" >&2; exit 1; }
