//! `rotate`: replace a profile's long-term access key without ever being left without a working
//! stored one. MFA session (cached, or one code) → iam:CreateAccessKey → the new key stored
//! where the old one lived → wait until AWS knows it → iam:DeleteAccessKey of the old one. The
//! cached session is kept under the new key, so no new code is asked.
//!
//! A journal (`rotate/<profile>` in the cache directory: key ids and a time, no secret) is
//! written before the new key exists and removed at the end. `rotate` run again after a crash
//! at any point reads it and finishes: a new key that was stored is verified and the old one
//! deleted; a new key whose secret never got stored (a crash between CreateAccessKey and the
//! store) is deleted in IAM, and the rotation starts over.

use crate::cache::{self, Lookup};
use crate::config::{self, KeySource, LongTermKeys, ProfileConfig, ProfileSet};
use crate::config_edit::Kind;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::iam::{AccessKey, Iam};
use crate::profile;
use crate::secret::mask_key_id;
use crate::secret_store::Item;
use crate::user_file::{Change, UserFile};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What a rotation that has begun knows: no secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Journal {
    /// The key being replaced.
    old: String,
    /// The new key, once IAM made it.
    new: Option<String>,
    /// When the rotation began.
    started: DateTime<Utc>,
}

/// How long `rotate` waits for AWS to know a new key (IAM is eventually consistent).
const WAIT_FOR_NEW_KEY: Duration = Duration::from_secs(60);

fn journal_name(profile: &str) -> String {
    cache::key("rotate", profile)
}

fn read_journal(ctx: &Ctx, profile: &str) -> Option<Journal> {
    let path = ctx.store.private_path("rotate", &journal_name(profile));
    let bytes = crate::private_file::read_private_file(&path).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn write_journal(ctx: &Ctx, profile: &str, j: &Journal) -> Result<(), Error> {
    let bytes = serde_json::to_vec(j).expect("journal serializes");
    ctx.store
        .write_private("rotate", &journal_name(profile), &bytes)
}

fn remove_journal(ctx: &Ctx, profile: &str) {
    let _ = std::fs::remove_file(ctx.store.private_path("rotate", &journal_name(profile)));
}

/// The id of the key the profile's config names (the one the cache is keyed by).
fn stored_id(set: &ProfileSet, cfg: &ProfileConfig) -> Result<String, Error> {
    profile::key_id(set, cfg)
}

/// The id of the keys the secrets store holds for the profile, if it holds any.
fn store_holds(ctx: &Ctx, name: &str) -> Option<String> {
    let stored = ctx.secrets.get(name, Item::Keys).ok()??;
    profile::parse_stored_keys(&stored).map(|k| k.access_key_id)
}

/// What `rotate` did.
pub enum Outcome {
    /// The key was replaced.
    Rotated {
        /// The old key's id.
        old: String,
        /// The new key's id.
        new: String,
        /// Where the new key is kept.
        place: String,
    },
    /// The key is younger than `--older-than`.
    Fresh {
        /// Its id.
        id: String,
        /// Its age.
        age: chrono::TimeDelta,
    },
}

/// Rotates profile `name`'s key (a no-op for a key younger than `older_than`).
pub fn rotate(
    ctx: &Ctx,
    name: &str,
    older_than: Option<chrono::TimeDelta>,
) -> Result<Outcome, Error> {
    let set = config::load_profiles(&ctx.env)?;
    let located = profile::locate(&set, &ctx.env, name)?;
    if let Some(chain) = &located.chain {
        return Err(Error::Config(format!(
            "'{name}' is a role profile, which has no key of its own: rotate the key of '{}'",
            chain.base.name
        )));
    }
    let (mut set, mut cfg) = (set, located.cfg);
    let journal = read_journal(ctx, name);
    // A crash after the new key was stored: make config and cache point at it before anything
    // needs a session.
    if let Some(j) = &journal
        && let Some(new) = &j.new
    {
        if matches!(cfg.keys, KeySource::Keyring(_))
            && store_holds(ctx, name).as_deref() == Some(new)
            && stored_id(&set, &cfg)? != *new
        {
            point_config_at(ctx, name, new)?;
            set = config::load_profiles(&ctx.env)?;
            cfg = profile::locate(&set, &ctx.env, name)?.cfg;
        }
        rekey_session(ctx, &cfg, &j.old, new);
    }
    // The user, from the long-term keys (GetCallerIdentity needs no MFA); the IAM calls then
    // with the MFA session, as the Force_MFA policy asks.
    let long_term = profile::long_term_keys(&set, &cfg, ctx.secrets.as_ref())?;
    let user = Iam::connect(name, cfg.sts_region(), &long_term)?.user_name()?;
    let session = crate::session::obtain(ctx, name)?.session;
    let iam = Iam::connect_session(name, cfg.sts_region(), &session)?;
    let current = stored_id(&set, &cfg)?;
    let mut keys = iam.list_access_keys(Some(&user))?;
    if let Some(j) = journal {
        if j.new.as_deref() == Some(current.as_str()) {
            return finish(ctx, &iam, &user, &cfg, &j.old, &long_term, &keys);
        }
        match leftover(&j, &current, &keys) {
            // The new key never got stored: its secret is lost. Delete that key, and only that
            // one, in IAM; start over.
            Leftover::Named(id) => {
                iam.delete_access_key(&user, &id)?;
                eprintln!(
                    "mfa-session: deleted key {} of an earlier rotate that did not finish (its secret was never stored)",
                    mask_key_id(&id)
                );
                keys.retain(|k| k.id != id);
            }
            Leftover::Unnamed(suspects) => {
                return Err(unnamed_leftover(name, &user, &current, &suspects));
            }
            Leftover::None => {}
        }
        remove_journal(ctx, name);
    }
    start(ctx, &iam, &user, &set, &cfg, &current, &keys, older_than)
}

/// What an unfinished rotation may have left in IAM.
#[derive(Debug, PartialEq, Eq)]
enum Leftover {
    /// Nothing of it is left.
    None,
    /// The key it made, named by the journal: the only key rotate may delete.
    Named(String),
    /// It stopped between CreateAccessKey and noting the new key's id: these keys, made since
    /// it began, may be that key or somebody else's. Nothing is deleted.
    Unnamed(Vec<AccessKey>),
}

/// Decides what an unfinished rotation left, from its journal and the user's keys (pure).
fn leftover(j: &Journal, current: &str, keys: &[AccessKey]) -> Leftover {
    let others = keys.iter().filter(|k| k.id != current);
    match &j.new {
        Some(new) if new != current => {
            if keys.iter().any(|k| k.id == *new) {
                Leftover::Named(new.clone())
            } else {
                Leftover::None
            }
        }
        Some(_) => Leftover::None,
        None => {
            // A key older than the journal cannot be the one it made.
            let suspects: Vec<AccessKey> = others
                .filter(|k| {
                    k.created
                        .is_none_or(|c| c >= j.started - chrono::TimeDelta::seconds(60))
                })
                .cloned()
                .collect();
            if suspects.is_empty() {
                Leftover::None
            } else {
                Leftover::Unnamed(suspects)
            }
        }
    }
}

fn unnamed_leftover(name: &str, user: &str, current: &str, suspects: &[AccessKey]) -> Error {
    let listed: Vec<String> = suspects
        .iter()
        .map(|k| match k.created {
            Some(c) => format!("{} (made {})", k.id, crate::env::rfc3339(c)),
            None => k.id.clone(),
        })
        .collect();
    Error::Config(format!(
        "an earlier `rotate {name}` stopped right after asking IAM for a new key, before it could note the key's id; IAM user {user} now has {} in use by '{name}' and {}: if that key is not used anywhere, delete it (aws iam delete-access-key --user-name {user} --access-key-id ID) and run rotate again; nothing was changed",
        mask_key_id(current),
        listed.join(", ")
    ))
}

/// A rotation from the beginning: checks, journal, CreateAccessKey, store, finish.
#[allow(clippy::too_many_arguments)]
fn start(
    ctx: &Ctx,
    iam: &Iam,
    user: &str,
    set: &ProfileSet,
    cfg: &ProfileConfig,
    current: &str,
    keys: &[AccessKey],
    older_than: Option<chrono::TimeDelta>,
) -> Result<Outcome, Error> {
    let name = cfg.name.as_str();
    let Some(mine) = keys.iter().find(|k| k.id == current) else {
        return Err(Error::Config(format!(
            "the key {} of profile '{name}' is not one of IAM user {user}'s keys: store the user's working key first (`mfa-session add {name}`)",
            mask_key_id(current)
        )));
    };
    if let Some(created) = mine.created {
        crate::key_age::record(ctx, current, created);
        let age = ctx.clock.now() - created;
        if older_than.is_some_and(|min| age < min) {
            return Ok(Outcome::Fresh {
                id: current.to_owned(),
                age,
            });
        }
    }
    if keys.len() >= 2 {
        let ids: Vec<String> = keys.iter().map(|k| mask_key_id(&k.id)).collect();
        return Err(Error::Config(format!(
            "IAM user {user} already has two access keys ({}), the most AWS allows, so there is no room for a new one: delete the one not in use (aws iam delete-access-key --user-name {user} --access-key-id ID) and run rotate again; nothing was changed",
            ids.join(", ")
        )));
    }
    let holders = other_holders(ctx, cfg, current)?;
    if !holders.is_empty() {
        return Err(Error::Config(format!(
            "the key {} of profile '{name}' is also used by {}: rotate would delete it under them; point them at '{name}' (source_profile = {name}) or remove them (`mfa-session remove`), and run rotate again; nothing was changed",
            mask_key_id(current),
            holders.join(", ")
        )));
    }
    let mut journal = Journal {
        old: current.to_owned(),
        new: None,
        started: ctx.clock.now(),
    };
    write_journal(ctx, name, &journal)?;
    ctx.failpoint("journal");
    let (new_keys, created) = iam
        .create_access_key(user)
        .inspect_err(|_| remove_journal(ctx, name))?;
    ctx.failpoint("created");
    journal.new = Some(new_keys.access_key_id.clone());
    write_journal(ctx, name, &journal)?;
    ctx.failpoint("noted");
    if let Some(c) = created {
        crate::key_age::record(ctx, &new_keys.access_key_id, c);
    }
    store(ctx, set, cfg, &new_keys)?;
    rekey_session(ctx, cfg, current, &new_keys.access_key_id);
    ctx.failpoint("stored");
    finish(ctx, iam, user, cfg, current, &new_keys, keys)
}

/// Other profiles whose keys in the secrets store are key `old` (`mfa_session_access_key_id`):
/// rotate cannot move them (it does not read other profiles' secrets), so it refuses.
fn other_holders(ctx: &Ctx, cfg: &ProfileConfig, old: &str) -> Result<Vec<String>, Error> {
    let path = config::config_file_path(&ctx.env);
    let file = UserFile::load(&path, Kind::Config)?;
    Ok(
        crate::config_edit::sections_holding(file.text(), config::KEY_ID_KEY, old)
            .into_iter()
            .filter(|section| *section != cfg.name)
            .map(|section| format!("profile '{section}' (its keys in {})", ctx.secrets.name()))
            .collect(),
    )
}

/// Every section of the AWS files that still holds key `old` in plain text (`[default]`, a
/// copy kept with `add --keep-plaintext`, the source section itself) gets the new key, so no
/// profile is left with a key rotate is about to delete. Idempotent: run again after a crash.
fn update_file_holders(ctx: &Ctx, old: &str, new: &LongTermKeys) -> Result<(), Error> {
    for (path, kind) in [
        (config::credentials_file_path(&ctx.env), Kind::Credentials),
        (config::config_file_path(&ctx.env), Kind::Config),
    ] {
        let file = UserFile::load(&path, kind)?;
        for section in crate::config_edit::sections_holding(file.text(), "aws_access_key_id", old) {
            let saved = UserFile::load(&path, kind)?.edit(
                &Change::Upsert {
                    name: &section,
                    set: &[
                        ("aws_access_key_id", &new.access_key_id),
                        ("aws_secret_access_key", new.secret_access_key.expose()),
                    ],
                    remove: &[],
                },
                ctx.clock.now(),
            )?;
            eprintln!(
                "mfa-session: the new key is in [{section}] of {}{}; the backup holds the old key, which rotate deletes in AWS next",
                saved.path.display(),
                saved.previous()
            );
        }
    }
    Ok(())
}

/// Keeps the new key where the old one lived: the secrets store (and the key id in the
/// config), or the AWS file section that held the old key.
fn store(
    ctx: &Ctx,
    set: &ProfileSet,
    cfg: &ProfileConfig,
    new: &LongTermKeys,
) -> Result<(), Error> {
    match &cfg.keys {
        KeySource::Keyring(_) => {
            ctx.secrets
                .set(&cfg.name, Item::Keys, &profile::stored_keys(new))?;
            ctx.failpoint("stored-secret");
            point_config_at(ctx, &cfg.name, &new.access_key_id)
        }
        KeySource::Profile(src) => {
            let old = config::source_key_id(set, cfg)?;
            for (path, kind) in [
                (config::credentials_file_path(&ctx.env), Kind::Credentials),
                (config::config_file_path(&ctx.env), Kind::Config),
            ] {
                let file = UserFile::load(&path, kind)?;
                if !crate::config_edit::sections_holding(file.text(), "aws_access_key_id", old)
                    .contains(src)
                {
                    continue;
                }
                let saved = file.edit(
                    &Change::Upsert {
                        name: src,
                        set: &[
                            ("aws_access_key_id", &new.access_key_id),
                            ("aws_secret_access_key", new.secret_access_key.expose()),
                        ],
                        remove: &[],
                    },
                    ctx.clock.now(),
                )?;
                eprintln!(
                    "mfa-session: the new key is in [{src}] of {}{}; the backup holds the old key, which rotate deletes in AWS next",
                    saved.path.display(),
                    saved.previous()
                );
                return Ok(());
            }
            Err(Error::Config(format!(
                "the key of profile '{src}' is in neither AWS file as written: rotate cannot tell where to keep the new one; nothing was stored"
            )))
        }
    }
}

/// Sets `mfa_session_access_key_id` of [profile NAME] to the new key's id.
fn point_config_at(ctx: &Ctx, name: &str, key_id: &str) -> Result<(), Error> {
    let path = config::config_file_path(&ctx.env);
    UserFile::load(&path, Kind::Config)?.edit(
        &Change::Upsert {
            name,
            set: &[(config::KEY_ID_KEY, key_id)],
            remove: &[],
        },
        ctx.clock.now(),
    )?;
    Ok(())
}

/// Keeps the MFA session made with the old key under the new key's cache entry: it is the same
/// user's session, so no new code is needed.
fn rekey_session(ctx: &Ctx, cfg: &ProfileConfig, old: &str, new: &str) {
    let (from, to) = (
        cache::key(old, &cfg.mfa_serial),
        cache::key(new, &cfg.mfa_serial),
    );
    if let (Lookup::Hit(mut e), false) = (
        ctx.store.load(&from),
        matches!(ctx.store.load(&to), Lookup::Hit(_)),
    ) {
        e.source_key = mask_key_id(new);
        let _ = ctx.store.save(&to, &e);
    }
}

/// Waits until AWS knows the new key, deletes the old one, and closes the journal.
fn finish(
    ctx: &Ctx,
    iam: &Iam,
    user: &str,
    cfg: &ProfileConfig,
    old: &str,
    new: &LongTermKeys,
    keys: &[AccessKey],
) -> Result<Outcome, Error> {
    wait_until_known(ctx, cfg, new, old)?;
    update_file_holders(ctx, old, new)?;
    ctx.failpoint("works");
    if keys.iter().any(|k| k.id == old) {
        iam.delete_access_key(user, old)?;
    }
    ctx.failpoint("deleted");
    let _ = ctx.store.remove(&cache::key(old, &cfg.mfa_serial));
    remove_journal(ctx, &cfg.name);
    Ok(Outcome::Rotated {
        old: old.to_owned(),
        new: new.access_key_id.clone(),
        place: match &cfg.keys {
            KeySource::Keyring(_) => ctx.secrets.name().to_owned(),
            KeySource::Profile(src) => format!("[{src}]"),
        },
    })
}

/// sts:GetCallerIdentity with the new key until it answers, within `WAIT_FOR_NEW_KEY`.
fn wait_until_known(
    ctx: &Ctx,
    cfg: &ProfileConfig,
    new: &LongTermKeys,
    old: &str,
) -> Result<(), Error> {
    let start = std::time::Instant::now();
    loop {
        let answer = Iam::connect(&cfg.name, cfg.sts_region(), new).and_then(|iam| iam.identity());
        match answer {
            Ok(_) => return Ok(()),
            Err(Error::Denied(_)) if start.elapsed() < WAIT_FOR_NEW_KEY => {
                ctx.log("the new key is not known to AWS yet: waiting");
                (ctx.sleep)(Duration::from_secs(1));
            }
            Err(e) => {
                return Err(Error::Unavailable(format!(
                    "the new key {} is stored but does not work yet ({e}): run `mfa-session rotate {}` again to finish; the old key {} is kept until then",
                    mask_key_id(&new.access_key_id),
                    cfg.name,
                    mask_key_id(old)
                )));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, created: &str) -> AccessKey {
        AccessKey {
            id: id.into(),
            created: Some(created.parse().unwrap()),
            active: true,
        }
    }

    #[test]
    fn only_the_key_the_journal_names_is_ever_rotates_to_delete() {
        let started: DateTime<Utc> = "2026-12-01T10:00:00Z".parse().unwrap();
        let j = |new: Option<&str>| Journal {
            old: "AKIAOLD".into(),
            new: new.map(str::to_owned),
            started,
        };
        let old = key("AKIAOLD", "2026-01-01T00:00:00Z");
        let ours = key("AKIAOURS", "2026-12-01T10:00:01Z");
        let ci = key("AKIACI", "2026-12-05T09:00:00Z");
        let older = key("AKIAOLDER", "2026-06-01T00:00:00Z");
        let cases = [
            (
                j(Some("AKIAOURS")),
                vec![old.clone(), ours.clone()],
                Leftover::Named("AKIAOURS".into()),
            ),
            // Named but gone, and a key somebody made days later: nothing of ours to delete.
            (
                j(Some("AKIAOURS")),
                vec![old.clone(), ci.clone()],
                Leftover::None,
            ),
            // Stored already: the named key is the current one.
            (j(Some("AKIAOLD")), vec![old.clone()], Leftover::None),
            // Not named: a key made since may be ours or anybody's: never deleted.
            (
                j(None),
                vec![old.clone(), ci.clone()],
                Leftover::Unnamed(vec![ci.clone()]),
            ),
            (
                j(None),
                vec![old.clone(), ours.clone()],
                Leftover::Unnamed(vec![ours.clone()]),
            ),
            // A key older than the rotation cannot be its leftover.
            (j(None), vec![old.clone(), older.clone()], Leftover::None),
            (j(None), vec![old.clone()], Leftover::None),
        ];
        for (journal, keys, want) in cases {
            assert_eq!(
                leftover(&journal, "AKIAOLD", &keys),
                want,
                "{journal:?} {keys:?}"
            );
        }
    }
}
