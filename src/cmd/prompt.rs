//! `prompt`: a short shell-prompt segment for the active profile's session. Reads one small
//! index file: no network, no keyring, no async runtime, no SDK config, no secrets.

use crate::cache::Store;
use crate::ctx::Ctx;
use crate::env::rfc3339;
use crate::env::{Clock, Env};
use crate::env::{PROFILE_VAR, human};
use crate::error::Error;
use chrono::{DateTime, Local, TimeDelta, Utc};

/// The segment's template when `--format` gives none.
pub const DEFAULT_FORMAT: &str = "{profile} {left}{warn}";

/// Time left under which the segment takes its warning form.
const WARN: TimeDelta = TimeDelta::minutes(15);

/// When to colour the segment.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always (still never with NO_COLOR).
    Always,
    /// Never.
    Never,
}

/// Print a prompt segment: `work 3h12m`, `work 12m!` near expiry, `work expired`, or nothing.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The profile (default: the one `exec`/`env` set in MFA_SESSION_PROFILE, else $AWS_PROFILE).
    #[command(flatten)]
    profile: super::ProfileSel,
    /// Template: {profile}, {left} (3h12m), {expires} (local HH:MM), {expiration} (RFC 3339),
    /// {warn} ("!" in the last 15 minutes). Expired sessions print "{profile} expired".
    #[arg(long, default_value = DEFAULT_FORMAT)]
    format: String,
    /// Colour the segment (green, yellow near expiry, red expired).
    #[arg(long, value_enum, default_value = "auto")]
    color: Color,
}

/// The state of a session as the prompt shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// More than 15 minutes left.
    Live,
    /// 15 minutes or less.
    Warn,
    /// Past its expiry.
    Expired,
}

/// Renders the segment and its state.
pub fn render(
    format: &str,
    profile: &str,
    expiration: DateTime<Utc>,
    now: DateTime<Utc>,
) -> (String, State) {
    let left = expiration - now;
    if left <= TimeDelta::zero() {
        return (format!("{profile} expired"), State::Expired);
    }
    let state = if left <= WARN {
        State::Warn
    } else {
        State::Live
    };
    let text = format
        .replace("{profile}", profile)
        .replace("{left}", &human(left.num_seconds()))
        .replace(
            "{expires}",
            &expiration.with_timezone(&Local).format("%H:%M").to_string(),
        )
        .replace("{expiration}", &rfc3339(expiration))
        .replace("{warn}", if state == State::Warn { "!" } else { "" });
    (text, state)
}

/// Prints the segment, or nothing when no session applies.
pub fn run(args: &Args, ctx: &Ctx) -> Result<(), Error> {
    show(
        &ctx.env,
        &ctx.clock,
        &ctx.store,
        args.profile.given(),
        &args.format,
        args.color,
    );
    Ok(())
}

/// Prints the segment for `profile` (else the exec variable, else AWS_PROFILE), or nothing.
pub fn show(
    env: &Env,
    clock: &Clock,
    store: &Store,
    profile: Option<&str>,
    format: &str,
    color: Color,
) {
    let profile = profile
        .or_else(|| env.get(PROFILE_VAR))
        .or_else(|| env.get("AWS_PROFILE"));
    let Some(profile) = profile else {
        return;
    };
    let Some(index) = store.load_index(profile) else {
        return;
    };
    let (text, state) = render(format, profile, index.expiration, clock.now());
    let colour = match color {
        _ if env.get("NO_COLOR").is_some() => false,
        Color::Never => false,
        Color::Always => true,
        Color::Auto => std::io::IsTerminal::is_terminal(&std::io::stdout()),
    };
    if colour {
        let code = match state {
            State::Live => 32,
            State::Warn => 33,
            State::Expired => 31,
        };
        println!("\x1b[{code}m{text}\x1b[0m");
    } else {
        println!("{text}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_warning_and_expired_forms() {
        let exp: DateTime<Utc> = "2026-01-01T12:00:00Z".parse().unwrap();
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let f = "{profile} {left}{warn}";
        assert_eq!(
            render(f, "work", exp, at("2026-01-01T08:48:00Z")),
            ("work 3h12m".into(), State::Live)
        );
        assert_eq!(
            render(f, "work", exp, at("2026-01-01T11:48:00Z")),
            ("work 12m!".into(), State::Warn)
        );
        assert_eq!(
            render(f, "work", exp, at("2026-01-01T12:00:00Z")),
            ("work expired".into(), State::Expired)
        );
        let (t, _) = render(
            "[{profile}|{expiration}]",
            "w",
            exp,
            at("2026-01-01T00:00:00Z"),
        );
        assert_eq!(t, "[w|2026-01-01T12:00:00Z]");
    }
}
