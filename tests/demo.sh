#!/usr/bin/env bash
# The main job end to end, offline: a Force_MFA-style profile, the AWS CLI calling
# `mfa-session credential-process`, the MFA code typed at a (pseudo-)terminal, STS from a local
# emulator (moto's server behind the test proxy). Needs `mfa-session` on PATH, or MFA_SESSION_BIN.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# python3 and the AWS CLI from .ci/setup's virtual environment, when there is one.
source "$here/../.ci/env"
bin=${MFA_SESSION_BIN:-$(command -v mfa-session)}
py=$(python3 -c 'import sys; print(sys.executable)')
work=$(mktemp -d)
trap 'exec 3>&-; rm -rf "$work"' EXIT

# The emulator stops when our end of its stdin closes.
exec 3> >("$py" "$here/harness/emulator.py" >"$work/ready")
for _ in $(seq 100); do [ -s "$work/ready" ] && break; sleep 0.1; done
port=$(awk '{print $2}' "$work/ready")

export HOME=$work AWS_CONFIG_FILE=$work/config AWS_SHARED_CREDENTIALS_FILE=$work/credentials
export MFA_SESSION_CACHE_DIR=$work/cache AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
cat >"$AWS_SHARED_CREDENTIALS_FILE" <<INI
[work-long-term]
aws_access_key_id = AKIADEMO0000000001
aws_secret_access_key = demo/long/term/secret/key/0000000000000
INI
cat >"$AWS_CONFIG_FILE" <<INI
[profile work]
credential_process = $bin credential-process --profile work
mfa_serial = arn:aws:iam::123456789012:mfa/alice
mfa_session_source_profile = work-long-term
region = eu-west-1
endpoint_url = http://127.0.0.1:$port
INI
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

say "aws sts get-caller-identity --profile work   # first call: asks for the MFA code (typed: 123456)"
"$py" "$here/harness/pty_run.py" --answer 123456 --tty-log "$work/tty" -- \
  "$py" -m awscli sts get-caller-identity --profile work --output json
echo "(terminal showed: $(tr -d '\r' <"$work/tty" | tr '\n' ' '))"

say "aws sts get-caller-identity --profile work   # again, with no terminal: served from the cache"
setsid -w "$py" -m awscli sts get-caller-identity --profile work --output text </dev/null

say "mfa-session exec --profile work -- sh -c 'echo \$AWS_ACCESS_KEY_ID until \$AWS_CREDENTIAL_EXPIRATION'"
"$bin" exec --profile work -- sh -c 'echo "$AWS_ACCESS_KEY_ID until $AWS_CREDENTIAL_EXPIRATION"'

say "mfa-session status"
"$bin" status
echo
echo "demo: ok (STS calls made: $(curl -s "http://127.0.0.1:$port/_harness/stats?key=AKIADEMO0000000001" 2>/dev/null || echo '?'))"
