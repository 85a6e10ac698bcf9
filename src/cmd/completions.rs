//! `completions` and `man`: shell completions (profile names completed from the config file)
//! and the man page, generated from the same clap definitions as `--help`.

use crate::config;
use crate::ctx::Ctx;
use crate::error::Error;
use clap_complete::Shell;

/// Print a completion script (bash, zsh, fish, powershell, elvish).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The shell.
    #[arg(value_enum)]
    shell: Shell,
}

/// Completes `--profile` values in bash: our profile names, else clap's completion.
const BASH_PROFILES: &str = r#"
_mfa_session_with_profiles() {
    local prev=${COMP_WORDS[COMP_CWORD-1]}
    if [[ $prev == -p || $prev == --profile ]]; then
        COMPREPLY=($(compgen -W "$(mfa-session __profiles 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
        return 0
    fi
    CLAP_FUNCTION "$@"
}
complete -F _mfa_session_with_profiles -o bashdefault -o default mfa-session
"#;

const ZSH_PROFILES: &str = r#"
_mfa_session_profiles() {
    local -a profiles
    profiles=(${(f)"$(mfa-session __profiles 2>/dev/null)"})
    _describe 'profile' profiles
}
"#;

const FISH_PROFILES: &str =
    "complete -c mfa-session -s p -l profile -x -a '(mfa-session __profiles 2>/dev/null)'\n";

/// Renders the completion script for `shell`.
pub fn script(shell: Shell, mut cmd: clap::Command) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "mfa-session", &mut out);
    let mut text = String::from_utf8(out).expect("clap writes UTF-8");
    match shell {
        Shell::Bash => {
            // Delegate to clap's function, whatever it named it.
            let clap_fn = text
                .split("complete -F ")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .unwrap_or("_mfa__session")
                .to_owned();
            text += &BASH_PROFILES.replace("CLAP_FUNCTION", &clap_fn);
        }
        Shell::Zsh => {
            text = text.replace(":PROFILE:_default", ":PROFILE:_mfa_session_profiles");
            text = ZSH_PROFILES.trim_start().to_owned() + &text;
        }
        Shell::Fish => text += FISH_PROFILES,
        _ => {}
    }
    text
}

/// Prints the script.
pub fn run(args: &Args, cmd: clap::Command) -> Result<(), Error> {
    print!("{}", script(args.shell, cmd));
    Ok(())
}

/// Prints the man page (roff).
pub fn man(cmd: clap::Command) -> Result<(), Error> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .map_err(|e| Error::Config(format!("cannot render the man page: {e}")))?;
    print!("{}", String::from_utf8_lossy(&out));
    Ok(())
}

/// Prints the names of the profiles mfa-session serves, one a line (for completions).
pub fn profiles(ctx: &Ctx) -> Result<(), Error> {
    let set = config::load_profiles(&ctx.env)?;
    let names = config::session_profiles(&set);
    for n in names {
        println!("{n}");
    }
    Ok(())
}
