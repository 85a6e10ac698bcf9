//! What resolving a profile depended on, in a form that is cheap to compare: the identity of the
//! two AWS files (device, inode, size, modification and change times to the nanosecond) and the
//! environment variables that steer resolution. The cache-hit path compares it instead of
//! parsing the files, so a hit costs the same with 3 or 3,000 profiles; any difference sends the
//! call through the full resolution.
//!
//! A file changed in the same clock tick as it was read could keep all of these: like git's
//! "racy" index entries, a fingerprint is only recorded once both files are older than
//! `SETTLE` (see `settled`), and it is taken before the files are read.

use crate::config;
use crate::env::Env;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::os::unix::fs::MetadataExt;

/// How old both files must be before their identity is trusted to stand for their content.
pub const SETTLE: chrono::TimeDelta = chrono::TimeDelta::seconds(2);

/// The variables that change what a profile resolves to (beyond its name).
const VARS: &[&str] = &[
    "HOME",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_STS",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "MFA_SESSION_BACKEND",
];

/// One file's identity; `None` in a fingerprint when the file does not exist.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileId {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

/// The fingerprint of a resolution.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Fingerprint {
    config: Option<FileId>,
    credentials: Option<FileId>,
    env: String,
}

fn file_id(path: &std::path::Path) -> Option<FileId> {
    // Follows symlinks: a link pointed elsewhere shows as another inode.
    let m = std::fs::metadata(path).ok()?;
    Some(FileId {
        dev: m.dev(),
        ino: m.ino(),
        size: m.size(),
        mtime: (m.mtime(), m.mtime_nsec()),
        ctime: (m.ctime(), m.ctime_nsec()),
    })
}

impl Fingerprint {
    /// The fingerprint of the files and variables as they are now (two `stat` calls).
    pub fn current(env: &Env) -> Fingerprint {
        let mut h = Sha256::new();
        for v in VARS {
            h.update(format!("{v}={}\n", env.get(v).unwrap_or("")).as_bytes());
        }
        Fingerprint {
            config: file_id(&config::config_file_path(env)),
            credentials: file_id(&config::credentials_file_path(env)),
            env: h
                .finalize()
                .iter()
                .take(16)
                .map(|b| format!("{b:02x}"))
                .collect(),
        }
    }

    /// Whether both files were last changed at least `SETTLE` before `now`, so that a later
    /// change cannot leave the same identity behind.
    pub fn settled(&self, now: DateTime<Utc>) -> bool {
        let limit = now - SETTLE;
        let at = |(s, ns): (i64, i64)| DateTime::from_timestamp(s, u32::try_from(ns).unwrap_or(0));
        [&self.config, &self.credentials]
            .into_iter()
            .flatten()
            .all(|f| {
                at(f.mtime).is_some_and(|t| t < limit) && at(f.ctime).is_some_and(|t| t < limit)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_keeping_size_and_mtime_changes_the_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        std::fs::write(
            &config,
            "[profile w]\nmfa_serial = arn:aws:iam::123456789012:mfa/aa\n",
        )
        .unwrap();
        let env = Env::from_pairs([
            ("AWS_CONFIG_FILE", config.to_str().unwrap()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
        ]);
        let before = Fingerprint::current(&env);
        assert_eq!(
            before,
            Fingerprint::current(&env),
            "stable while nothing changes"
        );
        let mtime = std::fs::metadata(&config).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(
            &config,
            "[profile w]\nmfa_serial = arn:aws:iam::123456789012:mfa/bb\n",
        )
        .unwrap();
        std::fs::File::options()
            .write(true)
            .open(&config)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        assert_eq!(
            std::fs::metadata(&config).unwrap().modified().unwrap(),
            mtime
        );
        assert_ne!(before, Fingerprint::current(&env), "the change time moved");
        let elsewhere = Env::from_pairs([("AWS_CONFIG_FILE", "/nonexistent/config")]);
        assert_ne!(before, Fingerprint::current(&elsewhere));
        let region = Env::from_pairs([
            ("AWS_CONFIG_FILE", config.to_str().unwrap()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
            ("AWS_REGION", "eu-west-1"),
        ]);
        assert_ne!(Fingerprint::current(&env), Fingerprint::current(&region));
    }

    #[test]
    fn a_fingerprint_of_files_changed_just_now_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        std::fs::write(&config, "").unwrap();
        let env = Env::from_pairs([("AWS_CONFIG_FILE", config.to_str().unwrap())]);
        let fp = Fingerprint::current(&env);
        let changed =
            DateTime::from_timestamp(std::fs::metadata(&config).unwrap().ctime(), 0).unwrap();
        assert!(!fp.settled(changed + chrono::TimeDelta::seconds(1)));
        assert!(fp.settled(changed + chrono::TimeDelta::seconds(3)));
    }
}
