//! The session cache: one small JSON file per (long-term key, MFA serial), 0600 in a 0700
//! directory, written atomically, guarded by a lock file so concurrent callers share one exchange.

use crate::error::Error;

mod index;
mod lock;
use crate::private_file::{self, DirError, ReadError, read_private_file};
use crate::secret::Secret;
use chrono::{DateTime, Utc};
pub use index::{HitCheck, ProfileIndex, parse_index};
pub use lock::LockError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Temporary credentials from `sts:GetSessionToken`, as cached.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Session {
    /// The temporary access key id.
    pub access_key_id: String,
    /// The temporary secret key.
    pub secret_access_key: Secret,
    /// The session token.
    pub session_token: Secret,
    /// When the credentials expire.
    pub expiration: DateTime<Utc>,
    /// The account the credentials belong to, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("access_key_id", &self.access_key_id)
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

/// A cache file: the session plus what it was made for (no secrets beyond the session's).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Entry {
    /// Format version, 1.
    pub version: u32,
    /// The MFA device the session was made with.
    pub mfa_serial: String,
    /// The long-term key id it was made with, masked.
    pub source_key: String,
    /// The profile that made it.
    pub profile: String,
    /// For role credentials: the cache key of the credentials they were assumed with. Removing
    /// that entry removes this one too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The session.
    pub session: Session,
}

/// The result of looking in the cache.
#[derive(Debug)]
pub enum Lookup {
    /// A readable entry.
    Hit(Entry),
    /// No entry yet; the reason is for `-v`.
    Miss(String),
    /// A file that cannot be used (corrupt, truncated, binary, of an unknown version) or must
    /// not be trusted (a symlink, not ours, open to others, huge): ignored, and the user is told.
    Refused(String),
}

/// The cache: `sessions/` (one entry and one lock per key) and `profiles/` (prompt indexes).
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    dir: PathBuf,
    profiles: PathBuf,
}

/// The cache key of a (long-term access key id, MFA serial) pair: a hash, so file names
/// reveal neither.
pub fn key(access_key_id: &str, mfa_serial: &str) -> String {
    let digest = Sha256::digest(format!("{access_key_id}\n{mfa_serial}").as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Parses the bytes of a cache entry (`sessions/<key>.json`): only a whole, well-formed entry of
/// version 1 is `Ok`; otherwise why not, to follow "cache file PATH" (`has unknown version 2`,
/// `is corrupt (eof)`). What `Store::load` reads with, and what `fuzz/` feeds arbitrary bytes.
pub fn parse_entry(bytes: &[u8]) -> Result<Entry, String> {
    match serde_json::from_slice::<Entry>(bytes) {
        Ok(e) if e.version == 1 => Ok(e),
        Ok(e) => Err(format!("has unknown version {}", e.version)),
        Err(e) => Err(format!(
            "is corrupt ({})",
            format!("{:?}", e.classify()).to_lowercase()
        )),
    }
}

impl Store {
    /// The store kept under `root` (created on first write).
    pub fn new(root: &Path) -> Self {
        Store {
            root: root.to_owned(),
            dir: root.join("sessions"),
            profiles: root.join("profiles"),
        }
    }

    /// The path of file `name` in our subdirectory `sub`.
    pub fn private_path(&self, sub: &str, name: &str) -> PathBuf {
        self.root.join(sub).join(name)
    }

    /// Writes file `name` of our private subdirectory `sub` atomically, 0600.
    pub fn write_private(&self, sub: &str, name: &str, bytes: &[u8]) -> Result<(), Error> {
        let dir = self.root.join(sub);
        self.ensure_private(&dir)?;
        write_atomically(&dir, &dir.join(name), bytes)
    }

    /// Makes the root and `sub` private directories.
    fn ensure_private(&self, sub: &Path) -> Result<(), Error> {
        ensure_private_dir(&self.root, true)?;
        ensure_private_dir(sub, false)
    }

    /// The directory holding the entries.
    #[cfg(test)]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn entry_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    /// Reads an entry. Anything odd (missing, symlink, not ours, readable by others, huge,
    /// corrupt) is a miss, never an error: the caller then makes a new session.
    pub fn load(&self, key: &str) -> Lookup {
        match read_private_file(&self.entry_path(key)) {
            Ok(bytes) => match parse_entry(&bytes) {
                Ok(e) => Lookup::Hit(e),
                Err(why) => Lookup::Refused(format!(
                    "cache file {} {why}",
                    self.entry_path(key).display()
                )),
            },
            Err(ReadError::Missing) => Lookup::Miss("no cached session".into()),
            Err(ReadError::Refused(why) | ReadError::Unreadable(why)) => Lookup::Refused(why),
        }
    }

    /// Writes an entry atomically (see `write_atomically`) and updates the prompt indexes.
    pub fn save(&self, key: &str, entry: &Entry) -> Result<(), Error> {
        self.ensure_private(&self.dir)?;
        let bytes = serde_json::to_vec(entry).expect("entries serialize");
        write_atomically(&self.dir, &self.entry_path(key), &bytes)?;
        // Saves happen under the key's lock, so any other temp file of this key belongs to a
        // writer that died before its rename: sweep it.
        if let Ok(dir) = fs::read_dir(&self.dir) {
            let prefix = format!(".{key}.json.");
            for e in dir.flatten() {
                let name = e.file_name();
                let name = name.to_string_lossy();
                if name.starts_with(&prefix) && name.ends_with(".tmp") {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
        self.refresh_indexes(key, entry.session.expiration);
        Ok(())
    }

    /// Deletes an entry, every entry assumed with it (role credentials, down their chains) and
    /// the prompt indexes pointing at any of them; how many entries went.
    pub fn remove(&self, key: &str) -> Result<usize, Error> {
        let mut removed = usize::from(self.remove_one(key)?);
        let mut parents = vec![key.to_owned()];
        while let Some(parent) = parents.pop() {
            for (child, entry) in self.entries()? {
                if entry.parent.as_deref() == Some(parent.as_str()) && self.remove_one(&child)? {
                    removed += 1;
                    parents.push(child);
                }
            }
        }
        Ok(removed)
    }

    fn remove_one(&self, key: &str) -> Result<bool, Error> {
        for (name, idx) in self.indexes() {
            if idx.key == key {
                let _ = fs::remove_file(self.profiles.join(name));
            }
        }
        match fs::remove_file(self.entry_path(key)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(cache_error(&self.dir, &e)),
        }
    }

    /// All readable entries, by key. No directory yet is no entries; a directory that cannot be
    /// read is an error (exit 7).
    pub fn entries(&self) -> Result<Vec<(String, Entry)>, Error> {
        let dir = match fs::read_dir(&self.dir) {
            Ok(dir) => dir,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(cache_error(&self.dir, &e)),
        };
        let mut out: Vec<_> = dir
            .filter_map(|d| {
                let name = d.ok()?.file_name().into_string().ok()?;
                let key = name.strip_suffix(".json")?.to_owned();
                match self.load(&key) {
                    Lookup::Hit(e) => Some((key, e)),
                    Lookup::Miss(_) | Lookup::Refused(_) => None,
                }
            })
            .collect();
        out.sort_by(|a, b| a.1.profile.cmp(&b.1.profile));
        Ok(out)
    }
}

/// `private_file::ensure_private_dir` with the cache's messages: the root is repaired only when
/// mfa-session made it (tagged); its subdirectories live inside it, so they are ours.
fn ensure_private_dir(dir: &Path, is_root: bool) -> Result<(), Error> {
    let made_by_us = |d: &Path| !is_root || private_file::is_tagged(d);
    let repaired = |mode: u32| {
        eprintln!(
            "mfa-session: warning: cache directory {} was open to other users (mode {mode:o}): repaired to 0700",
            dir.display()
        );
    };
    private_file::ensure_private_dir(dir, is_root, made_by_us, repaired).map_err(|e| match e {
        DirError::Io(e) => cache_error(dir, &e),
        DirError::Refused(why) => Error::Cache(format!(
            "cache directory refused: {why} (or set MFA_SESSION_CACHE_DIR to a private directory)"
        )),
    })
}

/// Replaces `path` (in `dir`) with `bytes`, 0600, atomically (see `private_file::replace_file`).
fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), Error> {
    private_file::replace_file(dir, path, bytes, 0o600).map_err(|e| cache_error(dir, &e))
}

fn cache_error(dir: &Path, e: &io::Error) -> Error {
    Error::Cache(format!(
        "cannot use the cache directory {} ({}): make it writable or set MFA_SESSION_CACHE_DIR",
        dir.display(),
        e.kind()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::time::Duration;

    fn entry(exp: &str) -> Entry {
        Entry {
            version: 1,
            mfa_serial: "arn:aws:iam::123456789012:mfa/a".into(),
            source_key: "****MPLE".into(),
            profile: "work".into(),
            parent: None,
            session: Session {
                access_key_id: "ASIATEST".into(),
                secret_access_key: Secret::new("sek"),
                session_token: Secret::new("tok"),
                expiration: exp.parse().unwrap(),
                account_id: Some("123456789012".into()),
            },
        }
    }

    #[test]
    fn round_trip_with_private_permissions() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(&tmp.path().join("a/b"));
        assert!(matches!(store.load("k"), Lookup::Miss(_)));
        store.save("k", &entry("2030-01-01T00:00:00Z")).unwrap();
        let Lookup::Hit(e) = store.load("k") else {
            panic!("miss")
        };
        assert_eq!(e.session.session_token.expose(), "tok");
        let mode = |p: &Path| fs::metadata(p).unwrap().mode() & 0o777;
        assert_eq!(mode(store.dir()), 0o700);
        assert_eq!(mode(&store.dir().join("k.json")), 0o600);
        assert_eq!(store.remove("k").unwrap(), 1);
        assert_eq!(store.remove("k").unwrap(), 0);
    }

    #[test]
    fn corrupt_truncated_huge_symlinked_or_open_files_are_refused_and_said() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(&tmp.path().join("c"));
        store.save("k", &entry("2030-01-01T00:00:00Z")).unwrap();
        let path = tmp.path().join("c/sessions/k.json");
        let full = fs::read(&path).unwrap();
        let write = |bytes: &[u8]| {
            fs::write(&path, bytes).unwrap();
        };
        write(&full[..full.len() / 2]);
        assert!(matches!(store.load("k"), Lookup::Refused(m) if m.contains("corrupt (eof)")));
        write(&[0xff, 0, 0x13]);
        assert!(matches!(store.load("k"), Lookup::Refused(m) if m.contains("corrupt (syntax)")));
        write(&vec![b' '; 70 * 1024]);
        assert!(matches!(store.load("k"), Lookup::Refused(m) if m.contains("too large")));
        write(&full);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(store.load("k"), Lookup::Refused(m) if m.contains("readable by others")));
        fs::remove_file(&path).unwrap();
        let target = tmp.path().join("elsewhere.json");
        fs::write(&target, &full).unwrap();
        std::os::unix::fs::symlink(&target, &path).unwrap();
        assert!(matches!(store.load("k"), Lookup::Refused(m) if m.contains("symlink")));
    }

    #[test]
    fn a_second_lock_waits_then_gives_up_with_a_clear_message() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(&tmp.path().join("c"));
        let held = store.lock("k", Duration::from_secs(1)).unwrap();
        let Err(LockError::Busy(err)) = store.lock("k", Duration::from_millis(100)) else {
            panic!("busy")
        };
        assert!(err.to_string().contains("held the lock"), "{err}");
        drop(held);
        store.lock("k", Duration::from_millis(100)).unwrap();
    }

    proptest::proptest! {
        /// Whatever bytes the cache file holds, reading it never panics, and only a whole,
        /// well-formed entry is a hit.
        #[test]
        fn the_reader_survives_any_bytes(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            let tmp = tempfile::tempdir().unwrap();
            let store = Store::new(&tmp.path().join("c"));
            store.save("k", &entry("2030-01-01T00:00:00Z")).unwrap();
            fs::write(tmp.path().join("c/sessions/k.json"), &bytes).unwrap();
            match store.load("k") {
                Lookup::Hit(e) => proptest::prop_assert!(serde_json::from_slice::<Entry>(&bytes).is_ok() && e.version == 1),
                Lookup::Miss(_) | Lookup::Refused(_) => {}
            }
        }

        /// A valid entry cut anywhere is never a hit.
        #[test]
        fn a_truncated_entry_is_never_a_hit(cut in 0usize..400) {
            let tmp = tempfile::tempdir().unwrap();
            let store = Store::new(&tmp.path().join("c"));
            store.save("k", &entry("2030-01-01T00:00:00Z")).unwrap();
            let path = tmp.path().join("c/sessions/k.json");
            let full = fs::read(&path).unwrap();
            proptest::prop_assume!(cut < full.len());
            fs::write(&path, &full[..cut]).unwrap();
            proptest::prop_assert!(!matches!(store.load("k"), Lookup::Hit(_)));
        }
    }

    #[test]
    fn keys_differ_by_key_id_and_serial_and_hide_both() {
        let a = key("AKIA1", "arn:aws:iam::1:mfa/a");
        assert_ne!(a, key("AKIA2", "arn:aws:iam::1:mfa/a"));
        assert_ne!(a, key("AKIA1", "arn:aws:iam::1:mfa/b"));
        assert_eq!(a.len(), 32);
        assert!(!a.contains("AKIA"));
    }

    #[test]
    fn debug_of_a_session_shows_no_secret() {
        let e = entry("2030-01-01T00:00:00Z");
        let dbg = format!("{e:?}");
        assert!(!dbg.contains("sek") && !dbg.contains("tok"), "{dbg}");
    }
}
