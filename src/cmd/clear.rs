//! `clear`: forget cached sessions.

use crate::config;
use crate::ctx::Ctx;
use crate::error::Error;

/// Delete cached sessions: one profile's, or all of them.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    profile: super::ProfileArg,
    /// Delete every cached session.
    #[arg(long, conflicts_with = "profile")]
    all: bool,
}

/// Deletes the sessions and says how many went.
pub fn run(args: &Args, ctx: &Ctx) -> Result<(), Error> {
    let name = crate::profile::chosen(args.profile.profile.as_deref(), &ctx.env);
    let name = name.as_deref();
    let mut removed = 0;
    match (args.all, name) {
        (true, _) => {
            for (key, _) in ctx.store.entries() {
                removed += usize::from(ctx.store.remove(&key)?);
            }
        }
        (false, Some(name)) => {
            // The session made for this profile's keys and device, and any made under its name.
            let set = config::load_profiles(&ctx.env)?;
            if let Ok(located) = crate::profile::locate(&set, &ctx.env, name) {
                removed += usize::from(ctx.store.remove(&located.cache_key)?);
            }
            for (key, entry) in ctx.store.entries() {
                if entry.profile == name {
                    removed += usize::from(ctx.store.remove(&key)?);
                }
            }
        }
        (false, None) => {
            return Err(Error::Config(
                "say which sessions to clear: --profile NAME or --all".into(),
            ));
        }
    }
    eprintln!(
        "mfa-session: cleared {removed} cached session{}",
        if removed == 1 { "" } else { "s" }
    );
    Ok(())
}
