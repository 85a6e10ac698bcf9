#!/usr/bin/env bash
# The credential endpoint (`mfa-session server`) serving a cached session: 1,000 sequential and
# 64 concurrent requests (each its own connection, as the SDKs make them), median and p99
# latency, and the server's peak RSS. Usage: bash benches/server.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q
bin=$PWD/target/release/mfa-session
source benches/emulator.sh
export HOME=$work AWS_CONFIG_FILE=$work/config AWS_SHARED_CREDENTIALS_FILE=$work/credentials
export MFA_SESSION_CACHE_DIR=$work/cache AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL=http://127.0.0.1:$port
printf '[bench-lt]\naws_access_key_id = AKIABENCH0000000002\naws_secret_access_key = bench/secret\n' >"$AWS_SHARED_CREDENTIALS_FILE"
printf '[profile bench]\nmfa_serial = arn:aws:iam::123456789012:mfa/bench\nmfa_session_source_profile = bench-lt\nregion = eu-west-1\n' >"$AWS_CONFIG_FILE"
"$py" tests/harness/pty_run.py --answer 700001 -- "$bin" credential-process -p bench >/dev/null
"$bin" server -p bench >"$work/vars" 2>/dev/null &
server=$!
for _ in $(seq 100); do [ "$(wc -l <"$work/vars")" -ge 2 ] && break; sleep 0.05; done
"$py" - "$work/vars" "$server" <<'PY'
import http.client, statistics, sys, threading, time
vars = dict(l.strip().split("=", 1) for l in open(sys.argv[1]))
url, token = vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"], vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
host, port = url[len("http://"):].rstrip("/").split(":")
def one():
    t = time.perf_counter()
    c = http.client.HTTPConnection(host, int(port), timeout=10)
    c.request("GET", "/", headers={"Authorization": token})
    r = c.getresponse(); r.read(); c.close()
    assert r.status == 200, r.status
    return (time.perf_counter() - t) * 1000
def report(name, xs):
    xs = sorted(xs)
    p99 = xs[min(len(xs) - 1, int(len(xs) * 0.99))]
    print(f"{name}: median {statistics.median(xs):.2f} ms, p99 {p99:.2f} ms ({len(xs)} requests)")
for _ in range(20): one()
report("sequential", [one() for _ in range(1000)])
lat, lock = [], threading.Lock()
def worker():
    x = one()
    with lock: lat.append(x)
for _ in range(5):
    ts = [threading.Thread(target=worker) for _ in range(64)]
    [t.start() for t in ts]; [t.join() for t in ts]
report("64 concurrent (x5 rounds)", lat)
rss = next(l for l in open(f"/proc/{sys.argv[2]}/status") if l.startswith("VmHWM")).split()[1]
print(f"server peak RSS: {int(rss) / 1024:.1f} MiB")
PY
kill "$server"
