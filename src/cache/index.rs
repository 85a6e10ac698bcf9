//! The prompt index: one tiny file per profile (`profiles/NAME.json`) naming its session's cache
//! key and expiry, so the shell prompt reads no secret and no AWS file.

use super::{Store, write_atomically};
use crate::fingerprint::Fingerprint;
use crate::private_file::read_private_file;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::PathBuf;

/// What the shell prompt reads for a profile: which session it uses and when that expires.
/// Kept apart from the session so the prompt never reads a secret.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct ProfileIndex {
    /// The cache key of the session.
    pub key: String,
    /// When that session expires.
    pub expiration: DateTime<Utc>,
    /// What the profile resolved to, and from what: lets a cache hit skip the AWS files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hit: Option<HitCheck>,
}

/// The settings a cache hit needs, with the fingerprint of the files and variables they were
/// resolved from. Only valid while the fingerprint still matches.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct HitCheck {
    /// The profile's MFA device.
    pub mfa_serial: String,
    /// The profile's session length (the refresh margin depends on it).
    pub duration_seconds: u32,
    /// What the resolution depended on.
    pub fingerprint: Fingerprint,
}

/// The file name (without `.json`) of a profile's index. Injective, so no two profiles ever
/// share an index, and safe on case-insensitive file systems: a plain name (lower-case letters,
/// digits and `._-@+=,`, not starting with `.`) is kept as it is; any other is `~` and the hex
/// of its bytes (`~` never occurs in a plain name, hex digits are lower-case).
pub fn file_stem(profile: &str) -> String {
    let plain = !profile.is_empty()
        && !profile.starts_with('.')
        && profile
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-@+=,".contains(&b));
    if plain {
        profile.to_owned()
    } else {
        let hex: String = profile.bytes().map(|b| format!("{b:02x}")).collect();
        format!("~{hex}")
    }
}

/// Parses the bytes of a prompt index (`profiles/<name>.json`); `None` for anything that is not
/// a whole, well-formed index. What `Store::load_index` reads with, and what `fuzz/` feeds
/// arbitrary bytes.
pub fn parse_index(bytes: &[u8]) -> Option<ProfileIndex> {
    serde_json::from_slice(bytes).ok()
}

impl Store {
    fn index_path(&self, profile: &str) -> PathBuf {
        self.profiles.join(format!("{}.json", file_stem(profile)))
    }

    /// The prompt index of `profile`, if any (a miss on anything odd, like a cache entry).
    pub fn load_index(&self, profile: &str) -> Option<ProfileIndex> {
        parse_index(&read_private_file(&self.index_path(profile)).ok()?)
    }

    /// Points `profile`'s index at `index`, unless it already does (the cache-hit path pays one
    /// small read). Failures only cost the prompt its segment: reported, never fatal.
    pub fn ensure_index(&self, profile: &str, index: &ProfileIndex) {
        if self.load_index(profile).as_ref() == Some(index) {
            return;
        }
        let result = self.ensure_private(&self.profiles).and_then(|()| {
            let bytes = serde_json::to_vec(index).expect("index serializes");
            write_atomically(&self.profiles, &self.index_path(profile), &bytes)
        });
        if let Err(e) = result {
            eprintln!("mfa-session: warning: prompt index not written: {e}");
        }
    }

    /// Brings every profile index that points at `key` up to the new expiry (profiles that
    /// share keys and device share the session).
    pub(super) fn refresh_indexes(&self, key: &str, expiration: DateTime<Utc>) {
        for (name, mut idx) in self.indexes() {
            if idx.key == key && idx.expiration != expiration {
                idx.expiration = expiration;
                let bytes = serde_json::to_vec(&idx).expect("index serializes");
                let _ = write_atomically(&self.profiles, &self.profiles.join(name), &bytes);
            }
        }
    }

    /// Every prompt index, by file name.
    pub(super) fn indexes(&self) -> Vec<(String, ProfileIndex)> {
        let Ok(dir) = fs::read_dir(&self.profiles) else {
            return Vec::new();
        };
        dir.filter_map(|d| {
            let path = d.ok()?.path();
            let idx = parse_index(&read_private_file(&path).ok()?)?;
            Some((path.file_name()?.to_str()?.to_owned(), idx))
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::file_stem;
    use proptest::prelude::*;

    #[test]
    fn a_plain_name_that_looks_like_an_encoded_one_gets_its_own_file() {
        // Once "6f70732f61646d696e.x" (a plain name) and "ops/admin" (encoded) shared a file.
        assert_ne!(file_stem("6f70732f61646d696e.x"), file_stem("ops/admin"));
        assert_ne!(file_stem("~6f7073"), file_stem("ops"));
        assert_ne!(file_stem("Work"), file_stem("work"));
        assert_eq!(file_stem("work"), "work");
    }

    proptest! {
        #[test]
        fn index_file_names_are_injective_and_case_safe(a in ".{0,12}", b in ".{0,12}") {
            let (fa, fb) = (file_stem(&a), file_stem(&b));
            prop_assert_eq!(fa == fb, a == b);
            // Case-insensitive file systems (macOS, Windows) must not merge two names either.
            prop_assert_eq!(fa.to_lowercase() == fb.to_lowercase(), a == b);
            prop_assert!(!fa.contains('/') && !fa.starts_with('.') && !fa.is_empty());
        }

        #[test]
        fn look_alike_names_never_collide(a in "[a-z~0-9.x/A-Z]{0,10}", b in "[a-z~0-9.x/A-Z]{0,10}") {
            prop_assert_eq!(file_stem(&a) == file_stem(&b), a == b);
        }
    }
}
