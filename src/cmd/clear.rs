//! `clear`: forget cached sessions.

use crate::config;
use crate::error::Error;
use crate::session::Ctx;

/// Delete cached sessions: one profile's, or all of them.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The profile whose session to delete (default: $AWS_PROFILE).
    #[arg(short = 'p', long, value_name = "PROFILE")]
    profile: Option<String>,
    /// Delete every cached session.
    #[arg(long, conflicts_with = "profile")]
    all: bool,
}

/// Deletes the sessions and says how many went.
pub fn run(args: &Args, ctx: &Ctx) -> Result<(), Error> {
    let name = args
        .profile
        .as_deref()
        .or_else(|| ctx.env.get("AWS_PROFILE"));
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
            if let Ok(cfg) = config::resolve_profile(&set, name, &ctx.env)
                && let Ok((key, _)) = crate::session::cache_key(&set, &cfg)
            {
                removed += usize::from(ctx.store.remove(&key)?);
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
