//! The context every command runs in: each side effect is a field, filled by `main` with real
//! parts and by tests with fakes.

use crate::cache::Store;
use crate::env::{Clock, Env};
use crate::error::Error;
use crate::secret::Secret;
use crate::secret_store::SecretStore;
use crate::sts::Exchange;
use crate::tty::PromptInfo;
use std::time::Duration;

/// Where MFA codes come from.
pub trait CodeSource {
    /// Gets one code for the device in `info`.
    fn code(&self, info: &PromptInfo<'_>) -> Result<Secret, Error>;

    /// Shows progress on the terminal (never stdout); `important` ones also on stderr when
    /// there is no terminal.
    fn progress(&self, _msg: &str, _important: bool) {}
}

/// The terminal prompt.
pub struct Terminal;

impl CodeSource for Terminal {
    fn code(&self, info: &PromptInfo<'_>) -> Result<Secret, Error> {
        crate::tty::ask_code(info)
    }

    fn progress(&self, msg: &str, important: bool) {
        crate::tty::note(msg, important);
    }
}

/// `Ctx::key_created`: the profile, its new session, the key id.
pub type KeyCreated = fn(
    &crate::config::ProfileConfig,
    &crate::cache::Session,
    &str,
) -> Option<chrono::DateTime<chrono::Utc>>;

/// Every side effect the commands have, filled by `main` with real parts and by tests with fakes.
pub struct Ctx {
    /// The environment, read once.
    pub env: Env,
    /// Now.
    pub clock: Clock,
    /// The session cache.
    pub store: Store,
    /// How long the user has to type a code.
    pub prompt_timeout: Duration,
    /// How long an `mfa_process` may take (a YubiKey waits for a touch).
    pub process_timeout: Duration,
    /// Print diagnostics (never secrets) on stderr.
    pub verbose: bool,
    /// STS.
    pub sts: Box<dyn Exchange>,
    /// MFA codes typed at the terminal.
    pub codes: Box<dyn CodeSource>,
    /// Secrets: long-term keys and TOTP seeds.
    pub secrets: Box<dyn SecretStore>,
    /// Waits (for the next TOTP step); tests pass one that does not.
    pub sleep: fn(Duration),
    /// When a long-term key was made, asked of IAM with a new session (`Iam::key_created`);
    /// unit tests pass one that asks nobody.
    pub key_created: KeyCreated,
}

impl Ctx {
    /// A crash point for the tests (`MFA_SESSION_FAILPOINT=NAME`): the process dies there at
    /// once, as if killed. With `NAME:error`, the step fails with an error instead (`fail_at`).
    /// Compiled only into test builds (the `test-hooks` feature): a release reads no such variable.
    pub fn failpoint(&self, name: &str) {
        #[cfg(feature = "test-hooks")]
        if self.env.get("MFA_SESSION_FAILPOINT") == Some(name) {
            std::process::abort();
        }
        #[cfg(not(feature = "test-hooks"))]
        let _ = name;
    }

    /// An injected failure for the tests (`MFA_SESSION_FAILPOINT=NAME:error`); `Ok` in a release.
    pub fn fail_at(&self, name: &str) -> Result<(), crate::error::Error> {
        #[cfg(feature = "test-hooks")]
        if self
            .env
            .get("MFA_SESSION_FAILPOINT")
            .and_then(|v| v.strip_suffix(":error"))
            == Some(name)
        {
            return Err(crate::error::Error::Config(format!(
                "cannot go on at {name} (injected by the test)"
            )));
        }
        #[cfg(not(feature = "test-hooks"))]
        let _ = name;
        Ok(())
    }

    /// Prints a diagnostic line on stderr when `-v` is given.
    pub fn log(&self, msg: impl std::fmt::Display) {
        if self.verbose {
            eprintln!("mfa-session: {msg}");
        }
    }
}

/// A context for unit tests: profile `work` (MFA device `.../mfa/a`, keys in `[profile lt]`) in
/// `dir/config`, written once however many threads ask, the cache in `dir/cache`, keyring-core's
/// mock store, no sleeping and no IAM.
#[cfg(test)]
pub fn for_tests(
    dir: &std::path::Path,
    now: &str,
    sts: Box<dyn Exchange>,
    codes: Box<dyn CodeSource>,
) -> Ctx {
    let config = dir.join("config");
    // Written once: concurrent callers must not see it half-written.
    static WRITE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let written = WRITE.lock().unwrap_or_else(|e| e.into_inner());
    if !config.exists() {
        std::fs::write(
            &config,
            "[profile work]\nmfa_serial = arn:aws:iam::123456789012:mfa/a\nmfa_session_source_profile = lt\n\
             [profile lt]\naws_access_key_id = AKIA1\naws_secret_access_key = x\n",
        )
        .unwrap();
    }
    drop(written);
    let none = dir.join("none");
    Ctx {
        env: Env::from_pairs([
            ("AWS_CONFIG_FILE", config.to_str().unwrap()),
            ("AWS_SHARED_CREDENTIALS_FILE", none.to_str().unwrap()),
        ]),
        clock: Clock::fixed(now.parse().unwrap()),
        store: Store::new(&dir.join("cache")),
        prompt_timeout: Duration::from_secs(5),
        process_timeout: Duration::from_secs(5),
        verbose: false,
        sts,
        codes,
        secrets: Box::new(crate::secret_store::Keyring::with_store(
            keyring_core::mock::Store::new().unwrap(),
        )),
        sleep: |_| {},
        key_created: |_, _, _| None,
    }
}
