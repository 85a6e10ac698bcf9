//! `list`: the profiles mfa-session serves, where each one's secrets live (never the secrets),
//! where its codes come from, and the age of its key.

use crate::config::{self, KeySource};
use crate::ctx::Ctx;
use crate::error::Error;
use crate::secret::mask_key_id;
use crate::secret_store::Item;
use serde::Serialize;

/// List the profiles mfa-session serves and where each one's secrets live (never the secrets).
#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Listed {
    profile: String,
    keys: String,
    seed: String,
    mfa_process: bool,
    code_source: String,
    /// When the long-term key was made, if mfa-session has seen it (`rotate` records it).
    key_created: Option<String>,
    #[serde(skip)]
    key_age: String,
}

/// Prints each profile with where its keys and seed live.
pub fn list(args: &ListArgs, ctx: &Ctx) -> Result<(), Error> {
    let set = config::load_profiles(&ctx.env)?;
    let mut rows = Vec::new();
    for name in config::session_profiles(&set) {
        let cfg = match config::resolve_profile(&set, name, &ctx.env) {
            Ok(c) => c,
            Err(e) => {
                rows.push(Listed {
                    profile: name.into(),
                    keys: format!("misconfigured: {e}"),
                    seed: "-".into(),
                    mfa_process: false,
                    code_source: "-".into(),
                    key_created: None,
                    key_age: "-".into(),
                });
                continue;
            }
        };
        let store = ctx.secrets.label();
        let keys = match &cfg.keys {
            KeySource::Profile(src) => format!("credentials file [{src}]"),
            KeySource::Keyring(id) => match ctx.secrets.get(name, Item::Keys) {
                Ok(Some(_)) => format!("{store} ({})", mask_key_id(id)),
                Ok(None) => format!(
                    "missing from the {store} ({}): run `mfa-session add {name}`",
                    mask_key_id(id)
                ),
                Err(_) => format!("{store} (unavailable)"),
            },
        };
        let (seed, has_seed) = match ctx.secrets.get(name, Item::Seed) {
            Ok(Some(_)) => (store.to_owned(), true),
            Ok(None) => ("none".to_owned(), false),
            Err(_) => (format!("{store} unavailable"), false),
        };
        let source = match cfg.code_source {
            Some(f) => format!("{f:?} (forced)").to_lowercase(),
            None if has_seed => "seed".into(),
            None if cfg.mfa_process.is_some() => "mfa_process".into(),
            None => "prompt".into(),
        };
        let created = crate::profile::key_id(&set, &cfg)
            .ok()
            .and_then(|id| crate::rotate::created(ctx, &id));
        rows.push(Listed {
            profile: name.into(),
            keys,
            seed,
            mfa_process: cfg.mfa_process.is_some(),
            code_source: source,
            key_created: created.map(crate::env::rfc3339),
            key_age: created
                .map_or_else(|| "-".into(), |c| age((ctx.clock.now() - c).num_seconds())),
        });
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).expect("rows serialize")
        );
        return Ok(());
    }
    let header = ["PROFILE", "CODE FROM", "SEED", "KEY AGE", "KEYS"];
    let table: Vec<[&str; 5]> = rows
        .iter()
        .map(|r| {
            [
                &*r.profile,
                &*r.code_source,
                &*r.seed,
                &*r.key_age,
                &*r.keys,
            ]
        })
        .collect();
    print!("{}", super::columns(&header, &table));
    Ok(())
}

/// A key's age: `12d` from a day on, else `3h12m`, `12m`, `45s`.
pub fn age(secs: i64) -> String {
    if secs >= 86_400 {
        format!("{}d", secs / 86_400)
    } else {
        crate::env::human(secs.max(0))
    }
}
