#!/usr/bin/env bash
# The release archive: dist/mfa-session-VERSION-x86_64-unknown-linux-gnu.tar.gz (both binaries,
# man page, completions, shell snippets, README, licences) and dist/SHA256SUMS. Reproducible:
# entries sorted, owners 0:0, every time SOURCE_DATE_EPOCH (default: the last commit's time),
# gzip without a name or time stamp.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked
bash packaging/assets.sh
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
name=mfa-session-$version-x86_64-unknown-linux-gnu
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
stage=target/dist/$name
rm -rf "$stage" && mkdir -p "$stage/completions" "$stage/shell" dist
cp target/release/mfa-session target/release/mfa-session-full "$stage/"
cp target/assets/mfa-session.1.gz "$stage/"
cp target/assets/mfa-session.bash target/assets/_mfa-session target/assets/mfa-session.fish "$stage/completions/"
cp shell/* "$stage/shell/"
cp README.md LICENSE-MIT LICENSE-APACHE "$stage/"
chmod -R u=rwX,go=rX "$stage"
tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -C target/dist -cf - "$name" | gzip -9n >"dist/$name.tar.gz"
(cd dist && sha256sum "$name.tar.gz" >SHA256SUMS)
echo "dist/$name.tar.gz"
