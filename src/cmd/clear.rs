//! `clear`: forget cached sessions.

use crate::config;
use crate::ctx::Ctx;
use crate::error::Error;

/// Delete cached sessions: one profile's, or all of them.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    profile: super::ProfileSel,
    /// Delete every cached session.
    #[arg(long, conflicts_with_all = ["profile", "positional"])]
    all: bool,
}

/// Deletes the sessions and says how many went, and which other profiles shared them.
pub fn run(args: &Args, ctx: &Ctx) -> Result<(), Error> {
    let name = crate::profile::chosen(args.profile.given(), &ctx.env);
    let name = name.as_deref();
    let mut removed = 0;
    let mut shared = Vec::new();
    match (args.all, name) {
        (true, _) => {
            for (key, _) in ctx.store.entries()? {
                removed += ctx.store.remove(&key)?;
            }
        }
        (false, Some(name)) => {
            // The session made for this profile's keys and device, and any made under its name.
            let set = config::load_profiles(&ctx.env)?;
            if let Ok(located) = crate::profile::locate(&set, &ctx.env, name)
                && let n = ctx.store.remove(&located.cache_key)?
                && n > 0
            {
                removed += n;
                shared = config::session_profiles(&set)
                    .into_iter()
                    .filter(|other| *other != name)
                    .filter(|other| {
                        crate::profile::locate(&set, &ctx.env, other)
                            .is_ok_and(|l| l.cache_key == located.cache_key)
                    })
                    .map(|other| format!("'{other}'"))
                    .collect();
            }
            for (key, entry) in ctx.store.entries()? {
                if entry.profile == name {
                    removed += ctx.store.remove(&key)?;
                }
            }
        }
        (false, None) => {
            return Err(Error::Config(
                "say which sessions to clear: `mfa-session clear PROFILE` (or -p PROFILE) or --all"
                    .into(),
            ));
        }
    }
    let also = if shared.is_empty() {
        String::new()
    } else {
        format!(
            " (shared with {}, which will ask for a new code too)",
            shared.join(", ")
        )
    };
    eprintln!(
        "mfa-session: cleared {}{also}",
        super::count(removed, "cached session")
    );
    Ok(())
}
