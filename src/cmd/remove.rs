//! `remove`: forget a profile's keys, seed and sessions, after a confirmation, offering to
//! keep the keys in the credentials file so the profile goes on working.

use crate::config::{self, KEY_ID_KEY, SOURCE_KEY};
use crate::config_edit::Kind;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::secret::mask_key_id;
use crate::secret_store::Item;
use crate::user_file::{Change, UserFile};

/// Forget a profile's keys and seed in the keyring, and its sessions (asks first).
#[derive(clap::Args, Debug)]
pub struct RemoveArgs {
    #[command(flatten)]
    profile: super::ProfileSel,
    /// Do not ask; needed where there is no terminal.
    #[arg(long)]
    yes: bool,
    /// First write the keys to the credentials file as [PROFILE-long-term] and point the
    /// profile there, so it goes on working from plain-text keys.
    #[arg(long)]
    keep_in_file: bool,
}

/// The credentials-file section `remove --keep-in-file` writes the keys to.
fn file_section(name: &str) -> String {
    format!("{name}-long-term")
}

/// Confirms, writes the keys back when asked, then deletes keys, seed and sessions.
pub fn remove(args: &RemoveArgs, ctx: &Ctx) -> Result<(), Error> {
    let name = &args.profile.resolve(&ctx.env)?;
    let keys = ctx
        .secrets
        .get(name, Item::Keys)?
        .as_ref()
        .and_then(crate::profile::parse_stored_keys);
    let store = ctx.secrets.name();
    let mut keep = args.keep_in_file;
    if !args.yes {
        let what = match &keys {
            Some(k) => format!(
                "Delete the keys of profile '{name}' ({}: the only copy mfa-session knows of), its seed and sessions from {store}?",
                mask_key_id(&k.access_key_id)
            ),
            None => format!("Delete the seed and sessions of profile '{name}' from {store}?"),
        };
        let no_tty = || {
            Error::Config(format!(
                "no terminal to confirm on: pass --yes to remove profile '{name}' (and --keep-in-file to keep its keys in the credentials file)"
            ))
        };
        if !crate::tty::confirm(&what).ok_or_else(no_tty)? {
            return Err(Error::Config("not confirmed: nothing changed".into()));
        }
        if keys.is_some() && !keep {
            keep = crate::tty::confirm(&format!(
                "Keep the keys in the credentials file as [{}] (plain text, 0600) so '{name}' goes on working?",
                file_section(name)
            ))
            .unwrap_or(false);
        }
    }
    let written = match (&keys, keep) {
        (Some(k), true) => Some(keep_in_file(
            ctx,
            name,
            &k.access_key_id,
            k.secret_access_key.expose(),
        )?),
        (None, true) => {
            return Err(Error::Config(format!(
                "profile '{name}' has no keys in {store} to keep: nothing changed"
            )));
        }
        _ => None,
    };
    let had_keys = ctx.secrets.delete(name, Item::Keys)?;
    let seed = ctx.secrets.delete(name, Item::Seed)?;
    let mut sessions = 0;
    for (key, entry) in ctx.store.entries()? {
        if entry.profile == *name {
            sessions += ctx.store.remove(&key)?;
        }
    }
    eprintln!(
        "mfa-session: profile '{name}': {}, {}, {} removed from {store}",
        if had_keys { "its keys" } else { "no keys" },
        if seed { "its seed" } else { "no seed" },
        super::count(sessions, "cached session")
    );
    let now = match written {
        Some(section) => format!(
            "[profile {name}] now takes its keys from [{section}] of the credentials file; `mfa-session add {name} --from-profile {section}` puts them back in {store}"
        ),
        None if had_keys => format!(
            "[profile {name}] in the config file has no keys now: `mfa-session add {name}` stores keys again, or delete the section"
        ),
        None => format!("[profile {name}] in the config file is left as it is"),
    };
    eprintln!("mfa-session: {now}");
    Ok(())
}

/// Writes the keys to [NAME-long-term] of the credentials file, then points [profile NAME] at
/// it (`mfa_session_source_profile`, no key id): both checked before either is written.
fn keep_in_file(ctx: &Ctx, name: &str, id: &str, secret: &str) -> Result<String, Error> {
    let section = file_section(name);
    let creds = UserFile::load(&config::credentials_file_path(&ctx.env), Kind::Credentials)?;
    let conf = UserFile::load(&config::config_file_path(&ctx.env), Kind::Config)?;
    let keys = [("aws_access_key_id", id), ("aws_secret_access_key", secret)];
    let write_keys = Change::Upsert {
        name: &section,
        set: &keys,
        remove: &[],
    };
    let point = Change::Upsert {
        name,
        set: &[(SOURCE_KEY, &section)],
        remove: &[KEY_ID_KEY],
    };
    creds.plan(&write_keys)?;
    conf.plan(&point)?;
    let saved = creds.edit(&write_keys, ctx.clock.now())?;
    eprintln!(
        "mfa-session: wrote the keys of profile '{name}' to [{section}] of {}{}",
        saved.path.display(),
        saved.previous()
    );
    let saved = conf.edit(&point, ctx.clock.now())?;
    eprintln!(
        "mfa-session: [profile {name}] now names {SOURCE_KEY} = {section} in {}{}",
        saved.path.display(),
        saved.previous()
    );
    Ok(section)
}
