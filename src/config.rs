//! The profile a session is made for: read with aws-config's own profile-file loader, checked once.

use crate::config_edit::Kind;
use crate::env::Env;
use crate::error::Error;
use crate::secret::Secret;
pub use aws_config::profile::{Profile, ProfileSet};
use std::borrow::Cow;
use std::future::Future;
use std::task::{Context, Poll, Waker};

/// Reads an AWS file strictly: `None` when missing; unreadable or non-UTF-8 is an error naming
/// the file (and the line).
pub fn read_text(path: &std::path::Path) -> Result<Option<String>, Error> {
    let fail = |why: String| Error::Config(format!("{}: {why}", path.display()));
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            let line = 1 + e.as_bytes()[..at].iter().filter(|b| **b == b'\n').count();
            fail(format!(
                "line {line} is not UTF-8 text (the AWS tools read only UTF-8): save the file as UTF-8"
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(fail(format!("cannot be read ({}): fix its permissions", e.kind()))),
    }
}

/// Parses `text` alone as a file of `kind`, with aws-config's own parser.
pub fn parse_one(text: &str, kind: Kind) -> Result<ProfileSet, String> {
    let kind = match kind {
        Kind::Config => aws_runtime::env_config::file::EnvConfigFileKind::Config,
        Kind::Credentials => aws_runtime::env_config::file::EnvConfigFileKind::Credentials,
    };
    let files = aws_runtime::env_config::file::EnvConfigFiles::builder()
        .with_contents(kind, text)
        .build();
    let none: &[(&str, &str)] = &[];
    let fs = aws_types::os_shim_internal::Fs::from_slice(none);
    let env = aws_types::os_shim_internal::Env::from_slice(none);
    let future = aws_config::profile::load(&fs, &env, &files, None::<Cow<'static, str>>);
    block_on(future).map_err(|e| {
        e.to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// The profile key naming the profile that holds the long-term keys.
pub const SOURCE_KEY: &str = "mfa_session_source_profile";
/// A role profile's (cached form) role ARN key.
pub const ROLE_ARN_KEY: &str = "mfa_session_role_arn";
/// A role profile's (cached form) source key: the profile whose credentials assume the role.
pub const ROLE_SOURCE_KEY: &str = "mfa_session_role_source";
/// Session length bounds of `sts:GetSessionToken` for IAM users.
pub const DURATION_RANGE: std::ops::RangeInclusive<u32> = 900..=129_600;
/// Session length when the profile does not set `duration_seconds`.
pub const DEFAULT_DURATION: u32 = 43_200;
/// The region of STS's global endpoint, used when none is configured.
pub const GLOBAL_STS_REGION: &str = "us-east-1";

/// The profile key naming the long-term access key id kept in the keyring (not a secret; it
/// lets the cache-hit path find the session without opening the keyring).
pub const KEY_ID_KEY: &str = "mfa_session_access_key_id";

/// Where a profile's long-term keys are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// In this profile of the shared credentials (or config) file.
    Profile(String),
    /// In the OS keyring, under this access key id.
    Keyring(String),
}

/// A forced MFA code source (`mfa_code_source`); without it, the documented order applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForcedSource {
    /// The TOTP seed in the keyring.
    Seed,
    /// The `mfa_process` command.
    Process,
    /// The terminal prompt.
    Prompt,
}

/// A profile that mfa-session makes sessions for, validated.
#[derive(Debug, Clone)]
pub struct ProfileConfig {
    /// The profile's name.
    pub name: String,
    /// Where the long-term keys are.
    pub keys: KeySource,
    /// The MFA device's serial number or ARN.
    pub mfa_serial: String,
    /// Requested session length in seconds.
    pub duration_seconds: u32,
    /// Region for STS, where configured (profile or environment).
    pub region: Option<String>,
    /// A command printing an MFA code (`mfa_process`, as in aws-vault).
    pub mfa_process: Option<String>,
    /// A forced MFA code source.
    pub code_source: Option<ForcedSource>,
}

impl ProfileConfig {
    /// The account id in the MFA serial's ARN, where it is an ARN.
    pub fn account_id(&self) -> Option<&str> {
        let mut parts = self.mfa_serial.split(':');
        let account = parts.nth(4)?;
        (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
    }

    /// The region to call STS in: the configured one, else the global endpoint's.
    pub fn sts_region(&self) -> &str {
        self.region.as_deref().unwrap_or(GLOBAL_STS_REGION)
    }
}

/// Long-term access keys read from the source profile.
#[derive(Clone)]
pub struct LongTermKeys {
    /// The access key id (shown masked).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: Secret,
}

impl std::fmt::Debug for LongTermKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LongTermKeys")
            .field(
                "access_key_id",
                &crate::secret::mask_key_id(&self.access_key_id),
            )
            .finish_non_exhaustive()
    }
}

/// Loads `~/.aws/config` and `~/.aws/credentials` (honouring `AWS_CONFIG_FILE` and
/// `AWS_SHARED_CREDENTIALS_FILE`) with aws-config's parser, without any async runtime. The files
/// are read strictly here (aws-config would take a non-UTF-8 file as empty): only a missing
/// file is empty.
pub fn load_profiles(env: &Env) -> Result<ProfileSet, Error> {
    use aws_runtime::env_config::file::{EnvConfigFileKind as K, EnvConfigFiles};
    let config_path = config_file_path(env);
    let creds_path = credentials_file_path(env);
    let config = read_text(&config_path)?.unwrap_or_default();
    let creds = read_text(&creds_path)?.unwrap_or_default();
    let aws_env = env.to_aws();
    let parse = |files: EnvConfigFiles| {
        let fs = aws_types::os_shim_internal::Fs::real();
        let future = aws_config::profile::load(&fs, &aws_env, &files, None::<Cow<'static, str>>);
        block_on(future)
    };
    let both = EnvConfigFiles::builder()
        .with_contents(K::Config, config.clone())
        .with_contents(K::Credentials, creds)
        .build();
    parse(both).map_err(|e| {
        let alone = EnvConfigFiles::builder()
            .with_contents(K::Config, config)
            .build();
        let path = if parse(alone).is_err() {
            &config_path
        } else {
            &creds_path
        };
        let mut inner: &dyn std::error::Error = &e;
        while let Some(source) = inner.source() {
            inner = source;
        }
        let why = one_line(&inner.to_string());
        let why = why.split_once(" on ").map_or(why.as_str(), |(_, w)| w);
        Error::Config(format!(
            "{} does not parse ({why}): fix that line",
            path.display()
        ))
    })
}

/// The error for a profile name that is in neither AWS file: the names that are, and the fix.
pub fn missing_profile(set: &ProfileSet, env: &Env, name: &str) -> Error {
    let mut names: Vec<&str> = set.profiles().collect();
    names.sort_unstable();
    let known = match names.len() {
        0 => "there are none".to_owned(),
        n if n <= 12 => format!("they have {}", names.join(", ")),
        n => format!("they have {} and {} more", names[..12].join(", "), n - 12),
    };
    Error::Config(format!(
        "profile '{name}' is not in the AWS config files ({known}): check the name, or add [profile {name}] to {}",
        config_file_hint(env)
    ))
}

/// Reads and validates the mfa-session settings of profile `name`.
pub fn resolve_profile(set: &ProfileSet, name: &str, env: &Env) -> Result<ProfileConfig, Error> {
    let profile = set
        .get_profile(name)
        .ok_or_else(|| missing_profile(set, env, name))?;
    let source_profile = non_empty(profile, SOURCE_KEY);
    let keys = key_source(profile, name)?;
    let source = source_profile.and_then(|s| set.get_profile(s));
    let mfa_serial = profile
        .get("mfa_serial")
        .or_else(|| source.and_then(|s| s.get("mfa_serial")))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            Error::Config(format!(
                "profile '{name}' has no mfa_serial: add `mfa_serial = arn:aws:iam::ACCOUNT:mfa/DEVICE` (IAM console, Security credentials)"
            ))
        })?;
    ensure_mfa_serial(mfa_serial)?;
    let duration_seconds = match profile.get("duration_seconds").map(str::trim) {
        None | Some("") => DEFAULT_DURATION,
        Some(v) => parse_duration(v)
            .map_err(|why| Error::Config(format!("profile '{name}': duration_seconds {why}")))?,
    };
    let region = env
        .get("AWS_REGION")
        .or_else(|| env.get("AWS_DEFAULT_REGION"))
        .or_else(|| profile.get("region"))
        .or_else(|| source.and_then(|s| s.get("region")))
        .map(str::to_owned);
    let code_source = match non_empty(profile, "mfa_code_source") {
        None => None,
        Some("seed") => Some(ForcedSource::Seed),
        Some("process") => Some(ForcedSource::Process),
        Some("prompt") => Some(ForcedSource::Prompt),
        Some(other) => {
            return Err(Error::Config(format!(
                "profile '{name}': mfa_code_source '{other}' is not one of seed, process, prompt: fix or remove it"
            )));
        }
    };
    Ok(ProfileConfig {
        name: name.to_owned(),
        keys,
        mfa_serial: mfa_serial.to_owned(),
        duration_seconds,
        region,
        mfa_process: non_empty(profile, "mfa_process").map(str::to_owned),
        code_source,
    })
}

impl ProfileConfig {
    /// A profile reduced to its keys, for commands that need no MFA device (`add`, `enroll`).
    pub fn keys_only(name: &str, keys: KeySource) -> Self {
        ProfileConfig {
            name: name.to_owned(),
            keys,
            mfa_serial: String::new(),
            duration_seconds: DEFAULT_DURATION,
            region: None,
            mfa_process: None,
            code_source: None,
        }
    }

    /// Where the keys are, for messages.
    pub fn key_location(&self) -> String {
        match &self.keys {
            KeySource::Profile(p) => format!("profile '{p}'"),
            KeySource::Keyring(_) => format!("the OS keyring (profile '{}')", self.name),
        }
    }
}

/// Reads the long-term keys of the profile's source profile. Never follows a `credential_process`.
pub fn load_long_term_keys(set: &ProfileSet, cfg: &ProfileConfig) -> Result<LongTermKeys, Error> {
    let (id, secret) = source_pair(set, cfg)?;
    Ok(LongTermKeys {
        access_key_id: id.to_owned(),
        secret_access_key: Secret::new(secret),
    })
}

/// The access key id of the profile's source profile, checked as `load_long_term_keys` checks
/// it, without taking the secret key out of the parsed file.
pub fn source_key_id<'a>(set: &'a ProfileSet, cfg: &ProfileConfig) -> Result<&'a str, Error> {
    source_pair(set, cfg).map(|(id, _)| id)
}

fn source_pair<'a>(set: &'a ProfileSet, cfg: &ProfileConfig) -> Result<(&'a str, &'a str), Error> {
    let KeySource::Profile(src) = &cfg.keys else {
        return Err(Error::Config(format!(
            "profile '{}' keeps its keys in the OS keyring",
            cfg.name
        )));
    };
    let name = &cfg.name;
    let source = set.get_profile(src).ok_or_else(|| {
        Error::Config(format!(
            "profile '{src}' ({SOURCE_KEY} of '{name}') is not in the AWS credentials or config file: add [{src}] with your long-term keys to ~/.aws/credentials"
        ))
    })?;
    let id = non_empty(source, "aws_access_key_id");
    let secret = non_empty(source, "aws_secret_access_key");
    match (id, secret) {
        (Some(id), Some(secret)) => Ok((id, secret)),
        (Some(_), None) => Err(Error::Config(format!(
            "profile '{src}' has aws_access_key_id but no aws_secret_access_key: add the secret key of the pair"
        ))),
        (None, Some(_)) => Err(Error::Config(format!(
            "profile '{src}' has aws_secret_access_key but no aws_access_key_id: add the access key id of the pair"
        ))),
        (None, None) if runs_mfa_session(source) => Err(Error::Config(format!(
            "profile '{src}' gets its keys from mfa-session itself (credential_process), which would loop: point {SOURCE_KEY} of '{name}' at a profile with long-term keys"
        ))),
        (None, None) => Err(Error::Config(format!(
            "profile '{src}' has no long-term keys: add aws_access_key_id and aws_secret_access_key to [{src}] in ~/.aws/credentials"
        ))),
    }
}

/// Checks an MFA serial: an IAM virtual or hardware TOTP device's ARN (`…:mfa/NAME`), or a
/// hardware TOTP token's serial number (letters and digits, e.g. GAHT12345678). A FIDO security
/// key (`…:u2f/…`) is refused: GetSessionToken takes only TOTP codes, so it can never work.
pub fn ensure_mfa_serial(serial: &str) -> Result<(), Error> {
    let bad = |why: &str| {
        Error::Config(format!(
            "mfa_serial '{serial}' {why}: use the ARN shown in the IAM console, e.g. arn:aws:iam::123456789012:mfa/alice"
        ))
    };
    let allowed = |c: char| c.is_ascii_alphanumeric() || "+=/:,.@-_".contains(c);
    if !(9..=256).contains(&serial.len()) || !serial.chars().all(allowed) {
        return Err(bad("is not an IAM MFA device ARN"));
    }
    let Some(rest) = serial.strip_prefix("arn:") else {
        if serial.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Ok(()); // a hardware TOTP token's serial number
        }
        return Err(bad(
            "is neither an IAM MFA device ARN nor a hardware token's serial number (letters and digits)",
        ));
    };
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    let ok = parts.len() == 5
        && parts[0].starts_with("aws")
        && parts[1] == "iam"
        && parts[2].is_empty()
        && parts[3].len() == 12
        && parts[3].bytes().all(|b| b.is_ascii_digit());
    match parts.get(4) {
        Some(dev) if ok && dev.starts_with("u2f/") => Err(Error::Config(format!(
            "mfa_serial '{serial}' is a FIDO security key, which GetSessionToken cannot use (it takes only TOTP codes): add a virtual or hardware TOTP MFA device to the IAM user (AWS allows 8; `mfa-session enroll` makes one) and use its ARN"
        ))),
        Some(dev) if ok && dev.len() > 4 && dev.starts_with("mfa/") => Ok(()),
        _ => Err(bad("is not an IAM MFA device ARN")),
    }
}

/// True for a serial GetSessionToken can use (not a FIDO security key).
pub fn is_totp_serial(serial: &str) -> bool {
    !serial.contains(":u2f/")
}

/// Parses `duration_seconds`: a whole number of seconds in 900..=129600.
pub fn parse_duration(value: &str) -> Result<u32, String> {
    let n: u32 = value
        .parse()
        .map_err(|_| format!("'{value}' is not a whole number of seconds: use 900 to 129600"))?;
    if DURATION_RANGE.contains(&n) {
        Ok(n)
    } else {
        Err(format!(
            "{n} is out of range: GetSessionToken allows 900 to 129600 seconds"
        ))
    }
}

/// Where profile `name` keeps its long-term keys.
pub fn key_source(profile: &Profile, name: &str) -> Result<KeySource, Error> {
    let source_profile = non_empty(profile, SOURCE_KEY);
    Ok(match (source_profile, non_empty(profile, KEY_ID_KEY)) {
        (Some(src), _) if src == name => {
            return Err(Error::Config(format!(
                "profile '{name}' names itself as {SOURCE_KEY}, which would loop: name the profile that holds your long-term keys"
            )));
        }
        (Some(src), _) => KeySource::Profile(src.to_owned()),
        (None, Some(id)) => KeySource::Keyring(id.to_owned()),
        (None, None) => {
            return Err(Error::Config(format!(
                "profile '{name}' has no long-term keys: run `mfa-session add {name}` to keep them in the OS keyring, or add `{SOURCE_KEY} = NAME` naming the profile that holds them"
            )));
        }
    })
}
/// The region configured for profile `name` (environment first, as in the SDKs).
pub fn profile_region(set: &ProfileSet, name: &str, env: &Env) -> Option<String> {
    env.get("AWS_REGION")
        .or_else(|| env.get("AWS_DEFAULT_REGION"))
        .or_else(|| set.get_profile(name).and_then(|p| p.get("region")))
        .map(str::to_owned)
}

/// The profiles mfa-session serves (they name a source profile or a keyring key, or are role
/// profiles resting on one), sorted.
pub fn session_profiles(set: &ProfileSet) -> Vec<&str> {
    let ours = |p: &Profile| {
        p.get(SOURCE_KEY).is_some() || p.get(KEY_ID_KEY).is_some() || p.get(ROLE_ARN_KEY).is_some()
    };
    // Standard role profiles count when their source_profile is one of ours.
    let served = |p: &Profile| {
        ours(p)
            || (p.get("role_arn").is_some()
                && p.get("source_profile")
                    .and_then(|s| set.get_profile(s.trim()))
                    .is_some_and(ours))
    };
    let mut names: Vec<&str> = set
        .profiles()
        .filter(|n| set.get_profile(n).is_some_and(served))
        .collect();
    names.sort_unstable();
    names
}

fn non_empty<'a>(p: &'a Profile, key: &str) -> Option<&'a str> {
    p.get(key).map(str::trim).filter(|s| !s.is_empty())
}

fn runs_mfa_session(p: &Profile) -> bool {
    p.get("credential_process")
        .is_some_and(|c| c.contains("mfa-session"))
}

/// The config file's path, as the SDKs find it (`AWS_CONFIG_FILE`, else `~/.aws/config`).
pub fn config_file_path(env: &Env) -> std::path::PathBuf {
    aws_file(env, "AWS_CONFIG_FILE", "config")
}

/// The credentials file's path (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`).
pub fn credentials_file_path(env: &Env) -> std::path::PathBuf {
    aws_file(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials")
}

fn aws_file(env: &Env, var: &str, name: &str) -> std::path::PathBuf {
    let home = env
        .get("HOME")
        .map(std::path::PathBuf::from)
        .or_else(dirs::home_dir)
        .unwrap_or_default();
    match env.get(var) {
        Some(p) if p == "~" || p.starts_with("~/") => {
            home.join(p.trim_start_matches('~').trim_start_matches('/'))
        }
        Some(p) => std::path::PathBuf::from(p),
        None => home.join(".aws").join(name),
    }
}

fn config_file_hint(env: &Env) -> String {
    env.get("AWS_CONFIG_FILE")
        .unwrap_or("~/.aws/config")
        .to_owned()
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Runs a future that never waits on I/O readiness (aws-config's file loader reads with std::fs).
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
