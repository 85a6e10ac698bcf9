#!/usr/bin/env bash
# Builds target/debian/mfa-session_VERSION-1_amd64.deb with cargo-deb (cargo install cargo-deb).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked
bash packaging/assets.sh
cargo deb --no-build --locked
