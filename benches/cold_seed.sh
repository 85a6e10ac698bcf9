#!/usr/bin/env bash
# A cold exchange with a generated code: keys in the credentials file, the TOTP seed in a real
# gnome-keyring (a private D-Bus session started here), STS from the local emulator, no terminal.
# Each run forgets the cached session and moves the injected clock one 30 s step on, so no run
# waits for a fresh step (a real second exchange within one step would wait, by design).
# Reports the first run (the keyring's and the emulator's first use) and the median of the rest.
# Usage: bash benches/cold_seed.sh [RUNS]      (needs .ci/setup's packages; builds release)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
# It moves the clock with MFA_SESSION_TEST_NOW, which only a test-hooks build reads.
cargo build --release --locked -q --features test-hooks
if [ -z "${MFA_SESSION_BENCH_IN_BUS:-}" ]; then
  XDG_DATA_HOME=$(mktemp -d) XDG_RUNTIME_DIR=$(mktemp -d)
  export XDG_DATA_HOME XDG_RUNTIME_DIR MFA_SESSION_BENCH_IN_BUS=1
  chmod 700 "$XDG_RUNTIME_DIR"
  exec dbus-run-session -- bash -c \
    'printf bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec bash "$0" "$1"' \
    "$0" "$runs"
fi
bin=$PWD/target/release/mfa-session
source benches/emulator.sh
export HOME=$work AWS_CONFIG_FILE=$work/config AWS_SHARED_CREDENTIALS_FILE=$work/credentials
export MFA_SESSION_CACHE_DIR=$work/cache AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL=http://127.0.0.1:$port
printf '[seed-lt]\naws_access_key_id = AKIABENCHSEED000001\naws_secret_access_key = bench/secret\n' >"$AWS_SHARED_CREDENTIALS_FILE"
printf '[profile seed]\nmfa_serial = arn:aws:iam::123456789012:mfa/seedbench\nmfa_session_source_profile = seed-lt\nmfa_code_source = seed\nregion = eu-west-1\n' >"$AWS_CONFIG_FILE"
"$py" -c 'import base64, os; print(base64.b32encode(os.urandom(20)).decode())' |
  "$bin" seed set seed >/dev/null

"$py" - "$bin" "$runs" "$MFA_SESSION_CACHE_DIR" <<'PY'
import datetime, glob, os, statistics, subprocess, sys, time
binary, runs, cache = sys.argv[1], int(sys.argv[2]), sys.argv[3]
base = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
took = []
for k in range(runs):
    for f in glob.glob(f"{cache}/sessions/*.json"):
        os.remove(f)
    env = dict(os.environ, MFA_SESSION_TEST_NOW=(base + datetime.timedelta(seconds=30 * k)).isoformat())
    start = time.perf_counter()
    out = subprocess.run([binary, "credential-process", "-p", "seed"], env=env,
                         stdin=subprocess.DEVNULL, capture_output=True, start_new_session=True)
    took.append((time.perf_counter() - start) * 1000)
    if out.returncode != 0:
        sys.exit(f"run {k}: {out.stderr.decode().strip()}")
print(f"cold exchange, generated code, no terminal: first {took[0]:.0f} ms (first keyring and emulator use), "
      f"then {statistics.median(took[1:]):.0f} ms median of {runs - 1}")
PY
