//! `status`: the mfa-session profiles and their cached sessions. No network, no secrets.

use crate::cache::Lookup;
use crate::config;
use crate::ctx::Ctx;
use crate::env::rfc3339;
use crate::error::Error;
use crate::plan::{Action, plan};
use serde::Serialize;

/// Show each mfa-session profile and how long its cached session has left.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// One profile's state.
#[derive(Serialize, Debug)]
struct Row {
    profile: String,
    mfa_serial: Option<String>,
    state: &'static str,
    expiration: Option<String>,
    seconds_left: Option<i64>,
    /// When the long-term key was made, if mfa-session has seen it (`rotate` records it).
    key_created: Option<String>,
    problem: Option<String>,
}

fn row(ctx: &Ctx, set: &config::ProfileSet, name: &str) -> Row {
    let mut r = Row {
        profile: name.to_owned(),
        mfa_serial: None,
        state: "none",
        expiration: None,
        seconds_left: None,
        key_created: None,
        problem: None,
    };
    let resolved = crate::profile::locate(set, &ctx.env, name);
    let crate::profile::Located {
        cfg,
        cache_key: key,
        chain,
    } = match resolved {
        Ok(x) => x,
        Err(e) => {
            r.state = "misconfigured";
            r.problem = Some(e.to_string());
            return r;
        }
    };
    r.mfa_serial = Some(cfg.mfa_serial.clone());
    // A role profile's key is the one of the session it rests on.
    let base = chain.map(|c| c.base);
    r.key_created = crate::profile::key_id(set, base.as_ref().unwrap_or(&cfg))
        .ok()
        .and_then(|id| crate::rotate::created(ctx, &id))
        .map(rfc3339);
    if let Lookup::Hit(e) = ctx.store.load(&key) {
        let now = ctx.clock.now();
        let exp = e.session.expiration;
        r.expiration = Some(rfc3339(exp));
        r.seconds_left = Some((exp - now).num_seconds().max(0));
        r.state = match plan(Some(exp), now, cfg.duration_seconds) {
            Action::UseCache => "valid",
            Action::Refresh if exp > now => "renewal-due",
            Action::Refresh => "expired",
        };
    }
    r
}

/// Prints the table (or JSON) on stdout.
pub fn run(args: &Args, ctx: &Ctx) -> Result<(), Error> {
    let set = config::load_profiles(&ctx.env)?;
    let names = config::session_profiles(&set);
    let rows: Vec<Row> = names.iter().map(|n| row(ctx, &set, n)).collect();
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).expect("rows serialize")
        );
        return Ok(());
    }
    if rows.is_empty() {
        println!(
            "no profile uses mfa-session yet: run `mfa-session add PROFILE`, or see the README"
        );
        return Ok(());
    }
    let cells: Vec<[String; 5]> = rows
        .into_iter()
        .map(|r| {
            let left = r
                .seconds_left
                .filter(|s| *s > 0)
                .map(crate::env::human)
                .unwrap_or_else(|| "-".into());
            let device = r.mfa_serial.or(r.problem).unwrap_or_default();
            let age = r
                .key_created
                .and_then(|c| c.parse::<chrono::DateTime<chrono::Utc>>().ok())
                .map_or_else(
                    || "-".to_owned(),
                    |c| super::list::age((ctx.clock.now() - c).num_seconds()),
                );
            [r.profile, r.state.to_owned(), left, age, device]
        })
        .collect();
    let table: Vec<[&str; 5]> = cells.iter().map(|r| r.each_ref().map(|c| &**c)).collect();
    print!(
        "{}",
        super::columns(
            &["PROFILE", "SESSION", "LEFT", "KEY AGE", "MFA DEVICE"],
            &table
        )
    );
    Ok(())
}
