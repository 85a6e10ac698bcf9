//! `server` and `exec --server`: the local credential endpoint (see `crate::server`), answering
//! each request with `session::obtain`, so credentials refresh themselves while a long-running
//! process or a container uses them.

use crate::cmd::ProfileSel;
use crate::cmd::env::{CLEARED, session_vars};
use crate::ctx::Ctx;
use crate::error::Error;
use crate::server::{Endpoint, Request};
use crate::session::{Resolved, obtain};
use std::ffi::OsStr;
use std::process::Command;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

/// Serve a profile's credentials on a loopback endpoint (for containers: see the README).
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    profile: ProfileSel,
    /// The port (default: any free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
}

/// The variables a child must not get: keys that would win over the endpoint.
const STATIC: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
];

/// Answers one request from the cache (refreshing, and asking on the terminal, as needed).
fn answer(ctx: &Ctx, name: &str, req: Request) {
    req.answer(obtain(ctx, name).map(|r| r.session));
}

/// `server`: prints the two variables, then serves until killed.
pub fn run(args: &Args, ctx: &Ctx) -> Result<(), Error> {
    let name = args.profile.name(&ctx.env)?;
    obtain(ctx, &name)?;
    let ep = Endpoint::bind(args.port)?;
    println!("AWS_CONTAINER_CREDENTIALS_FULL_URI={}", ep.url());
    println!("AWS_CONTAINER_AUTHORIZATION_TOKEN={}", ep.token().expose());
    let requests = ep.start()?;
    for req in requests {
        answer(ctx, &name, req);
    }
    Ok(())
}

/// `exec --server`: starts the command with the endpoint's two variables (and no keys), serves
/// it for as long as it runs, and exits with its status.
pub fn run_child(
    ctx: &Ctx,
    name: &str,
    resolved: &Resolved,
    mut cmd: Command,
    program: &OsStr,
) -> Result<(), Error> {
    let ep = Endpoint::bind(0)?;
    for k in CLEARED.iter().chain(crate::env::SECRET_VARS).chain(STATIC) {
        cmd.env_remove(k);
    }
    cmd.envs(
        session_vars(resolved)
            .into_iter()
            .filter(|(k, _)| !STATIC.contains(k)),
    );
    cmd.env("AWS_CONTAINER_CREDENTIALS_FULL_URI", ep.url());
    cmd.env("AWS_CONTAINER_AUTHORIZATION_TOKEN", ep.token().expose());
    // The command dies with us: killed, we leave no child holding the token while the port it
    // was told of is free for another local user to bind and answer with credentials of theirs.
    // (Spawned from the main thread, which lives as long as we do.)
    crate::child::die_with_parent(&mut cmd);
    let requests = ep.start()?;
    let mut child = cmd
        .spawn()
        .map_err(|e| super::exec::not_started(program, &e))?;
    // Ctrl-C reaches the command (same process group); we stay to serve it until it exits.
    // SAFETY: signal(2) with SIG_IGN installs no handler code; set after the spawn, so the
    // child keeps the default disposition.
    unsafe { libc::signal(libc::SIGINT, libc::SIG_IGN) };
    let status = serve_until_exit(ctx, name, &requests, &mut child)?;
    use std::os::unix::process::ExitStatusExt;
    let code = status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1);
    std::process::exit(code);
}

/// Serves requests, waking every quarter second to see whether the child is gone.
fn serve_until_exit(
    ctx: &Ctx,
    name: &str,
    requests: &Receiver<Request>,
    child: &mut std::process::Child,
) -> Result<std::process::ExitStatus, Error> {
    loop {
        match requests.recv_timeout(Duration::from_millis(250)) {
            Ok(req) => answer(ctx, name, req),
            Err(RecvTimeoutError::Timeout) => {}
            // The endpoint is gone (it never should be): wait for the command, never spin.
            Err(RecvTimeoutError::Disconnected) => {
                return child
                    .wait()
                    .map_err(|e| Error::Exec(format!("cannot wait for the command: {e}")));
            }
        }
        if let Some(status) = child
            .try_wait()
            .map_err(|e| Error::Exec(format!("cannot wait for the command: {e}")))?
        {
            return Ok(status);
        }
    }
}
