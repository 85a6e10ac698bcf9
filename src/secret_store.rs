//! Secrets kept in the OS keyring through keyring-core and its platform store (Secret Service
//! on Linux, Keychain on macOS). Items: service `mfa-session`, user `PROFILE:keys` (long-term keys, JSON) and
//! `PROFILE:totp` (the TOTP seed as an otpauth URI).

use crate::error::Error;
use crate::secret::Secret;
use keyring_core::{CredentialStore, Entry};
use std::sync::Arc;

/// The keyring service name of every item.
pub const SERVICE: &str = "mfa-session";

/// What is kept for a profile.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Item {
    /// The long-term access key pair.
    Keys,
    /// The TOTP seed.
    Seed,
}

impl Item {
    fn user(self, profile: &str) -> String {
        match self {
            Item::Keys => format!("{profile}:keys"),
            Item::Seed => format!("{profile}:totp"),
        }
    }
}

/// Where secrets live.
pub trait SecretStore {
    /// The item, or `None` when there is none.
    fn get(&self, profile: &str, item: Item) -> Result<Option<Secret>, Error>;
    /// Stores (replaces) the item.
    fn set(&self, profile: &str, item: Item, value: &Secret) -> Result<(), Error>;
    /// Deletes the item; true when there was one.
    fn delete(&self, profile: &str, item: Item) -> Result<bool, Error>;
    /// A name for messages ("the OS keyring").
    fn name(&self) -> &'static str;
    /// A short label for tables ("keyring", "encrypted file").
    fn label(&self) -> &'static str {
        match self.name() {
            "the OS keyring" => "keyring",
            _ => "encrypted file",
        }
    }
}

/// The OS keyring. The platform store is opened on first use, so commands that never touch a
/// secret (the cache-hit path, the prompt) never connect to it.
pub struct Keyring {
    store: std::sync::OnceLock<Result<Arc<CredentialStore>, String>>,
    open: fn() -> keyring_core::Result<Arc<CredentialStore>>,
}

impl Keyring {
    /// The platform's keyring (Secret Service on Linux).
    pub fn platform() -> Self {
        Keyring {
            store: std::sync::OnceLock::new(),
            open: open_platform_store,
        }
    }

    /// A keyring over a given store (keyring-core's mock, in unit tests).
    #[cfg(test)]
    pub fn with_store(store: Arc<CredentialStore>) -> Self {
        let k = Keyring {
            store: std::sync::OnceLock::new(),
            open: open_platform_store,
        };
        let _ = k.store.set(Ok(store));
        k
    }

    fn entry(&self, profile: &str, item: Item) -> Result<Entry, Error> {
        let store = self
            .store
            .get_or_init(|| (self.open)().map_err(|e| explain(&e)))
            .as_ref()
            .map_err(|why| Error::Keyring(why.clone()))?;
        Entry::new_in_store(store, SERVICE, &item.user(profile))
            .map_err(|e| Error::Keyring(explain(&e)))
    }
}

#[cfg(target_os = "linux")]
fn open_platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(zbus_secret_service_keyring_store::Store::new()?)
}

#[cfg(target_os = "macos")]
fn open_platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn open_platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Err(keyring_core::Error::NotSupportedByStore(
        "this build has no keyring store for this platform".into(),
    ))
}

/// One line for a keyring failure, naming the fix. Never includes a secret (keyring errors
/// carry none).
fn explain(e: &keyring_core::Error) -> String {
    use keyring_core::Error as K;
    match e {
        K::NoStorageAccess(_) => "the OS keyring is locked: unlock it (log in to the desktop session, or run `gnome-keyring-daemon --unlock`), or set MFA_SESSION_BACKEND=file to keep them in an encrypted file".into(),
        K::PlatformFailure(_) => "no OS keyring is reachable (no Secret Service on the D-Bus session bus: SSH session, container or WSL?): start one (gnome-keyring or KeePassXC), or set MFA_SESSION_BACKEND=file to keep keys and seeds in an encrypted file instead".into(),
        K::NotSupportedByStore(why) => format!("the OS keyring cannot do this ({why})"),
        other => format!("the OS keyring failed: {}", other.to_string().split(['\n', '"']).next().unwrap_or("")),
    }
}

impl SecretStore for Keyring {
    fn get(&self, profile: &str, item: Item) -> Result<Option<Secret>, Error> {
        match self.entry(profile, item)?.get_password() {
            Ok(v) => Ok(Some(Secret::new(v))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(Error::Keyring(explain(&e))),
        }
    }

    fn set(&self, profile: &str, item: Item, value: &Secret) -> Result<(), Error> {
        self.entry(profile, item)?
            .set_password(value.expose())
            .map_err(|e| Error::Keyring(explain(&e)))
    }

    fn delete(&self, profile: &str, item: Item) -> Result<bool, Error> {
        match self.entry(profile, item)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(Error::Keyring(explain(&e))),
        }
    }

    fn name(&self) -> &'static str {
        "the OS keyring"
    }
}

/// Where the encrypted file's passphrase comes from.
pub enum Passphrase {
    /// `MFA_SESSION_PASSPHRASE` (removed from every child's environment).
    Value(Secret),
    /// `MFA_SESSION_PASSPHRASE_FILE`: its first line; the file must be private (0600).
    File(std::path::PathBuf),
    /// Asked on the terminal (twice when the file is created).
    Terminal,
}

/// An age-encrypted file (scrypt passphrase) for machines without a usable keyring: 0600 in a
/// private directory, rewritten atomically, decrypted once per process.
pub struct EncryptedFile {
    path: std::path::PathBuf,
    source: Passphrase,
    passphrase: std::sync::OnceLock<Result<Secret, String>>,
    items: std::sync::Mutex<Option<Items>>,
}

type Items = std::collections::BTreeMap<String, String>;

/// scrypt cost of the file: age's own default (2^18, about a second to open).
const WORK_FACTOR: u8 = 18;

impl EncryptedFile {
    /// The file at `path`, opened with the passphrase from `source`.
    pub fn new(path: std::path::PathBuf, source: Passphrase) -> Self {
        EncryptedFile {
            path,
            source,
            passphrase: std::sync::OnceLock::new(),
            items: std::sync::Mutex::new(None),
        }
    }

    fn passphrase(&self, creating: bool) -> Result<Secret, Error> {
        self.passphrase
            .get_or_init(|| match &self.source {
                Passphrase::Value(p) => Ok(p.clone()),
                Passphrase::File(f) => read_passphrase_file(f),
                Passphrase::Terminal => ask_passphrase(&self.path, creating),
            })
            .clone()
            .map_err(Error::Keyring)
    }

    fn load(&self) -> Result<Items, Error> {
        let mut cached = self.items.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(items) = cached.as_ref() {
            return Ok(items.clone());
        }
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Items::new()),
            Err(e) => {
                return Err(Error::Keyring(format!(
                    "cannot read {}: {}",
                    self.path.display(),
                    e.kind()
                )));
            }
        };
        let identity =
            age::scrypt::Identity::new(self.passphrase(false)?.expose().to_owned().into());
        let plain = zeroize::Zeroizing::new(age::decrypt(&identity, &bytes).map_err(|_| {
            Error::Keyring(format!(
                "the passphrase does not open {} (or it is damaged): nothing was changed; check the passphrase",
                self.path.display()
            ))
        })?);
        let items: Items = serde_json::from_slice(&plain).map_err(|_| {
            Error::Keyring(format!(
                "{} holds no secrets mfa-session can read",
                self.path.display()
            ))
        })?;
        *cached = Some(items.clone());
        Ok(items)
    }

    fn save(&self, map: &Items) -> Result<(), Error> {
        let fail =
            |why: String| Error::Keyring(format!("cannot write {}: {why}", self.path.display()));
        let dir = self.path.parent().unwrap_or(std::path::Path::new("."));
        crate::private_file::ensure_private_dir(dir, false, |_| false, |_| {}).map_err(|e| {
            fail(match e {
                crate::private_file::DirError::Io(e) => e.kind().to_string(),
                crate::private_file::DirError::Refused(why) => why,
            })
        })?;
        let creating = !self.path.exists();
        let mut recipient =
            age::scrypt::Recipient::new(self.passphrase(creating)?.expose().to_owned().into());
        recipient.set_work_factor(WORK_FACTOR);
        let plain = zeroize::Zeroizing::new(serde_json::to_vec(map).expect("strings serialize"));
        let sealed = age::encrypt(&recipient, &plain).map_err(|e| fail(e.to_string()))?;
        crate::private_file::replace_file(dir, &self.path, &sealed, 0o600)
            .map_err(|e| fail(e.kind().to_string()))?;
        *self.items.lock().unwrap_or_else(|e| e.into_inner()) = Some(map.clone());
        Ok(())
    }
}

fn read_passphrase_file(path: &std::path::Path) -> Result<Secret, String> {
    let shown = path.display();
    let bytes = crate::private_file::read_private_file(path).map_err(|e| match e {
        crate::private_file::ReadError::Refused(why) => {
            format!("MFA_SESSION_PASSPHRASE_FILE: {why} (make it a 0600 file of yours)")
        }
        other => format!("MFA_SESSION_PASSPHRASE_FILE {shown}: {other}"),
    })?;
    let text = zeroize::Zeroizing::new(
        String::from_utf8(bytes)
            .map_err(|_| format!("MFA_SESSION_PASSPHRASE_FILE {shown} is not text"))?,
    );
    let line = text.lines().next().unwrap_or("");
    if line.is_empty() {
        return Err(format!(
            "MFA_SESSION_PASSPHRASE_FILE {shown} is empty: write the passphrase in it"
        ));
    }
    Ok(Secret::new(line))
}

/// Asks on the terminal; a new file's passphrase twice, and never an empty one.
fn ask_passphrase(path: &std::path::Path, creating: bool) -> Result<Secret, String> {
    let no_tty = |_| {
        format!(
            "no terminal to ask the passphrase of {} on: set MFA_SESSION_PASSPHRASE_FILE",
            path.display()
        )
    };
    let ask = |q: String| {
        rpassword::prompt_password(q)
            .map(Secret::new)
            .map_err(no_tty)
    };
    if !creating {
        return ask(format!("Passphrase for {}: ", path.display()));
    }
    let first = ask(format!("New passphrase for {}: ", path.display()))?;
    if first.expose().is_empty() {
        return Err("an empty passphrase protects nothing: nothing was written; choose one".into());
    }
    let again = ask("The same passphrase again: ".into())?;
    if again != first {
        return Err("the two passphrases differ: nothing was written; try again".into());
    }
    Ok(first)
}

impl SecretStore for EncryptedFile {
    fn get(&self, profile: &str, item: Item) -> Result<Option<Secret>, Error> {
        Ok(self.load()?.remove(&item.user(profile)).map(Secret::new))
    }

    fn set(&self, profile: &str, item: Item, value: &Secret) -> Result<(), Error> {
        let mut map = self.load()?;
        map.insert(item.user(profile), value.expose().to_owned());
        self.save(&map)
    }

    fn delete(&self, profile: &str, item: Item) -> Result<bool, Error> {
        let mut map = self.load()?;
        let had = map.remove(&item.user(profile)).is_some();
        if had {
            self.save(&map)?;
        }
        Ok(had)
    }

    fn name(&self) -> &'static str {
        "the encrypted secrets file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_encrypted_file_round_trips_and_refuses_a_wrong_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d/secrets.age");
        let f = EncryptedFile::new(path.clone(), Passphrase::Value(Secret::new("pw")));
        f.set(
            "work",
            Item::Seed,
            &Secret::new("otpauth://totp/x?secret=SEEDVALUE"),
        )
        .unwrap();
        assert_eq!(
            f.get("work", Item::Seed).unwrap().unwrap().expose(),
            "otpauth://totp/x?secret=SEEDVALUE"
        );
        let raw = std::fs::read(&path).unwrap();
        assert!(!String::from_utf8_lossy(&raw).contains("SEEDVALUE"));
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
        let wrong = EncryptedFile::new(path, Passphrase::Value(Secret::new("nope")));
        let err = wrong.get("work", Item::Seed).unwrap_err().to_string();
        assert!(err.contains("the passphrase does not open"), "{err}");
        assert!(f.delete("work", Item::Seed).unwrap());
        assert_eq!(f.get("work", Item::Seed).unwrap(), None);
    }

    #[test]
    fn items_round_trip_through_the_mock_store() {
        let k = Keyring::with_store(keyring_core::mock::Store::new().unwrap());
        assert_eq!(k.get("work", Item::Seed).unwrap(), None);
        k.set("work", Item::Seed, &Secret::new("otpauth://x"))
            .unwrap();
        k.set("work", Item::Keys, &Secret::new("{}")).unwrap();
        assert_eq!(
            k.get("work", Item::Seed).unwrap().unwrap().expose(),
            "otpauth://x"
        );
        assert!(k.delete("work", Item::Seed).unwrap());
        assert!(!k.delete("work", Item::Seed).unwrap());
        assert!(
            k.get("work", Item::Keys).unwrap().is_some(),
            "items are separate"
        );
    }
}
