#!/usr/bin/env bash
# What belongs beside the binaries, generated from the same clap definitions as `--help`:
# completions for bash, zsh and fish, and the gzipped man page, into target/assets/.
# Needs target/release/mfa-session-full (cargo build --release --locked).
set -euo pipefail
cd "$(dirname "$0")/.."
full=target/release/mfa-session-full
out=target/assets
mkdir -p "$out"
"$full" completions bash >"$out/mfa-session.bash"
"$full" completions zsh >"$out/_mfa-session"
"$full" completions fish >"$out/mfa-session.fish"
"$full" man | gzip -9n >"$out/mfa-session.1.gz"
