//! The one resolver: a profile name becomes its checked settings and its cache key here, and
//! (only when asked) its long-term keys. The cache-hit path asks for no secret: the cache key
//! is made from the access key id alone.

use crate::cache;
use crate::config::{self, KeySource, LongTermKeys, ProfileConfig, ProfileSet};
use crate::env::Env;
use crate::error::Error;
use crate::role::RoleConfig;
use crate::secret::{Secret, mask_key_id};
use crate::secret_store::{Item, SecretStore};

/// A profile mfa-session serves, located: its settings and the key of its cached credentials.
#[derive(Debug, Clone)]
pub struct Located {
    /// The checked settings. For a role profile: its name, region and duration, with the MFA
    /// device and code sources of the session it rests on.
    pub cfg: ProfileConfig,
    /// The key of its credentials in the cache (for a session: a hash of access key id and MFA
    /// serial; for a role: of the source's key and the role).
    pub cache_key: String,
    /// For a role profile: the session it rests on and the roles above it.
    pub chain: Option<Chain>,
}

/// The way from an MFA session up to a role profile's credentials.
#[derive(Debug, Clone)]
pub struct Chain {
    /// The mfa-session profile at the bottom.
    pub base: ProfileConfig,
    /// Its session's cache key.
    pub base_key: String,
    /// The roles, the one assumed with the session first.
    pub roles: Vec<RoleConfig>,
    /// The cache key of each role's credentials, in the same order.
    pub keys: Vec<String>,
}

/// The profile named on the command line, else `AWS_PROFILE`, else `default`.
pub fn selected(flag: Option<&str>, env: &Env) -> String {
    chosen(flag, env).unwrap_or_else(|| "default".to_owned())
}

/// The profile named on the command line, else `AWS_PROFILE`, if either.
pub fn chosen(flag: Option<&str>, env: &Env) -> Option<String> {
    flag.or_else(|| env.get("AWS_PROFILE")).map(str::to_owned)
}

/// Profile `name` is in the AWS files, or the error naming those that are.
pub fn ensure_exists(set: &ProfileSet, env: &Env, name: &str) -> Result<(), Error> {
    match set.get_profile(name) {
        Some(_) => Ok(()),
        None => Err(config::missing_profile(set, env, name)),
    }
}

/// Resolves profile `name` of `set` (a session profile, or a role profile resting on one):
/// settings checked, cache key made; no secret read.
pub fn locate(set: &ProfileSet, env: &Env, name: &str) -> Result<Located, Error> {
    let Some(roles) = crate::role::chain(set, name)? else {
        return locate_session(set, env, name);
    };
    let base = locate_session(set, env, &roles[0].source).map_err(|e| {
        Error::Config(format!(
            "role profile '{name}' rests on profile '{}', which mfa-session cannot serve: {e}",
            roles[0].source
        ))
    })?;
    let mut keys: Vec<String> = Vec::with_capacity(roles.len());
    for r in &roles {
        let parent = keys.last().unwrap_or(&base.cache_key).clone();
        keys.push(r.cache_key(&parent));
    }
    let top = roles.last().expect("a chain has a role");
    let mut cfg = base.cfg.clone();
    cfg.name = name.to_owned();
    cfg.duration_seconds = top.duration(roles.len() > 1);
    cfg.region = env
        .get("AWS_REGION")
        .or_else(|| env.get("AWS_DEFAULT_REGION"))
        .or(top.region.as_deref())
        .map(str::to_owned)
        .or(cfg.region);
    Ok(Located {
        cfg,
        cache_key: keys.last().expect("one key a role").clone(),
        chain: Some(Chain {
            base: base.cfg,
            base_key: base.cache_key,
            roles,
            keys,
        }),
    })
}

fn locate_session(set: &ProfileSet, env: &Env, name: &str) -> Result<Located, Error> {
    let cfg = config::resolve_profile(set, name, env)?;
    let key_id = match &cfg.keys {
        KeySource::Profile(_) => config::source_key_id(set, &cfg)?.to_owned(),
        KeySource::Keyring(id) => id.clone(),
    };
    Ok(Located {
        cache_key: cache::key(&key_id, &cfg.mfa_serial),
        cfg,
        chain: None,
    })
}

/// The id of the long-term key a located profile uses (no secret read): the key id its config
/// names for the secrets store, or the source profile's `aws_access_key_id`.
pub fn key_id(set: &ProfileSet, cfg: &ProfileConfig) -> Result<String, Error> {
    match &cfg.keys {
        KeySource::Keyring(id) => Ok(id.clone()),
        KeySource::Profile(_) => config::source_key_id(set, cfg).map(str::to_owned),
    }
}

/// The long-term keys of a located profile, from the file or the secrets store.
pub fn long_term_keys(
    set: &ProfileSet,
    cfg: &ProfileConfig,
    secrets: &dyn SecretStore,
) -> Result<LongTermKeys, Error> {
    match &cfg.keys {
        KeySource::Profile(_) => config::load_long_term_keys(set, cfg),
        KeySource::Keyring(id) => stored_keys_of(secrets, &cfg.name, id),
    }
}

/// The long-term keys of profile `name`, wherever they live, for commands that need no MFA
/// device yet (`enroll`, `add`'s proof).
pub fn keys_of(
    set: &ProfileSet,
    secrets: &dyn SecretStore,
    name: &str,
) -> Result<LongTermKeys, Error> {
    let profile = set.get_profile(name).ok_or_else(|| {
        Error::Config(format!(
            "profile '{name}' is not in the AWS config files: run `mfa-session add {name}` first"
        ))
    })?;
    let cfg = ProfileConfig::keys_only(name, config::key_source(profile, name)?);
    long_term_keys(set, &cfg, secrets)
}

/// The keys kept in the secrets store for a profile, checked against the key id its config
/// names (the cache is keyed by that id).
fn stored_keys_of(
    secrets: &dyn SecretStore,
    name: &str,
    key_id: &str,
) -> Result<LongTermKeys, Error> {
    let stored = secrets.get(name, Item::Keys)?.ok_or_else(|| {
        Error::Config(format!(
            "profile '{name}' names key {} but {} holds no keys for it: run `mfa-session add {name}`",
            mask_key_id(key_id),
            secrets.name()
        ))
    })?;
    let keys = parse_stored_keys(&stored).ok_or_else(|| {
        Error::Config(format!(
            "the keys stored for profile '{name}' are unreadable: run `mfa-session add {name}` again"
        ))
    })?;
    if keys.access_key_id != key_id {
        return Err(Error::Config(format!(
            "{} holds key {} for profile '{name}' but its config names {}: run `mfa-session add {name}` again",
            secrets.name(),
            mask_key_id(&keys.access_key_id),
            mask_key_id(key_id)
        )));
    }
    Ok(keys)
}

/// The stored form of long-term keys: `{"AccessKeyId": ..., "SecretAccessKey": ...}`.
pub fn stored_keys(keys: &LongTermKeys) -> Secret {
    let json = serde_json::json!({
        "AccessKeyId": keys.access_key_id,
        "SecretAccessKey": keys.secret_access_key.expose(),
    });
    Secret::new(json.to_string())
}

/// Parses the stored form (see `stored_keys`).
pub fn parse_stored_keys(stored: &Secret) -> Option<LongTermKeys> {
    let v: serde_json::Value = serde_json::from_str(stored.expose()).ok()?;
    Some(LongTermKeys {
        access_key_id: v["AccessKeyId"].as_str()?.to_owned(),
        secret_access_key: Secret::new(v["SecretAccessKey"].as_str()?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_key_needs_no_secret_and_follows_key_id_and_device() {
        let dir = tempfile::tempdir().unwrap();
        let (c, k) = (dir.path().join("config"), dir.path().join("credentials"));
        std::fs::write(&c, "[profile w]\nmfa_serial = arn:aws:iam::123456789012:mfa/a\nmfa_session_source_profile = lt\n[profile r]\nmfa_serial = arn:aws:iam::123456789012:mfa/a\nmfa_session_access_key_id = AKIAKEYRING\n").unwrap();
        std::fs::write(
            &k,
            "[lt]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s3cr3t\n",
        )
        .unwrap();
        let env = Env::from_pairs([
            ("AWS_CONFIG_FILE", c.to_str().unwrap()),
            ("AWS_SHARED_CREDENTIALS_FILE", k.to_str().unwrap()),
        ]);
        let set = config::load_profiles(&env).unwrap();
        let w = locate(&set, &env, "w").unwrap();
        assert_eq!(
            w.cache_key,
            cache::key("AKIAFILE", "arn:aws:iam::123456789012:mfa/a")
        );
        let r = locate(&set, &env, "r").unwrap();
        assert_eq!(
            r.cache_key,
            cache::key("AKIAKEYRING", "arn:aws:iam::123456789012:mfa/a")
        );
        // The keyring is not touched by locate: the mock store is empty, and asking for the keys fails.
        let store =
            crate::secret_store::Keyring::with_store(keyring_core::mock::Store::new().unwrap());
        let err = long_term_keys(&set, &r.cfg, &store)
            .unwrap_err()
            .to_string();
        assert!(err.contains("holds no keys for it"), "{err}");
        assert_eq!(
            long_term_keys(&set, &w.cfg, &store)
                .unwrap()
                .secret_access_key
                .expose(),
            "s3cr3t"
        );
    }

    #[test]
    fn selected_prefers_the_flag_then_aws_profile() {
        let env = Env::from_pairs([("AWS_PROFILE", "fromenv")]);
        assert_eq!(selected(Some("flag"), &env), "flag");
        assert_eq!(selected(None, &env), "fromenv");
        assert_eq!(selected(None, &Env::default()), "default");
    }
}
