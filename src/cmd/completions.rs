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

/// roff-escaped text.
fn roff(t: &str) -> String {
    t.replace('\\', "\\e").replace('-', "\\-")
}

/// The COMMANDS section: every visible command (and `seed set`, `role add`...) with its
/// description, arguments and options, so the one page documents them all.
fn commands_section(cmd: &clap::Command) -> String {
    let mut built = cmd.clone();
    built.build();
    let cmd = &built;
    let mut out = String::from(".SH COMMANDS\n");
    let mut stack: Vec<(String, &clap::Command)> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| (s.get_name().to_owned(), s))
        .collect();
    stack.reverse();
    while let Some((path, sub)) = stack.pop() {
        let about = sub
            .get_long_about()
            .or(sub.get_about())
            .map(|a| a.to_string())
            .unwrap_or_default();
        out += &format!(".SS \"mfa\\-session {}\"\n{}\n", roff(&path), roff(&about));
        for arg in sub.get_arguments().filter(|a| !a.is_hide_set()) {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            let value = arg
                .get_value_names()
                .map(|v| {
                    v.iter()
                        .map(|n| n.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_else(|| id.to_uppercase());
            let mut flags = Vec::new();
            if let Some(c) = arg.get_short() {
                flags.push(format!("\\-{c}"));
            }
            if let Some(l) = arg.get_long() {
                flags.push(format!("\\-\\-{}", roff(l)));
            }
            let takes = arg.get_num_args().is_some_and(|n| n.takes_values());
            let shown = match (flags.is_empty(), takes) {
                (true, _) => format!("\\fI{}\\fR", roff(&value)),
                (false, true) => format!("\\fB{}\\fR \\fI{}\\fR", flags.join(", "), roff(&value)),
                (false, false) => format!("\\fB{}\\fR", flags.join(", ")),
            };
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            out += &format!(".TP\n{shown}\n{}\n", roff(&help));
        }
        let mut nested: Vec<(String, &clap::Command)> = sub
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != "help")
            .map(|s| (format!("{path} {}", s.get_name()), s))
            .collect();
        nested.reverse();
        stack.extend(nested);
    }
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
