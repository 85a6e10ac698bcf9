//! Removing long-term keys kept in plain text from the AWS files, once they are in the keyring:
//! from every file and every section holding them, proven by loading the files again.

use crate::config::{self, LongTermKeys};
use crate::config_edit::{Kind, sections_holding};
use crate::env::Env;
use crate::error::Error;
use crate::user_file::{Change, UserFile};
use chrono::{DateTime, Utc};
use std::path::PathBuf;

/// The keys a section holds in plain text (all three go: a session token without its pair is
/// useless and stale).
const KEY_NAMES: &[&str] = &[
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
];

/// What was removed, and where copies remain.
#[derive(Debug, Default)]
pub struct Removed {
    /// `(file, sections)` edited.
    pub edited: Vec<(PathBuf, Vec<String>)>,
    /// Backups of the edited files: they hold the keys in plain text.
    pub backups: Vec<PathBuf>,
}

/// Removes `keys` from section `src` and from every other section holding the same access key
/// id, in the credentials file and the config file; then loads both again and fails unless no
/// profile and no line still holds the secret key.
pub fn remove(
    env: &Env,
    src: &str,
    keys: &LongTermKeys,
    now: DateTime<Utc>,
) -> Result<Removed, Error> {
    let files = [
        (config::credentials_file_path(env), Kind::Credentials),
        (config::config_file_path(env), Kind::Config),
    ];
    // Read both strictly before changing either.
    let loaded = files
        .iter()
        .map(|(path, kind)| UserFile::load(path, *kind))
        .collect::<Result<Vec<_>, _>>()?;
    let mut removed = Removed::default();
    for file in &loaded {
        let mut names = sections_holding(file.text(), "aws_access_key_id", &keys.access_key_id);
        if file.text().contains(keys.secret_access_key.expose()) && !names.iter().any(|n| n == src)
        {
            names.push(src.to_owned());
        }
        if names.is_empty() {
            continue;
        }
        let saved = file.edit(
            &Change::Strip {
                names: &names,
                keys: KEY_NAMES,
            },
            now,
        )?;
        if saved.changed {
            removed.edited.push((saved.path, names));
            removed.backups.extend(saved.backup);
        }
    }
    ensure_gone(env, keys)?;
    Ok(removed)
}

/// Fails, naming the place, if the secret key is still in either file or any loaded profile.
fn ensure_gone(env: &Env, keys: &LongTermKeys) -> Result<(), Error> {
    let secret = keys.secret_access_key.expose();
    for path in [
        config::credentials_file_path(env),
        config::config_file_path(env),
    ] {
        let kind = Kind::Credentials; // any: only the text is searched
        let text = UserFile::load(&path, kind)?;
        if text.text().contains(secret) {
            return Err(Error::Config(format!(
                "the secret key is still written in {} (in a form mfa-session cannot edit): remove it by hand",
                path.display()
            )));
        }
    }
    let set = config::load_profiles(env)?;
    if let Some(name) = set.profiles().find(|n| {
        set.get_profile(n).is_some_and(|p| {
            p.get("aws_secret_access_key") == Some(secret)
                || p.get("aws_access_key_id") == Some(keys.access_key_id.as_str())
        })
    }) {
        return Err(Error::Config(format!(
            "profile '{name}' still holds the keys in plain text: remove them by hand"
        )));
    }
    Ok(())
}
