//! The process environment, read once. The only module that touches `std::env` or the wall clock.

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Set by tests only: a fixed "now" (RFC 3339) so expiry logic can be tested without sleeping.
#[cfg(feature = "test-hooks")]
pub const TEST_NOW: &str = "MFA_SESSION_TEST_NOW";

/// Variables of mfa-session's that hold or point at a secret: removed from the environment of
/// every process it starts (`exec` children, `mfa_process` commands).
pub const SECRET_VARS: &[&str] = &["MFA_SESSION_PASSPHRASE", "MFA_SESSION_PASSPHRASE_FILE"];

/// The one way mfa-session starts another program: a `Command` for `program` whose
/// environment has none of `SECRET_VARS` (every spawn goes through here; the front's hand-over
/// to `mfa-session-full` is the one exec that keeps them, since the full binary needs them).
pub fn child(program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
    let mut command = std::process::Command::new(program);
    for k in SECRET_VARS {
        command.env_remove(k);
    }
    command
}

/// A snapshot of environment variables. Empty values count as unset, as in the AWS SDKs.
#[derive(Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// The real process environment (non-UTF-8 variables are skipped).
    pub fn real() -> Self {
        Env {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        }
    }

    /// An environment made of the given pairs, for tests.
    #[cfg(test)]
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }

    /// The value of `key`, or `None` when unset or empty.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The environment in the form aws-config's profile loader takes.
    pub fn to_aws(&self) -> aws_types::os_shim_internal::Env {
        aws_types::os_shim_internal::Env::from(
            self.vars
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<std::collections::HashMap<_, _>>(),
        )
    }
}

/// A time as the AWS tools write it: RFC 3339, UTC, whole seconds, `Z` (`2026-12-02T10:00:00Z`).
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Formats seconds as `3h12m`, `12m`, `45s`.
pub fn human(secs: i64) -> String {
    match secs {
        s if s >= 3600 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        s if s >= 60 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Set by `exec` and `env` in the child's environment: the profile whose session it holds (the
/// prompt shows it; a nested `exec` of another profile is refused).
pub const PROFILE_VAR: &str = "MFA_SESSION_PROFILE";

/// Set by tests only: a file holding "now" (RFC 3339), read at every call, so a test can move
/// the clock of a long-running process (the credential endpoint).
#[cfg(feature = "test-hooks")]
pub const TEST_NOW_FILE: &str = "MFA_SESSION_TEST_NOW_FILE";

/// Where "now" comes from: the system clock, or a fixed instant (or a file) in tests.
#[derive(Clone, Debug)]
pub struct Clock {
    fixed: Option<DateTime<Utc>>,
    file: Option<std::path::PathBuf>,
}

impl Clock {
    /// The system clock, unless the environment fixes the time for a test (only in test builds:
    /// the `test-hooks` feature; a release reads no such variable).
    pub fn from_env(env: &Env) -> Result<Self, String> {
        #[cfg(not(feature = "test-hooks"))]
        {
            let _ = env;
            Ok(Clock {
                fixed: None,
                file: None,
            })
        }
        #[cfg(feature = "test-hooks")]
        Self::from_test_env(env)
    }

    #[cfg(feature = "test-hooks")]
    fn from_test_env(env: &Env) -> Result<Self, String> {
        if let Some(file) = env.get(TEST_NOW_FILE) {
            return Ok(Clock {
                fixed: None,
                file: Some(file.into()),
            });
        }
        match env.get(TEST_NOW) {
            None => Ok(Clock {
                fixed: None,
                file: None,
            }),
            Some(s) => DateTime::parse_from_rfc3339(s)
                .map(|t| Clock::fixed(t.with_timezone(&Utc)))
                .map_err(|_| format!("{TEST_NOW} is not an RFC 3339 time: unset it")),
        }
    }

    /// A clock stopped at `t`.
    pub fn fixed(t: DateTime<Utc>) -> Self {
        Clock {
            fixed: Some(t),
            file: None,
        }
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        if let Some(t) = self.file.as_ref().and_then(|f| {
            let text = std::fs::read_to_string(f).ok()?;
            DateTime::parse_from_rfc3339(text.trim()).ok()
        }) {
            return t.with_timezone(&Utc);
        }
        #[allow(clippy::disallowed_methods)] // the one place the wall clock is read
        self.fixed.unwrap_or_else(Utc::now)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn human_durations() {
        assert_eq!(super::human(11_520), "3h12m");
        assert_eq!(super::human(3600), "1h00m");
        assert_eq!(super::human(600), "10m");
        assert_eq!(super::human(59), "59s");
    }
}
