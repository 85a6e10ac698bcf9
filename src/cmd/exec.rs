//! `exec`: run a command with the session in its environment, replacing this process.

use crate::cmd::ProfileArg;
use crate::cmd::env::{CLEARED, session_vars};
use crate::ctx::Ctx;
use crate::env::PROFILE_VAR;
use crate::error::Error;
use crate::session::obtain;
use std::ffi::OsString;
use std::os::unix::process::CommandExt;

/// Run a command with MFA-backed credentials in its environment
///
/// `mfa-session exec PROFILE -- COMMAND` (as in aws-vault), or `-p PROFILE COMMAND`; with no
/// command, your $SHELL.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    profile: ProfileArg,
    /// Allow running inside another profile's `mfa-session exec`.
    #[arg(long)]
    nested: bool,
    /// Serve credentials to the command from a local endpoint that refreshes them (for
    /// long-running commands): no keys in its environment, only the endpoint and its token.
    #[arg(long)]
    server: bool,
    /// [PROFILE --] COMMAND [ARGS...]: the profile first as in aws-vault, or -p PROFILE.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    command: Vec<OsString>,
}

/// The profile and the command in `exec`'s words: `-p NAME CMD...`; `NAME -- CMD...`;
/// `NAME CMD...` when NAME is a profile of the AWS files (`is_profile`); else `CMD...` with
/// `AWS_PROFILE`. No command: `None` (the caller's shell).
pub fn split_words<'a>(
    flag: Option<&'a str>,
    words: &'a [OsString],
    is_profile: impl Fn(&str) -> bool,
) -> (Option<&'a str>, &'a [OsString]) {
    let first = words.first().and_then(|w| w.to_str());
    let rest = |from: usize| words.get(from..).unwrap_or_default();
    match (flag, first) {
        (Some(f), Some("--")) => (Some(f), rest(1)),
        (Some(f), _) => (Some(f), words),
        (None, Some("--")) => (None, rest(1)),
        (None, Some(w)) if words.get(1).is_some_and(|x| x == "--") => (Some(w), rest(2)),
        (None, Some(w)) if is_profile(w) => (Some(w), rest(1)),
        (None, _) => (None, words),
    }
}

/// Refuses to start a session for another profile inside a running one, unless asked.
pub fn ensure_not_nested(ctx: &Ctx, name: &str, nested: bool) -> Result<(), Error> {
    match ctx.env.get(PROFILE_VAR) {
        Some(active) if active != name && !nested => Err(Error::Config(format!(
            "this shell already holds the session of profile '{active}' (from `mfa-session exec`, or `mfa {active}` / `env`): exit that shell or run `mfa off` first, or pass --nested"
        ))),
        _ => Ok(()),
    }
}

/// Replaces this process with the command; returns only when it cannot be started.
pub fn run(args: &Args, ctx: &Ctx) -> Result<(), Error> {
    let set = crate::config::load_profiles(&ctx.env)?;
    let (profile, words) = split_words(args.profile.profile.as_deref(), &args.command, |w| {
        set.get_profile(w).is_some()
    });
    let name = crate::profile::selected(profile, &ctx.env);
    crate::config_edit::ensure_profile_name(&name)?;
    crate::profile::ensure_exists(&set, &ctx.env, &name)?;
    ensure_not_nested(ctx, &name, args.nested)?;
    let resolved = obtain(ctx, &name)?;
    let shell;
    let (program, rest) = match words.split_first() {
        Some(split) => split,
        None => {
            shell = OsString::from(ctx.env.get("SHELL").unwrap_or("/bin/sh"));
            (&shell, &[][..])
        }
    };
    let mut cmd = crate::env::child(program);
    cmd.args(rest);
    if args.server {
        return super::server::run_child(ctx, &name, &resolved, cmd, program);
    }
    for k in CLEARED {
        cmd.env_remove(k);
    }
    cmd.envs(session_vars(&resolved));
    Err(not_started(program, &cmd.exec()))
}

/// The one line for a command that could not be started.
pub fn not_started(program: &std::ffi::OsStr, err: &std::io::Error) -> Error {
    let shown = program.to_string_lossy();
    Error::Exec(match err.kind() {
        std::io::ErrorKind::NotFound => {
            format!("command '{shown}' not found: check its name and PATH")
        }
        std::io::ErrorKind::PermissionDenied => {
            format!("command '{shown}' is not executable: check its permissions")
        }
        k => format!("cannot run '{shown}' ({k})"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn split(argv: &[&str]) -> (Option<String>, Vec<String>) {
        let cli = Cli::try_parse_from(std::iter::once("exec").chain(argv.iter().copied())).unwrap();
        let a = cli.args;
        let (p, w) = split_words(a.profile.profile.as_deref(), &a.command, |w| {
            ["work", "prod"].contains(&w)
        });
        (
            p.map(str::to_owned),
            w.iter().map(|w| w.to_string_lossy().into_owned()).collect(),
        )
    }

    #[test]
    fn the_profile_comes_first_or_from_p_and_the_command_after() {
        let some = |p: &str, w: &[&str]| {
            (
                Some(p.to_owned()),
                w.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            )
        };
        let none = |w: &[&str]| (None, w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            split(&["work", "--", "aws", "s3", "ls"]),
            some("work", &["aws", "s3", "ls"])
        );
        assert_eq!(
            split(&["work", "aws", "--x"]),
            some("work", &["aws", "--x"])
        );
        assert_eq!(split(&["-p", "work", "--", "aws"]), some("work", &["aws"]));
        assert_eq!(
            split(&["-p", "work", "aws", "--", "x"]),
            some("work", &["aws", "--", "x"])
        );
        assert_eq!(split(&["--", "aws", "s3"]), none(&["aws", "s3"]));
        assert_eq!(split(&["aws", "s3"]), none(&["aws", "s3"]));
        // A name before `--` is a profile even when the files lack it: its error names those they have.
        assert_eq!(split(&["wrok", "--", "aws"]), some("wrok", &["aws"]));
        assert_eq!(split(&["work"]), some("work", &[]));
        assert_eq!(split(&["work", "--"]), some("work", &[]));
        assert_eq!(split(&[]), none(&[]));
    }
}
