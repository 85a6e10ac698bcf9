//! Where mfa-session keeps its own files, for both binaries: the cache directory and the
//! encrypted secrets file. Paths from the environment must be absolute: a relative one would
//! put session tokens wherever the caller happens to run (a git work tree, say).

use crate::env::Env;
use crate::error::Error;
use std::path::PathBuf;

/// An absolute path from variable `var`, or a one-line error naming it.
fn absolute(var: &str, value: &str) -> Result<PathBuf, Error> {
    let path = PathBuf::from(value);
    if path.is_absolute() {
        Ok(path)
    } else {
        Err(Error::Config(format!(
            "{var} '{value}' is a relative path: give an absolute one (e.g. $HOME/...)"
        )))
    }
}

/// The platform's directory `dir()` (derived from HOME on Unix), refused when HOME is relative:
/// session tokens would land under whatever directory the caller runs in.
fn platform_dir(env: &Env, dir: fn() -> Option<PathBuf>) -> Result<Option<PathBuf>, Error> {
    if let Some(home) = env.get("HOME") {
        absolute("HOME", home)?;
    }
    Ok(dir().filter(|p| p.is_absolute()))
}

/// The cache directory: `MFA_SESSION_CACHE_DIR`, else `$XDG_CACHE_HOME/mfa-session`, else the
/// platform's cache directory's `mfa-session`.
pub fn cache_dir(env: &Env) -> Result<PathBuf, Error> {
    if let Some(dir) = env.get("MFA_SESSION_CACHE_DIR") {
        return absolute("MFA_SESSION_CACHE_DIR", dir);
    }
    let xdg = env
        .get("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let base = match xdg {
        Some(dir) => Some(dir),
        None => platform_dir(env, dirs::cache_dir)?,
    }
    .ok_or_else(|| {
        Error::Cache("no cache directory (HOME is not set): set MFA_SESSION_CACHE_DIR".into())
    })?;
    Ok(base.join("mfa-session"))
}

/// The encrypted secrets file: `MFA_SESSION_SECRETS_FILE`, else
/// `$XDG_DATA_HOME/mfa-session/secrets.age`.
pub fn secrets_file(env: &Env) -> Result<PathBuf, Error> {
    if let Some(file) = env.get("MFA_SESSION_SECRETS_FILE") {
        return absolute("MFA_SESSION_SECRETS_FILE", file);
    }
    let xdg = env
        .get("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    Ok(match xdg {
        Some(dir) => Some(dir),
        None => platform_dir(env, dirs::data_dir)?,
    }
    .ok_or_else(|| {
        Error::Config("no data directory (HOME is not set): set MFA_SESSION_SECRETS_FILE".into())
    })?
    .join("mfa-session")
    .join("secrets.age"))
}

/// The passphrase file named by `MFA_SESSION_PASSPHRASE_FILE`, if any.
pub fn passphrase_file(env: &Env) -> Result<Option<PathBuf>, Error> {
    env.get("MFA_SESSION_PASSPHRASE_FILE")
        .map(|f| absolute("MFA_SESSION_PASSPHRASE_FILE", f))
        .transpose()
}

/// The front's path for `credential_process` lines, when the full binary writes them: the
/// `mfa-session` beside it, else (run from elsewhere) the running binary itself.
pub fn front_path() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let front = exe.with_file_name("mfa-session");
    Some(if front.is_file() { front } else { exe })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_refused_in_one_line() {
        for var in [
            "MFA_SESSION_CACHE_DIR",
            "MFA_SESSION_SECRETS_FILE",
            "MFA_SESSION_PASSPHRASE_FILE",
        ] {
            let env = Env::from_pairs([(var, "rel/dir")]);
            let err = match var {
                "MFA_SESSION_CACHE_DIR" => cache_dir(&env).unwrap_err(),
                "MFA_SESSION_SECRETS_FILE" => secrets_file(&env).unwrap_err(),
                _ => passphrase_file(&env).unwrap_err(),
            };
            assert_eq!(
                err.to_string(),
                format!(
                    "{var} 'rel/dir' is a relative path: give an absolute one (e.g. $HOME/...)"
                )
            );
        }
        let env = Env::from_pairs([("MFA_SESSION_CACHE_DIR", "/abs")]);
        assert_eq!(cache_dir(&env).unwrap(), PathBuf::from("/abs"));
        let env = Env::from_pairs([("HOME", "rel")]);
        for err in [
            cache_dir(&env).unwrap_err(),
            secrets_file(&env).unwrap_err(),
        ] {
            assert!(
                err.to_string()
                    .starts_with("HOME 'rel' is a relative path: give an absolute one"),
                "{err}"
            );
        }
    }
}
