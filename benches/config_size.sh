#!/usr/bin/env bash
# Does a credential-process cache hit cost the same with 30 or 3,000 profiles in ~/.aws/config?
# Builds this tree and a base revision (default: 6205b43, before the flat hit path) in release,
# then for configs of 30, 300, 1,000 and 3,000 SSO-style profiles (and a credentials file of as
# many sections) times, in one run: `cat` of the cache file, the base's hit, this tree's hit
# (hyperfine, median per round, median of ROUNDS rounds' ratios). Prints the table.
# Usage: bash benches/config_size.sh [BASE_REV] [RUNS_PER_ROUND] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
base_rev=${1:-6205b43}
runs=${2:-60}
rounds=${3:-5}
if ! command -v hyperfine >/dev/null; then
  sudo_=; [ "$(id -u)" = 0 ] || sudo_=sudo
  $sudo_ apt-get install -y -qq hyperfine >/dev/null
fi
cargo build --release --locked -q
new=$PWD/target/release/mfa-session
base_src=$PWD/target/bench-base-src
rm -rf "$base_src"
git worktree prune
git worktree add -q --detach "$base_src" "$base_rev"
(cd "$base_src" && CARGO_TARGET_DIR=$PWD/../bench-base cargo build --release --locked -q)
git worktree remove --force "$base_src"
old=$PWD/target/bench-base/release/mfa-session
source benches/emulator.sh
export AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL=http://127.0.0.1:$port
code=300000
role_arn=$("$py" -c 'import json,sys,urllib.request; r=urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=b"{\"name\": \"bench-admin\"}", method="POST")); print(json.load(r)["Arn"])' "http://127.0.0.1:$port/_harness/role")
echo "| profiles in ~/.aws/config | lines | base hit / cat | this hit / cat | this hit (ms) | role hit / cat | role prompt / cat |"
echo "|---|---|---|---|---|---|---|"
for n in 30 300 1000 3000; do
  d=$work/n$n
  mkdir -p "$d"
  export HOME=$d AWS_CONFIG_FILE=$d/config AWS_SHARED_CREDENTIALS_FILE=$d/credentials
  "$py" - "$d" "$n" "$role_arn" <<'PY'
import sys
d, n = sys.argv[1], int(sys.argv[2])
with open(f"{d}/config", "w") as c, open(f"{d}/credentials", "w") as k:
    c.write("[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n\n")
    for i in range(n - 1):
        c.write(f"[profile acct{i:04d}-admin]\nsso_session = corp\nsso_account_id = {100000000000 + i}\n"
                f"sso_role_name = AdministratorAccess\nregion = eu-west-1\noutput = json\n\n")
        k.write(f"[other{i:04d}]\naws_access_key_id = AKIAOTHER{i:011d}\naws_secret_access_key = secret{i}\n\n")
    c.write("[profile bench]\nmfa_serial = arn:aws:iam::123456789012:mfa/bench\n"
            "mfa_session_source_profile = bench-lt\nregion = eu-west-1\n")
    c.write(f"[profile bench-role]\nmfa_session_role_arn = {sys.argv[3]}\nmfa_session_role_source = bench\n")
    k.write("[bench-lt]\naws_access_key_id = AKIABENCH0000000001\naws_secret_access_key = bench/secret\n")
PY
  for which in old new; do
    bin=${!which}
    export MFA_SESSION_CACHE_DIR=$d/cache-$which
    code=$((code + 1))
    "$py" tests/harness/pty_run.py --answer $code -- "$bin" credential-process -p bench >/dev/null
  done
  MFA_SESSION_CACHE_DIR=$d/cache-new "$new" credential-process -p bench-role >/dev/null
  sleep 2.2  # files older than the 2 s rule: the next full resolution records the fingerprint
  for which in old new; do
    MFA_SESSION_CACHE_DIR=$d/cache-$which "${!which}" credential-process -p bench >/dev/null
  done
  MFA_SESSION_CACHE_DIR=$d/cache-new "$new" credential-process -p bench-role >/dev/null
  for p in bench bench-role; do
    grep -q '"Hit"' "$d/cache-new/profiles/$p.json" || echo "warning: no flat-hit record for $p at $n profiles" >&2
  done
  cache=$(ls "$d"/cache-new/sessions/*.json)
  # Rounds, each timing cat and the commands side by side: a ratio per round, then the median of
  # the rounds' ratios (drift on a shared machine moves a round, not the result).
  for r in $(seq "$rounds"); do
    MFA_SESSION_CACHE_DIR=$d/cache-new hyperfine -N --warmup 5 --runs "$runs" --export-json "$d/new-$r.json" \
      -n floor "cat $cache" -n new "$new credential-process -p bench" \
      -n role "$new credential-process -p bench-role" \
      -n role-prompt "$new prompt -p bench-role --color never" >/dev/null 2>&1
    MFA_SESSION_CACHE_DIR=$d/cache-old hyperfine -N --warmup 5 --runs "$runs" --export-json "$d/old-$r.json" \
      -n floor "cat $cache" -n old "$old credential-process -p bench" >/dev/null 2>&1
  done
  "$py" - "$d" "$n" "$rounds" <<'PY'
import json, statistics, sys
d, n, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def med(f, name):
    return next(r["median"] for r in json.load(open(f"{d}/{f}"))["results"] if r["command"] == name) * 1000
def ratio(kind, name):
    return statistics.median(med(f"{kind}-{r}.json", name) / med(f"{kind}-{r}.json", "floor") for r in range(1, rounds + 1))
def ms(kind, name):
    return statistics.median(med(f"{kind}-{r}.json", name) for r in range(1, rounds + 1))
lines = sum(1 for _ in open(f"{d}/config"))
print(f"| {n:,} | {lines:,} | {ratio('old', 'old'):.2f}x ({ms('old', 'old'):.1f} ms) | {ratio('new', 'new'):.2f}x "
      f"| {ms('new', 'new'):.2f} | {ratio('new', 'role'):.2f}x | {ratio('new', 'role-prompt'):.2f}x |")
PY
done
