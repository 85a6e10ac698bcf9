//! `rotate`: replace the profile's long-term access key (see `crate::rotate`).

use crate::cmd::ProfileSel;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::rotate::{Outcome, rotate};
use crate::secret::mask_key_id;

/// Replace the profile's long-term access key: a new key is made, stored where the old one
/// lived and checked, then the old one is deleted; the cached session goes on.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    profile: ProfileSel,
    /// Only when the key is older than this (e.g. 90d, 12h): for cron.
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    older_than: Option<chrono::TimeDelta>,
}

/// `90d`, `12h`, `30m`: a whole number and a unit.
fn parse_age(s: &str) -> Result<chrono::TimeDelta, String> {
    let bad = || format!("'{s}' is not an age like 90d, 12h or 30m");
    let (n, unit) = s.split_at(s.len().saturating_sub(1));
    let n: i64 = n.parse().map_err(|_| bad())?;
    match unit {
        "d" => chrono::TimeDelta::try_days(n),
        "h" => chrono::TimeDelta::try_hours(n),
        "m" => chrono::TimeDelta::try_minutes(n),
        _ => None,
    }
    .filter(|_| n > 0)
    .ok_or_else(bad)
}

/// Rotates and says what happened.
pub fn run(args: &Args, ctx: &Ctx) -> Result<(), Error> {
    let name = args.profile.resolve(&ctx.env)?;
    match rotate(ctx, &name, args.older_than)? {
        Outcome::Rotated { old, new, place } => eprintln!(
            "mfa-session: rotated the key of profile '{name}': {} replaced by {} (in {place}), {} deleted in AWS; the cached session goes on",
            mask_key_id(&old),
            mask_key_id(&new),
            mask_key_id(&old)
        ),
        Outcome::Fresh { id, age } => eprintln!(
            "mfa-session: key {} of profile '{name}' is {} old, not older than asked: nothing to do",
            mask_key_id(&id),
            crate::env::human(age.num_seconds())
        ),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn ages_are_a_number_and_a_unit() {
        assert_eq!(super::parse_age("90d").unwrap().num_days(), 90);
        assert_eq!(super::parse_age("12h").unwrap().num_hours(), 12);
        assert_eq!(super::parse_age("30m").unwrap().num_minutes(), 30);
        for bad in ["", "d", "90", "0d", "-1d", "9w", "1.5d"] {
            assert!(super::parse_age(bad).is_err(), "{bad}");
        }
    }
}
