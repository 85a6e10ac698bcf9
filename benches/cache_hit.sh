#!/usr/bin/env bash
# Benchmark of the hot path, side by side in one run (hyperfine, median of many runs):
#   floor      `cat` of the cache file: the least any cache-reading tool can cost
#   hit        `mfa-session credential-process` on a fresh cache (what every AWS CLI call pays)
#   prompt     `mfa-session prompt` (the shell prompt segment)
#   cold       one full exchange (prompt answered + STS) against the local emulator, next to
#              `aws sts get-session-token` with the same keys and device (the AWS CLI by hand)
#   full       the same hit served by mfa-session-full: what the front/full split saves (the
#              loader relocates every pointer of a binary before main, ~30k in the full one)
# plus peak RSS of the hit path, the release build time (when it builds) and the binary sizes,
# after checking that the front links no tokio runtime, SDK client, HTTP stack or clap.
# Usage: bash benches/cache_hit.sh [RUNS]     (installs hyperfine from Debian if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-300}
if ! command -v hyperfine >/dev/null || [ ! -x /usr/bin/time ]; then
  sudo_=; [ "$(id -u)" = 0 ] || sudo_=sudo
  $sudo_ apt-get install -y -qq hyperfine time >/dev/null
fi

start=$(date +%s.%N)
cargo build --release --locked -q
build_s=$(python3 -c "import time; print(round(time.time() - $start, 1))")
bin=$PWD/target/release/mfa-session
full_bin=$PWD/target/release/mfa-session-full
# The release binaries are stripped, so crates are told by the source paths of their panic
# locations: each must be in the full binary (or the check proves nothing) and not in the front.
for crate in tokio aws-sdk-sts aws-smithy-runtime hyper rustls clap_builder; do
  grep -q -a -- "/$crate-" "$full_bin" || { echo "no /$crate- in $full_bin: the check cannot see it" >&2; exit 1; }
  if grep -q -a -- "/$crate-" "$bin"; then echo "the front links $crate: the hit path must not" >&2; exit 1; fi
done
source benches/emulator.sh

export HOME=$work AWS_CONFIG_FILE=$work/config AWS_SHARED_CREDENTIALS_FILE=$work/credentials
export MFA_SESSION_CACHE_DIR=$work/cache AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL=http://127.0.0.1:$port
printf '[bench-lt]\naws_access_key_id = AKIABENCH0000000001\naws_secret_access_key = bench/secret\n' >"$AWS_SHARED_CREDENTIALS_FILE"
printf '[profile bench]\ncredential_process = %s credential-process -p bench\nmfa_serial = arn:aws:iam::123456789012:mfa/bench\nmfa_session_source_profile = bench-lt\nregion = eu-west-1\n' "$bin" >"$AWS_CONFIG_FILE"

role_arn=$("$py" -c 'import json,sys,urllib.request; r=urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=b"{\"name\": \"bench-hit-admin\"}", method="POST")); print(json.load(r)["Arn"])' "http://127.0.0.1:$port/_harness/role")
printf '[profile bench-role]\nmfa_session_role_arn = %s\nmfa_session_role_source = bench\n' "$role_arn" >>"$AWS_CONFIG_FILE"
"$py" tests/harness/pty_run.py --answer 100000 -- "$bin" credential-process -p bench >/dev/null
"$bin" credential-process -p bench-role >/dev/null
sleep 2.1  # the AWS files settle (2 s rule); the next calls record what a flat hit needs
"$bin" credential-process -p bench >/dev/null
"$bin" credential-process -p bench-role >/dev/null
cache=$(ls "$MFA_SESSION_CACHE_DIR"/sessions/*.json | head -1)

# A fresh code per cold run (STS refuses a reused code), answered through a pseudo-terminal.
cat >"$work/cold.sh" <<SH
n=\$(( \$(cat "$work/n" 2>/dev/null || echo 200000) + 1 )); echo \$n >"$work/n"
rm -f "$MFA_SESSION_CACHE_DIR"/sessions/*.json
"$py" "$PWD/tests/harness/pty_run.py" --answer \$n -- "$bin" credential-process -p bench >/dev/null
SH

hyperfine -N --warmup 20 --runs "$runs" --export-json "$work/hot.json" \
  -n floor "cat $cache" \
  -n hit "$bin credential-process -p bench" \
  -n prompt "$bin prompt -p bench --color never" \
  -n role "$bin credential-process -p bench-role" \
  -n full "$full_bin credential-process -p bench" >/dev/null
cat >"$work/awscli.sh" <<SH
n=\$(( \$(cat "$work/m" 2>/dev/null || echo 500000) + 1 )); echo \$n >"$work/m"
"$py" -m awscli sts get-session-token --region us-east-1 --profile bench-lt --serial-number arn:aws:iam::123456789012:mfa/bench --token-code \$n >/dev/null
SH
hyperfine --warmup 2 --runs 20 --export-json "$work/cold.json" -n cold "bash $work/cold.sh" -n awscli "bash $work/awscli.sh" >/dev/null
"$py" tests/harness/pty_run.py --answer 999999 -- true >/dev/null  # the pty driver alone, to subtract
hyperfine --warmup 2 --runs 20 --export-json "$work/pty.json" -n pty "$py $PWD/tests/harness/pty_run.py -- true" >/dev/null

# GNU time reads the child's own peak RSS (a Python parent's rusage would include its fork).
rss_kib=$(/usr/bin/time -f %M "$bin" credential-process -p bench 2>&1 >/dev/null | tail -1)

"$py" - "$work" "$bin" "$build_s" "$rss_kib" "$full_bin" <<'PY'
import json, os, sys
work, binary, build_s, rss_kib, full_binary = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
def med(f, name):
    for r in json.load(open(f"{work}/{f}"))["results"]:
        if r["command"] == name:
            return r["median"] * 1000
floor, hit, full = med("hot.json", "floor"), med("hot.json", "hit"), med("hot.json", "full")
prompt, awscli = med("hot.json", "prompt"), med("cold.json", "awscli")
cold, pty = med("cold.json", "cold"), med("pty.json", "pty")
rss = rss_kib / 1024
print(f"cat of the cache file (floor): {floor:.2f} ms median")
print(f"credential-process cache hit:  {hit:.2f} ms median  ({hit / floor:.2f}x the floor)")
print(f"prompt segment:                {prompt:.2f} ms median  ({prompt / floor:.2f}x the floor)")
role = med("hot.json", "role")
print(f"role profile cache hit:        {role:.2f} ms median  ({role / floor:.2f}x the floor)")
print(f"the hit through mfa-session-full: {full:.2f} ms median  ({full / floor:.2f}x the floor; what the split saves)")
print(f"cold exchange (prompt + STS against the local emulator, pty driver subtracted): {cold - pty:.0f} ms median")
print(f"aws sts get-session-token (AWS CLI) against the same emulator: {awscli:.0f} ms median ({awscli / max(cold - pty, 0.1):.0f}x ours)")
print(f"peak RSS of a cache hit: {rss:.1f} MiB")
mib = lambda p: os.path.getsize(p) / 2**20
print(f"release build: {build_s} s (incremental if already built); binaries: front {mib(binary):.1f} MiB, full {mib(full_binary):.1f} MiB")
PY
