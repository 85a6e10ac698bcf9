//! The one way mfa-session changes a user's own `~/.aws/config` or `~/.aws/credentials`.
//!
//! Read strictly (only a missing file is empty; unreadable or non-UTF-8 stops). Change the text
//! (`config_edit`), then check with aws-config's own parser that the change made is the change
//! meant and every other profile and key is the same. Keep a dated 0600 backup (`create_new`,
//! never overwritten), write through symlinks to their target keeping owner and mode, re-read
//! what was written and check again; put the old text back if anything differs.

use crate::config_edit::{self, Kind};
use crate::error::Error;
use crate::private_file;
use chrono::{DateTime, Utc};
use std::borrow::Cow;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

/// A change to one of the AWS files.
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    /// Set `set` and delete `remove` in profile `name` (its section made if missing).
    Upsert {
        /// The profile.
        name: &'a str,
        /// Keys to set, with their values (never secrets: those live in the keyring).
        set: &'a [(&'a str, &'a str)],
        /// Keys to delete.
        remove: &'a [&'a str],
    },
    /// Delete `keys` from every section of these profiles, and sections left empty.
    Strip {
        /// The profiles.
        names: &'a [String],
        /// Keys to delete.
        keys: &'a [&'a str],
    },
}

impl Change<'_> {
    fn apply(&self, text: &str, kind: Kind) -> String {
        match *self {
            Change::Upsert { name, set, remove } => {
                config_edit::upsert(text, kind, name, set, remove)
            }
            Change::Strip { names, keys } => names.iter().fold(text.to_owned(), |t, n| {
                config_edit::strip_keys(&t, kind, n, keys)
            }),
        }
    }

    fn touches(&self, profile: &str) -> bool {
        match self {
            Change::Upsert { name, .. } => *name == profile,
            Change::Strip { names, .. } => names.iter().any(|n| n == profile),
        }
    }
}

/// One of the user's AWS files, read.
pub struct UserFile {
    /// The path as the user knows it (maybe a symlink).
    pub path: PathBuf,
    /// Where the bytes are (symlinks resolved).
    target: PathBuf,
    kind: Kind,
    /// The text, or `None` when there is no file yet.
    text: Option<String>,
    /// Mode and owner of the target, to keep.
    mode: u32,
    owner: Option<(u32, u32)>,
}

/// What an edit did.
#[derive(Debug)]
pub struct Saved {
    /// The file, as the user knows it.
    pub path: PathBuf,
    /// The backup of the previous text, when there was one and it changed.
    pub backup: Option<PathBuf>,
    /// Whether the file changed at all.
    pub changed: bool,
}

impl Saved {
    /// ` (previous version: BACKUP)` for the message saying what changed, or nothing.
    pub fn previous(&self) -> String {
        self.backup
            .as_ref()
            .map(|b| format!(" (previous version: {})", b.display()))
            .unwrap_or_default()
    }
}

/// How many of a file's own backups (`NAME.bak-STAMP`) an edit leaves; older ones go.
pub const KEPT_BACKUPS: usize = 5;

/// The order of one of our backups of `name` (`NAME.bak-YYYYMMDDTHHMMSSZ`, then `-2`, `-3`...),
/// or `None` for any other file (a user's own `config.bak-mine` is never touched).
fn backup_order(name: &str, file: &str) -> Option<(String, u32)> {
    let rest = file.strip_prefix(name)?.strip_prefix(".bak-")?;
    let (stamp, n) = match rest.split_once('-') {
        Some((s, n)) => (s, n.parse().ok().filter(|n| *n >= 2)?),
        None => (rest, 1),
    };
    let b = stamp.as_bytes();
    let ok = b.len() == 16
        && b[8] == b'T'
        && b[15] == b'Z'
        && b.iter()
            .enumerate()
            .all(|(i, c)| matches!(i, 8 | 15) || c.is_ascii_digit());
    ok.then(|| (stamp.to_owned(), n))
}

/// Deletes all but the `keep` newest backups of `path`; failures are left for the next edit.
fn prune_backups(path: &Path, keep: usize) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut ours: Vec<((String, u32), PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let order = backup_order(name, e.file_name().to_str()?)?;
            Some((order, e.path()))
        })
        .collect();
    ours.sort();
    let extra = ours.len().saturating_sub(keep);
    for (_, old) in ours.into_iter().take(extra) {
        let _ = std::fs::remove_file(old);
    }
}

fn stop(path: &Path, why: impl std::fmt::Display) -> Error {
    Error::Config(format!("{}: {why}; nothing was changed", path.display()))
}

impl UserFile {
    /// Reads the file strictly: only a missing file counts as empty.
    pub fn load(path: &Path, kind: Kind) -> Result<UserFile, Error> {
        let target = match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).map_err(|_| {
                stop(
                    path,
                    "is a symlink to a file that does not exist: fix the link",
                )
            })?,
            Ok(_) => path.to_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => path.to_owned(),
            Err(e) => return Err(stop(path, format!("cannot be read ({})", e.kind()))),
        };
        let text = crate::config::read_text(&target)
            .map_err(|e| Error::Config(format!("{e}; nothing was changed")))?;
        let (mode, owner) = match &text {
            None => (0o600, None),
            Some(_) => {
                let meta = std::fs::metadata(&target)
                    .map_err(|e| stop(path, format!("cannot be read ({})", e.kind())))?;
                if !meta.is_file() {
                    return Err(stop(path, "is not a regular file"));
                }
                (meta.mode() & 0o7777, Some((meta.uid(), meta.gid())))
            }
        };
        Ok(UserFile {
            path: path.to_owned(),
            target,
            kind,
            text,
            mode,
            owner,
        })
    }

    /// The text (empty when there is no file).
    pub fn text(&self) -> &str {
        self.text.as_deref().unwrap_or("")
    }

    /// The text `change` would give, checked with aws-config's parser; nothing is written.
    pub fn plan(&self, change: &Change<'_>) -> Result<String, Error> {
        plan_text(self.text(), self.kind, change).map_err(|why| {
            stop(
                &self.path,
                format!("mfa-session's edit would not do only what it should ({why}): please report this"),
            )
        })
    }

    /// Makes the change: plan, backup, write through to the target, re-read and check, or put
    /// the old text back and say so.
    pub fn edit(&self, change: &Change<'_>, now: DateTime<Utc>) -> Result<Saved, Error> {
        let new = self.plan(change)?;
        if self.text.as_deref() == Some(new.as_str()) {
            return Ok(Saved {
                path: self.path.clone(),
                backup: None,
                changed: false,
            });
        }
        let backup = match &self.text {
            Some(old) => Some(self.backup(old, now)?),
            None => None,
        };
        self.write(&new)?;
        let reread = UserFile::load(&self.path, self.kind)?;
        let verdict = if reread.text() == new {
            check(self.text(), reread.text(), self.kind, change)
        } else {
            Err("the file changed while it was written".into())
        };
        if let Err(why) = verdict {
            let restored = self.write(self.text()).is_ok();
            return Err(Error::Config(format!(
                "{}: the edit did not come out as meant ({why}); {}",
                self.path.display(),
                if restored {
                    "the previous text was put back".to_owned()
                } else {
                    format!(
                        "restore it from {}",
                        backup
                            .as_ref()
                            .map_or("your own copy".into(), |b| b.display().to_string())
                    )
                }
            )));
        }
        prune_backups(&self.path, KEPT_BACKUPS);
        Ok(Saved {
            path: self.path.clone(),
            backup,
            changed: true,
        })
    }

    /// `NAME.bak-YYYYMMDDTHHMMSSZ` (then `-2`, `-3`, ...) beside the path the user knows, 0600,
    /// never replacing an existing file.
    fn backup(&self, text: &str, now: DateTime<Utc>) -> Result<PathBuf, Error> {
        let name = self
            .path
            .file_name()
            .map_or(Cow::Borrowed("aws"), |n| n.to_string_lossy());
        let stamp = now.format("%Y%m%dT%H%M%SZ");
        for n in 1..100 {
            let suffix = if n == 1 {
                String::new()
            } else {
                format!("-{n}")
            };
            let path = self
                .path
                .with_file_name(format!("{name}.bak-{stamp}{suffix}"));
            match private_file::create_new_file(&path, text.as_bytes(), 0o600) {
                Ok(()) => return Ok(path),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(stop(
                        &self.path,
                        format!("cannot write its backup ({})", e.kind()),
                    ));
                }
            }
        }
        Err(stop(&self.path, "99 backups in one second: remove some"))
    }

    fn write(&self, text: &str) -> Result<(), Error> {
        let dir = self.target.parent().unwrap_or(Path::new("."));
        if self.text.is_none() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| {
                    stop(
                        &self.path,
                        format!("cannot create its folder ({})", e.kind()),
                    )
                })?;
        }
        private_file::replace_file_owned(dir, &self.target, text.as_bytes(), self.mode, self.owner)
            .map_err(|e| stop(&self.path, format!("cannot be written ({})", e.kind())))
    }
}

/// The text `change` gives `text` (a file of `kind`), or why it is refused: the text does not
/// parse, or aws-config reads the result as more or less than `change`. Pure; what
/// `UserFile::plan` (so every edit) uses, and what `fuzz/` feeds arbitrary text.
pub fn plan_text(text: &str, kind: Kind, change: &Change<'_>) -> Result<String, String> {
    let new = change.apply(text, kind);
    check(text, &new, kind, change)?;
    Ok(new)
}

/// Whether `new` is `old` with exactly `change` made, as aws-config reads both.
fn check(old: &str, new: &str, kind: Kind, change: &Change<'_>) -> Result<(), String> {
    let before =
        crate::config::parse_one(old, kind).map_err(|e| format!("it does not parse now: {e}"))?;
    let after =
        crate::config::parse_one(new, kind).map_err(|e| format!("it would not parse: {e}"))?;
    let mut names: Vec<&str> = before.profiles().chain(after.profiles()).collect();
    names.sort_unstable();
    names.dedup();
    for n in names {
        if !change.touches(n) && before.get_profile(n) != after.get_profile(n) {
            return Err(format!("profile '{n}' would change"));
        }
    }
    let mut sessions: Vec<&str> = before.sso_sessions().chain(after.sso_sessions()).collect();
    sessions.sort_unstable();
    sessions.dedup();
    if sessions
        .iter()
        .any(|s| before.sso_session(s) != after.sso_session(s))
        || before.other_sections() != after.other_sections()
    {
        return Err("another section would change".into());
    }
    let (targets, changed): (Vec<&str>, Vec<&str>) = match change {
        Change::Upsert { name, set, remove } => (
            vec![*name],
            set.iter()
                .map(|(k, _)| *k)
                .chain(remove.iter().copied())
                .collect(),
        ),
        Change::Strip { names, keys } => {
            (names.iter().map(String::as_str).collect(), keys.to_vec())
        }
    };
    for name in targets {
        let (b, a) = (before.get_profile(name), after.get_profile(name));
        for k in config_edit::keys_of(old, kind, name) {
            if !changed.contains(&k.as_str())
                && b.and_then(|p| p.get(&k)) != a.and_then(|p| p.get(&k))
            {
                return Err(format!("key {k} of profile '{name}' would change"));
            }
        }
        match change {
            Change::Upsert { set, remove, .. } => {
                let a = a.ok_or(format!("profile '{name}' would be missing"))?;
                if let Some((k, _)) = set.iter().find(|(k, v)| a.get(k) != Some(*v)) {
                    return Err(format!("key {k} of profile '{name}' would not be set"));
                }
                if let Some(k) = remove.iter().find(|k| a.get(k).is_some()) {
                    return Err(format!("key {k} of profile '{name}' would stay"));
                }
            }
            Change::Strip { keys, .. } => {
                if let Some(k) = keys.iter().find(|k| a.is_some_and(|p| p.get(k).is_some())) {
                    return Err(format!("key {k} of profile '{name}' would stay"));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "user_file_tests.rs"]
mod tests;
