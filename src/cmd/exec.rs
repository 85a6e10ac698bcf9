//! `exec`: run a command with the session in its environment, replacing this process.

use crate::cmd::ProfileArg;
use crate::cmd::env::{CLEARED, session_vars};
use crate::ctx::Ctx;
use crate::env::PROFILE_VAR;
use crate::error::Error;
use crate::session::obtain;
use std::ffi::OsString;
use std::os::unix::process::CommandExt;

/// Run a command with MFA-backed credentials in its environment.
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
    /// The command and its arguments (after `--`).
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    command: Vec<OsString>,
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
    let name = args.profile.name(&ctx.env)?;
    ensure_not_nested(ctx, &name, args.nested)?;
    let resolved = obtain(ctx, &name)?;
    let (program, rest) = args.command.split_first().expect("clap requires a command");
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
