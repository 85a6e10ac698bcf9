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
            // After the `#compdef` line, which compinit reads to autoload the file from fpath.
            let (compdef, rest) = text.split_once('\n').unwrap_or((&text, ""));
            text = format!("{compdef}\n{}{rest}", ZSH_PROFILES.trim_start());
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

/// Prints the man page (roff): one page, `mfa-session(1)`, whose COMMANDS section lists each
/// command with its summary (clap_mangen's own section points at a page per command, which is
/// not installed).
pub fn man(cmd: clap::Command) -> Result<(), Error> {
    let fail = |e: std::io::Error| Error::Config(format!("cannot render the man page: {e}"));
    let mut out = Vec::new();
    let page = clap_mangen::Man::new(cmd.clone());
    page.render_title(&mut out).map_err(fail)?;
    page.render_name_section(&mut out).map_err(fail)?;
    page.render_synopsis_section(&mut out).map_err(fail)?;
    page.render_description_section(&mut out).map_err(fail)?;
    page.render_options_section(&mut out).map_err(fail)?;
    out.extend_from_slice(commands_section(&cmd).as_bytes());
    page.render_version_section(&mut out).map_err(fail)?;
    print!("{}", String::from_utf8_lossy(&out));
    Ok(())
}

/// The COMMANDS section: `mfa-session NAME` and its summary, for every visible command.
fn commands_section(cmd: &clap::Command) -> String {
    let roff = |t: &str| t.replace('\\', "\\e").replace('-', "\\-");
    let mut out = String::from(".SH COMMANDS\n");
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        out += &format!(
            ".TP\n\\fBmfa\\-session {}\\fR\n{}\n",
            roff(sub.get_name()),
            roff(&about)
        );
    }
    out += ".PP\nEach command's options: \\fBmfa\\-session \\fICOMMAND\\fB \\-\\-help\\fR.\n";
    out
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
