//! `list` (also `status`): the one table of the profiles mfa-session serves: each one's cached
//! session and time left, where its codes come from (decided as a real call decides), the age
//! of its key and where its keys live (never the secrets). No network.

use crate::cache::Lookup;
use crate::config::{self, KeySource, ProfileSet};
use crate::ctx::Ctx;
use crate::env::rfc3339;
use crate::error::Error;
use crate::mfa::source::Source;
use crate::plan::{Action, plan};
use crate::secret::mask_key_id;
use serde::Serialize;

/// The profiles mfa-session serves: session, time left, code source, key age, keys
///
/// One row per profile (role profiles marked): its cached session and time left, where its
/// codes come from, its key's age and where its keys live (never the secrets). No network.
#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Only this profile (PROFILE or -p PROFILE).
    #[command(flatten)]
    profile: super::ProfileSel,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// One profile's row.
#[derive(Serialize, Default)]
struct Row {
    profile: String,
    /// `session` (GetSessionToken with MFA) or `role` (assumed on top of a session).
    kind: &'static str,
    /// For a role: the session profile it rests on.
    role_of: Option<String>,
    mfa_serial: Option<String>,
    /// `valid`, `renewal-due`, `expired`, `none` or `misconfigured`.
    state: &'static str,
    expiration: Option<String>,
    seconds_left: Option<i64>,
    keys: String,
    /// Where the TOTP seed is (`none` when there is none).
    seed: String,
    mfa_process: bool,
    /// `seed`, `mfa_process`, `prompt`, or why no code can be had.
    code_source: String,
    /// When the long-term key was made, if mfa-session has seen it.
    key_created: Option<String>,
    problem: Option<String>,
}

/// Fills `r` for profile `name`; returns the secrets store's error when it failed for keys it holds.
fn fill(ctx: &Ctx, set: &ProfileSet, name: &str, r: &mut Row) -> Option<Error> {
    r.profile = name.to_owned();
    r.kind = "session";
    r.state = "none";
    let located = match crate::profile::locate(set, &ctx.env, name) {
        Ok(l) => l,
        Err(e) => {
            r.state = "misconfigured";
            r.keys = "-".into();
            r.seed = "-".into();
            r.code_source = "-".into();
            r.problem = Some(e.to_string());
            return None;
        }
    };
    // A role profile's keys, device and codes are those of the session it rests on.
    let base = match located.chain {
        Some(chain) => {
            r.kind = "role";
            r.role_of = Some(chain.base.name.clone());
            chain.base
        }
        None => located.cfg.clone(),
    };
    r.mfa_serial = Some(base.mfa_serial.clone());
    if let Lookup::Hit(e) = ctx.store.load(&located.cache_key) {
        let now = ctx.clock.now();
        let exp = e.session.expiration;
        r.expiration = Some(rfc3339(exp));
        r.seconds_left = Some((exp - now).num_seconds().max(0));
        r.state = match plan(Some(exp), now, located.cfg.duration_seconds) {
            Action::UseCache => "valid",
            Action::Refresh if exp > now => "renewal-due",
            Action::Refresh => "expired",
        };
    }
    r.key_created = crate::profile::key_id(set, &base)
        .ok()
        .and_then(|id| crate::key_age::of(ctx, &id))
        .map(rfc3339);
    r.mfa_process = base.mfa_process.is_some();
    let store = ctx.secrets.label();
    let mut failed = None;
    r.keys = match (&base.keys, &r.role_of) {
        (_, Some(of)) => format!("those of '{of}'"),
        (KeySource::Profile(src), None) => format!("credentials file [{src}]"),
        (KeySource::Keyring(id), None) => {
            match ctx.secrets.get(name, crate::secret_store::Item::Keys) {
                Ok(Some(_)) => format!("{store} ({})", mask_key_id(id)),
                Ok(None) => format!(
                    "missing from the {store} ({}): run `mfa-session add {name}`",
                    mask_key_id(id)
                ),
                Err(e) => {
                    failed = Some(e);
                    format!("{store} unavailable ({})", mask_key_id(id))
                }
            }
        }
    };
    let (source, seed) = crate::mfa::source_and_seed(ctx, &base);
    r.seed = match seed {
        Some(Ok(true)) => store.to_owned(),
        Some(Ok(false)) | None => "none".into(),
        Some(Err(e)) => {
            // Keys elsewhere and no seed wanted: a keyring that is not there changes nothing.
            if ctx.secrets.label() != "keyring" {
                failed.get_or_insert(e);
            }
            format!("{store} unavailable")
        }
    };
    r.code_source = match source {
        Ok(Source::Seed) => "seed".into(),
        Ok(Source::Process) => "mfa_process".into(),
        Ok(Source::Terminal) => "prompt".into(),
        Err(e) => {
            r.problem.get_or_insert(e.to_string());
            "none: see `mfa-session doctor`".into()
        }
    };
    failed
}

/// Prints the table (or JSON) on stdout; an error after it when the secrets store failed for a
/// profile whose secrets it holds (a wrong passphrase, a keyring that is not there).
pub fn list(args: &ListArgs, ctx: &Ctx) -> Result<(), Error> {
    let set = config::load_profiles(&ctx.env)?;
    let names: Vec<&str> = match args.profile.given() {
        Some(one) => {
            crate::profile::ensure_exists(&set, &ctx.env, one)?;
            vec![one]
        }
        None => config::session_profiles(&set),
    };
    let mut failed = None;
    let mut rows = Vec::new();
    for name in names {
        let mut r = Row::default();
        if let Some(e) = fill(ctx, &set, name, &mut r) {
            failed.get_or_insert(e);
        }
        rows.push(r);
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).expect("rows serialize")
        );
    } else if rows.is_empty() {
        println!(
            "no profile uses mfa-session yet: run `mfa-session add PROFILE` (keys you have) or `mfa-session enroll PROFILE` (no MFA device yet)"
        );
    } else {
        print!("{}", table(ctx, &rows));
    }
    failed.map_or(Ok(()), Err)
}

fn table(ctx: &Ctx, rows: &[Row]) -> String {
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            let left = r
                .seconds_left
                .filter(|s| *s > 0)
                .map_or_else(|| "-".into(), crate::env::human);
            let age = r
                .key_created
                .as_deref()
                .and_then(|c| c.parse::<chrono::DateTime<chrono::Utc>>().ok())
                .map_or_else(
                    || "-".to_owned(),
                    |c| age((ctx.clock.now() - c).num_seconds()),
                );
            let keys = match &r.problem {
                Some(p) if r.state == "misconfigured" => p.clone(),
                _ => r.keys.clone(),
            };
            let profile = match &r.role_of {
                Some(_) => format!("{} (role)", r.profile),
                None => r.profile.clone(),
            };
            [
                profile,
                r.state.to_owned(),
                left,
                r.code_source.clone(),
                age,
                keys,
            ]
        })
        .collect();
    let table: Vec<[&str; 6]> = cells.iter().map(|r| r.each_ref().map(|c| &**c)).collect();
    super::columns(
        &["PROFILE", "SESSION", "LEFT", "CODE FROM", "KEY AGE", "KEYS"],
        &table,
    )
}

/// A key's age: `12d` from a day on, else `3h12m`, `12m`, `45s`.
pub fn age(secs: i64) -> String {
    if secs >= 86_400 {
        format!("{}d", secs / 86_400)
    } else {
        crate::env::human(secs.max(0))
    }
}
