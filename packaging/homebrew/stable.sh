#!/usr/bin/env bash
# Prints the Homebrew formula for a release: mfa-session.rb with the crates.io url of this
# version and the sha256 of target/package/mfa-session-VERSION.crate (run `cargo package
# --locked` on the release commit first; `cargo publish` uploads that same file).
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
crate=target/package/mfa-session-$version.crate
[ -f "$crate" ] || { echo "no $crate: run cargo package --locked first" >&2; exit 1; }
sum=$(sha256sum "$crate" | cut -d' ' -f1)
sed "s|^  license |  url \"https://static.crates.io/crates/mfa-session/mfa-session-$version.crate\"\n  sha256 \"$sum\"\n  license |" \
  packaging/homebrew/mfa-session.rb
