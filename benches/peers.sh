#!/usr/bin/env bash
# The cache-hit path of two peer tools from PyPI against mfa-session's, side by side in one run
# (hyperfine, median of many runs), all against the local AWS emulator (nothing reaches AWS):
#   mfa-session  `mfa-session credential-process -p bench` with a valid session in its cache
#   aws-mfa      `aws-mfa --profile bench-mfa` while the short-term keys it wrote into
#                ~/.aws/credentials are still valid (it says so and exits without calling STS)
#   awsume       `awsumepy bench-awsume` while ~/.awsume/cache holds a valid MFA session for the
#                profile (`awsume` itself is a bash wrapper meant to be sourced, around awsumepy)
# Each tool gets its own long-term access key id, so the emulator's per-key count of
# GetSessionToken calls proves every timed command was a cache hit: one call each to warm the
# cache, none while timing. Prints each median and the ratio peer / mfa-session (goal: >= 50x).
# Usage: bash benches/peers.sh [PEER_RUNS] [MFA_SESSION_RUNS]        (default 30 and 200)
#   MFA_SESSION_BIN   the binary to time (default target/release/mfa-session; never built here)
#   PEERS_VENV        a virtualenv to install the peers into and keep (default: a temp one,
#                     installed afresh from PyPI on each run)
# Needs python3 with moto (bash .ci/setup) for the emulator; installs hyperfine from Debian if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
peer_runs=${1:-30}
ours_runs=${2:-200}
repo=$PWD

bin=${MFA_SESSION_BIN:-$repo/target/release/mfa-session}
if [ ! -x "$bin" ]; then
  echo "peers.sh: no mfa-session binary at $bin; run \`cargo build --release\` first (or set MFA_SESSION_BIN)" >&2
  exit 1
fi
if ! command -v hyperfine >/dev/null; then
  sudo_=; [ "$(id -u)" = 0 ] || sudo_=sudo
  $sudo_ apt-get install -y -qq hyperfine >/dev/null
fi

source "$repo/benches/emulator.sh"

# Nothing of the user's is read or written: a temp HOME (aws-mfa always uses ~/.aws/credentials,
# awsume ~/.awsume), the AWS files inside it, and no inherited AWS / XDG / aws-mfa settings
# (awsume moves its files under XDG_* dirs when those are set; MFA_DEVICE overrides aws-mfa's device).
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
  AWS_SECURITY_TOKEN AWS_REGION AWS_ENDPOINT_URL_STS XDG_CONFIG_HOME XDG_DATA_HOME XDG_CACHE_HOME \
  MFA_DEVICE MFA_ASSUME_ROLE MFA_STS_DURATION
export HOME=$work/home
mkdir -p "$HOME/.aws"
export AWS_CONFIG_FILE=$HOME/.aws/config AWS_SHARED_CREDENTIALS_FILE=$HOME/.aws/credentials
export MFA_SESSION_CACHE_DIR=$work/cache AWS_EC2_METADATA_DISABLED=true
# boto3 has no region for a bare STS client (aws-mfa's); us-east-1 is STS's global endpoint region.
export AWS_DEFAULT_REGION=us-east-1

# The peers, in a virtualenv of their own (pip's cache lands in the temp HOME).
venv=${PEERS_VENV:-$work/venv}
if [ ! -x "$venv/bin/aws-mfa" ] || [ ! -x "$venv/bin/awsumepy" ]; then
  echo "installing aws-mfa and awsume from PyPI into $venv ..." >&2
  "$py" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check aws-mfa awsume
fi
versions=$("$venv/bin/pip" list --disable-pip-version-check 2>/dev/null |
  awk '$1 == "aws-mfa" || $1 == "awsume" || $1 == "boto3" {printf "%s %s, ", $1, $2}')

endpoint=http://127.0.0.1:$port
export AWS_ENDPOINT_URL=$endpoint  # mfa-session and boto3 (so both peers) send STS here

# GetSessionToken calls the emulator has seen for one long-term access key id.
sts_calls() {
  "$py" -c 'import json, sys, urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1]))["get_session_token"])' \
    "$endpoint/_harness/stats?key=$1"
}
fail() { echo "peers.sh: $*" >&2; exit 1; }

# One long-term key and one MFA device per tool: the proxy refuses a code reused for a device.
ours_key=AKIABENCH0000000001 mfa_key=AKIABENCH0000000002 awsume_key=AKIABENCH0000000003
cat >"$AWS_SHARED_CREDENTIALS_FILE" <<INI
# mfa-session: long-term keys in a profile of their own, named by mfa_session_source_profile.
[bench-lt]
aws_access_key_id = $ours_key
aws_secret_access_key = bench/secret1

# aws-mfa: profile P reads its long-term keys and device from [P-long-term] and writes the
# short-term keys into [P] of this same file (always ~/.aws/credentials, whatever the env says).
[bench-mfa-long-term]
aws_access_key_id = $mfa_key
aws_secret_access_key = bench/secret2
aws_mfa_device = arn:aws:iam::123456789012:mfa/aws-mfa

# awsume: a user profile (keys, no role_arn) with mfa_serial means GetSessionToken, whose result
# it caches in ~/.awsume/cache/aws-credentials-<access key id>.
[bench-awsume]
aws_access_key_id = $awsume_key
aws_secret_access_key = bench/secret3
mfa_serial = arn:aws:iam::123456789012:mfa/awsume
region = us-east-1
INI
cat >"$AWS_CONFIG_FILE" <<INI
[profile bench]
credential_process = $bin credential-process -p bench
mfa_serial = arn:aws:iam::123456789012:mfa/bench
mfa_session_source_profile = bench-lt
region = eu-west-1
INI

# Warm each cache with one real exchange. mfa-session asks on /dev/tty (pty_run.py types the code);
# both peers ask with Python's input() on stdin, so the code is piped in.
"$py" tests/harness/pty_run.py --answer 100000 -- "$bin" credential-process -p bench >/dev/null
echo 200000 | "$venv/bin/aws-mfa" --profile bench-mfa >"$work/aws-mfa.warm" 2>&1 ||
  fail "aws-mfa could not warm its credentials: $(cat "$work/aws-mfa.warm")"
echo 300000 | "$venv/bin/awsumepy" bench-awsume >"$work/awsume.warm" 2>&1 ||
  fail "awsume could not warm its cache: $(cat "$work/awsume.warm")"
for key in $ours_key $mfa_key $awsume_key; do
  [ "$(sts_calls $key)" = 1 ] || fail "warming made $(sts_calls $key) GetSessionToken calls for $key, expected 1"
done

# Each timed command, run once by hand: it must succeed without STS and say it used what it had.
# (Outputs are captured first: grep -q closing a pipe early would fail the pipeline under pipefail.)
out=$("$bin" credential-process -p bench)
[[ $out == *'"SessionToken"'* ]] || fail "mfa-session printed no credentials: $out"
out=$("$venv/bin/aws-mfa" --profile bench-mfa </dev/null 2>&1)
[[ $out == *'credentials are still valid'* ]] || fail "aws-mfa did not find its credentials still valid: $out"
# awsumepy's stdout is "Awsume KEY SECRET TOKEN REGION ..." for its shell wrapper: the session's keys,
# not the long-term ones, and a token.
read -r flag akid _ token _ < <("$venv/bin/awsumepy" bench-awsume </dev/null 2>/dev/null) || true
[ "$flag" = Awsume ] && [ "$akid" != "$awsume_key" ] && [ "${#token}" -gt 20 ] ||
  fail "awsume did not hand out a cached session (got: $flag $akid)"

# The timed runs. -N: no shell in between; stdin is /dev/null, so a peer that wanted to refresh
# would fail on its prompt (EOF) and hyperfine would stop on the non-zero exit.
echo "timing: $peer_runs runs of each peer, $ours_runs of mfa-session ..." >&2
before="$(sts_calls $ours_key) $(sts_calls $mfa_key) $(sts_calls $awsume_key)"
hyperfine -N --warmup 3 --runs "$peer_runs" --export-json "$work/peers.json" \
  -n aws-mfa "$venv/bin/aws-mfa --profile bench-mfa" \
  -n awsume "$venv/bin/awsumepy bench-awsume" >/dev/null ||
  fail "a peer's timed command failed (one that wanted to refresh would have hit EOF at its MFA prompt)"
hyperfine -N --warmup 20 --runs "$ours_runs" --export-json "$work/ours.json" \
  -n mfa-session "$bin credential-process -p bench" >/dev/null || fail "mfa-session's timed command failed"
after="$(sts_calls $ours_key) $(sts_calls $mfa_key) $(sts_calls $awsume_key)"
[ "$before" = "$after" ] ||
  fail "STS was called during the timed runs (GetSessionToken counts mfa-session aws-mfa awsume: before $before, after $after): not a cache hit"

"$py" - "$work" "$peer_runs" "$ours_runs" "$versions" <<'PY'
import json, sys
work, peer_runs, ours_runs, versions = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
def med(f, name):
    for r in json.load(open(f"{work}/{f}"))["results"]:
        if r["command"] == name:
            return r["median"] * 1000
ours = med("ours.json", "mfa-session")
print(f"mfa-session credential-process, cache hit: {ours:8.2f} ms median ({ours_runs} runs)")
for name, label in (("aws-mfa", "aws-mfa --profile P, credentials valid: "),
                    ("awsume", "awsumepy P, cached MFA session:        ")):
    m = med("peers.json", name)
    verdict = "goal >= 50x met" if m / ours >= 50 else "goal >= 50x NOT met"
    print(f"{label}   {m:8.2f} ms median ({peer_runs} runs)  = {m / ours:.0f}x mfa-session ({verdict})")
print(f"no STS call during any timed run; peers: {versions.rstrip(', ')}")
PY
