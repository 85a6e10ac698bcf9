# Homebrew formula: builds mfa-session from source and installs what the .deb and the release
# archive carry (both binaries side by side, man page, completions, shell snippets). Until a
# release is published it installs from the main branch (`brew install --HEAD`); at release,
# `bash packaging/homebrew/stable.sh` prints this formula with the crates.io `url` and the
# `sha256` of the very crate `cargo package --locked` makes (what `cargo publish` uploads).
class MfaSession < Formula
  desc "MFA-backed AWS session credentials for the AWS CLI, SDKs and any program"
  homepage "https://github.com/mfa-session/mfa-session"
  license any_of: ["MIT", "Apache-2.0"]
  head "https://github.com/mfa-session/mfa-session.git", branch: "main"

  depends_on "rust" => :build

  def install
    system "cargo", "install", *std_cargo_args
    generate_completions_from_executable(bin/"mfa-session-full", "completions")
    (man1/"mfa-session.1").write Utils.safe_popen_read(bin/"mfa-session-full", "man")
    pkgshare.install Dir["shell/*"]
  end

  test do
    assert_match "mfa-session", shell_output("#{bin}/mfa-session --version")
    assert_match "DenyAllExceptListedIfNoMFA", shell_output("#{bin}/mfa-session policy")
  end
end
