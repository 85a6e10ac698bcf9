#!/usr/bin/env bash
# Installs mfa-session the ways the README offers and checks each (issue 15):
#  1. the .deb (cargo-deb): dpkg -i into a temp root with its own dpkg database (never the
#     machine's, issue 19), the offline demo against its usr/bin/mfa-session, bash completing a
#     profile name from its completion file, then dpkg -r there leaving nothing behind;
#  2. the release archive: built twice from two builds, the same bytes;
#  3. the crate: cargo package --locked, and the Homebrew formula's sha256 is that crate's, and
#     its Ruby parses.
# Run by .ci/test after cargo test; needs no root and changes nothing outside the checkout and /tmp.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'packaging: %s\n' "$*"; }
fail() { printf 'packaging: FAILED: %s\n' "$*" >&2; exit 1; }
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)

# 1. The Debian package, installed into a throwaway root with a private dpkg database: the
# machine's own packages (an installed mfa-session included) and /var/log/dpkg.log are not touched,
# and no root is needed.
bash packaging/deb.sh >/dev/null
deb=target/debian/mfa-session_${version}-1_amd64.deb
[ -f "$deb" ] || fail "no $deb"
say "$deb: $(du -k "$deb" | cut -f1) KiB; $(dpkg-deb -f "$deb" Depends)"
system_before=$(dpkg-query -W -f='${Status} ${Version}' mfa-session 2>/dev/null || true)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
# No maintainer scripts: installing and removing only places and deletes the listed files. A script
# added later must be read before this list grows.
dpkg-deb -e "$deb" "$root/control"
extra=$(ls "$root/control" | grep -vx -e control -e md5sums -e conffiles || true)
[ -z "$extra" ] || fail "the package has maintainer scripts or control files to review: $extra"
rm -rf "$root/control"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/log"
: >"$root/var/lib/dpkg/status"
# --force-depends: the private database lists no libc6. dpkg checks that ldconfig and
# start-stop-daemon are on PATH even though it runs neither for this package.
dpkg_() {
  PATH=/usr/sbin:/sbin:$PATH dpkg --root="$root" --log="$root/var/log/dpkg.log" --force-not-root \
    --force-depends "$@"
}
dpkg_ -i "$deb" >/tmp/packaging-dpkg.log 2>&1 || { cat /tmp/packaging-dpkg.log; fail "dpkg -i into $root"; }
for f in /usr/bin/mfa-session /usr/bin/mfa-session-full /usr/share/man/man1/mfa-session.1.gz \
         /usr/share/bash-completion/completions/mfa-session /usr/share/zsh/vendor-completions/_mfa-session \
         /usr/share/fish/vendor_completions.d/mfa-session.fish /usr/share/mfa-session/starship.toml \
         /usr/share/mfa-session/mfa-session.bash /usr/share/doc/mfa-session/README.md \
         /usr/share/doc/mfa-session/copyright; do
  [ -e "$root$f" ] || fail "$f not installed"
done
listed=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|')
for f in $listed; do [ -e "$root$f" ] || fail "$f is in the package but not installed"; done
bin=$root/usr/bin/mfa-session
"$bin" --version | grep -q "^mfa-session $version (" || fail "--version: $("$bin" --version)"
# The front execs mfa-session-full from its own directory: the demo runs the installed pair.
MFA_SESSION_BIN=$bin bash tests/demo.sh >/tmp/packaging-demo.log 2>&1 || { cat /tmp/packaging-demo.log; fail "demo against the installed $bin"; }
say "the offline demo ran against the package's /usr/bin/mfa-session"
home=$(mktemp -d)
printf '[profile work]\nmfa_serial = arn:aws:iam::123456789012:mfa/a\nmfa_session_source_profile = lt\n[profile other]\nregion = x\n' >"$home/config"
got=$(HOME=$home AWS_CONFIG_FILE=$home/config PATH=$root/usr/bin:/usr/bin:/bin COMPLETION=$root/usr/share/bash-completion/completions/mfa-session bash --norc -c '
  source "$COMPLETION"
  COMP_WORDS=(mfa-session exec -p wo); COMP_CWORD=3
  _mfa_session_with_profiles mfa-session wo -p
  printf "%s\n" "${COMPREPLY[@]}"')
rm -rf "$home"
[ "$got" = work ] || fail "bash completed '$got' for 'exec -p wo', not 'work'"
say "bash completes the profile name from the installed completion file"
dpkg_ -r mfa-session >/tmp/packaging-dpkg.log 2>&1 || { cat /tmp/packaging-dpkg.log; fail "dpkg -r in $root"; }
for f in $listed; do
  case "$f" in */) continue ;; esac
  [ ! -e "$root$f" ] || fail "$f left after dpkg -r"
done
[ ! -e "$root/usr/share/mfa-session" ] || fail "/usr/share/mfa-session left after dpkg -r"
status=$(dpkg_ -s mfa-session 2>/dev/null | sed -n 's/^Status: //p' || true)
case "$status" in *config-files* | *" installed") fail "dpkg still lists mfa-session: $status" ;; esac
say "dpkg -r left nothing behind (in $root, a private database)"
system_after=$(dpkg-query -W -f='${Status} ${Version}' mfa-session 2>/dev/null || true)
[ "$system_before" = "$system_after" ] || fail "the machine's mfa-session changed: '$system_before' -> '$system_after'"

# 2. The release archive, reproducible.
first=$(bash packaging/release.sh 2>/dev/null | tail -1)
# No test switch in what users get: the clock and crash-point variables are not even named.
for b in target/release/mfa-session target/release/mfa-session-full; do
  ! grep -aq -e MFA_SESSION_TEST_NOW -e MFA_SESSION_FAILPOINT "$b" || fail "$b reads a test-only variable"
done
say "the release binaries have no test hooks"
sum1=$(sha256sum "$first" | cut -d' ' -f1)
cp dist/SHA256SUMS /tmp/SHA256SUMS.1
cargo clean --release -p mfa-session >/dev/null 2>&1
second=$(bash packaging/release.sh 2>/dev/null | tail -1)
sum2=$(sha256sum "$second" | cut -d' ' -f1)
[ "$sum1" = "$sum2" ] || fail "two builds made different archives ($sum1, $sum2)"
(cd dist && sha256sum -c SHA256SUMS >/dev/null) || fail "SHA256SUMS does not match"
tar -tzf "$second" >/tmp/packaging-archive.txt
grep -q "/mfa-session-full$" /tmp/packaging-archive.txt || fail "archive without mfa-session-full"
say "$second: $(du -k "$second" | cut -f1) KiB, the same bytes from two builds ($sum1)"

# 3. The crate and the Homebrew formula.
cargo package --locked --quiet --allow-dirty >/dev/null
crate=target/package/mfa-session-$version.crate
crate_sum=$(sha256sum "$crate" | cut -d' ' -f1)
tar -tzf "$crate" >/tmp/packaging-crate.txt
if grep -qE '/(tests|benches)/' /tmp/packaging-crate.txt; then fail "the crate carries tests or benches"; fi
ruby -c packaging/homebrew/mfa-session.rb >/dev/null || fail "the formula does not parse"
bash packaging/homebrew/stable.sh >/tmp/mfa-session-stable.rb
grep -q "^  sha256 \"$crate_sum\"$" /tmp/mfa-session-stable.rb || fail "the release formula's sha256 is not the crate's ($crate_sum)"
grep -q "^  url \"https://static.crates.io/crates/mfa-session/mfa-session-$version.crate\"$" /tmp/mfa-session-stable.rb || fail "the release formula's url"
ruby -c /tmp/mfa-session-stable.rb >/dev/null || fail "the release formula does not parse"
say "cargo package --locked: $crate ($(du -k "$crate" | cut -f1) KiB); the HEAD formula and the release formula (sha256 $crate_sum) parse"
