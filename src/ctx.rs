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
}

impl Ctx {
    /// Prints a diagnostic line on stderr when `-v` is given.
    pub fn log(&self, msg: impl std::fmt::Display) {
        if self.verbose {
            eprintln!("mfa-session: {msg}");
        }
    }
}
