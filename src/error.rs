//! Error kinds that decide the exit code, and the exit codes themselves (documented in the README).

use std::process::ExitCode;

/// A failure the user can act on. Each kind has its own exit code; the message says how to fix it.
/// Messages never carry secrets: they are built from names, paths and AWS's own error text.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The profile or its source profile is missing, incomplete or invalid.
    #[error("{0}")]
    Config(String),
    /// No MFA code could be had, or it was malformed or too late.
    #[error("{0}")]
    MfaCode(String),
    /// AWS rejected the MFA code (wrong, expired or already used): callers explain it by source.
    #[error("{0}")]
    MfaRejected(String),
    /// AWS refused the long-term keys or the request.
    #[error("{0}")]
    Denied(String),
    /// AWS could not be reached, timed out, throttled us or failed.
    #[error("{0}")]
    Unavailable(String),
    /// The cache directory or a lock could not be used safely.
    #[error("{0}")]
    Cache(String),
    /// The command given to `exec` could not be started.
    #[error("{0}")]
    Exec(String),
    /// The OS keyring is missing, locked or failing.
    #[error("{0}")]
    Keyring(String),
}

/// Exit codes. Stable: scripts may branch on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Success.
    Ok = 0,
    /// An unexpected failure (I/O and the like).
    Failure = 1,
    /// Bad command-line usage (clap's own code).
    Usage = 2,
    /// Configuration problem.
    Config = 3,
    /// MFA code problem.
    Mfa = 4,
    /// AWS denied the request.
    Denied = 5,
    /// AWS unreachable or failing.
    Unavailable = 6,
    /// Cache or lock problem.
    Cache = 7,
    /// The OS keyring is missing, locked or failing.
    Keyring = 8,
    /// `exec` could not start the command.
    Exec = 127,
}

impl From<Exit> for ExitCode {
    fn from(c: Exit) -> Self {
        ExitCode::from(c as u8)
    }
}

/// The exit code for an error.
pub fn code_of(err: &Error) -> Exit {
    match err {
        Error::Config(_) => Exit::Config,
        Error::MfaCode(_) | Error::MfaRejected(_) => Exit::Mfa,
        Error::Denied(_) => Exit::Denied,
        Error::Unavailable(_) => Exit::Unavailable,
        Error::Cache(_) => Exit::Cache,
        Error::Exec(_) => Exit::Exec,
        Error::Keyring(_) => Exit::Keyring,
    }
}

/// Makes a panic (a bug, or standard output that cannot be written: closed, full) one line on
/// stderr and exit code 1, like every other failure, instead of Rust's backtrace and 101.
/// Panic messages never carry secrets: secrets are held in types whose `Debug` is redacted.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("panic");
        let msg = msg.lines().next().unwrap_or_default();
        // A reader that stopped reading (`status --json | head`): end quietly, as `cat` does,
        // with the status of a process killed by SIGPIPE.
        if msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(141);
        }
        let line = match msg.strip_prefix("failed printing to stdout: ") {
            Some(why) => format!("cannot write to standard output ({why}): check where it goes"),
            None => format!(
                "unexpected failure ({msg}, at {}): please report it",
                info.location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_default()
            ),
        };
        eprintln!("mfa-session: error: {line}");
        std::process::exit(Exit::Failure as i32);
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_exit_code() {
        assert_eq!(code_of(&Error::Denied("no".into())), Exit::Denied);
        assert_eq!(code_of(&Error::MfaRejected("no".into())), Exit::Mfa);
        assert_eq!(code_of(&Error::Keyring("no".into())) as u8, 8);
        assert_eq!(Error::Config("one line".into()).to_string(), "one line");
    }
}
