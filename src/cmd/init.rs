//! `init`: the shell integration for an rc file, printed on stdout (as `starship init` does), so
//! every way of installing has the same rc line: `eval "$(mfa-session init bash)"`.

use crate::error::Error;

/// The shells `init` has a snippet for.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shell {
    /// `eval "$(mfa-session init bash)"` in ~/.bashrc.
    Bash,
    /// `eval "$(mfa-session init zsh)"` in ~/.zshrc (after compinit).
    Zsh,
    /// `mfa-session init fish | source` in ~/.config/fish/config.fish.
    Fish,
}

/// Print the shell integration (mfa, prompt segment, completions) for your rc file.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The shell.
    #[arg(value_enum)]
    shell: Shell,
}

/// The snippet for `shell`: the file in `shell/`, built into the binary.
pub fn snippet(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => include_str!("../../shell/mfa-session.bash"),
        Shell::Zsh => include_str!("../../shell/mfa-session.zsh"),
        Shell::Fish => include_str!("../../shell/mfa-session.fish"),
    }
}

/// Prints the snippet.
pub fn run(args: &Args) -> Result<(), Error> {
    print!("{}", snippet(args.shell));
    Ok(())
}
