//! Role profiles on top of an MFA session: what a role profile says, checked once. A role is
//! assumed with the credentials of its source (the MFA session of an mfa-session profile, or
//! another role), so a trust policy asking for `aws:MultiFactorAuthPresent` passes with no
//! second code. Two forms are read:
//! - cached (served by `credential_process = mfa-session credential-process --profile NAME`):
//!   `mfa_session_role_arn` and `mfa_session_role_source` (the AWS CLI ignores both, so it does
//!   not assume the role again itself);
//! - standard: `role_arn` and `source_profile` (the AWS CLI chains them itself; mfa-session's
//!   `exec`, `env`, `status`, `prompt`, `clear` understand them too).
//!
//! Both take `role_session_name`, `external_id`, `duration_seconds` and `region`.

use crate::cache;
use crate::config::{Profile, ProfileSet};
use crate::error::Error;

pub use crate::config::{ROLE_ARN_KEY, ROLE_SOURCE_KEY};
/// Longest chain of roles followed from one profile.
pub const MAX_DEPTH: usize = 4;
/// AWS caps a role assumed from another role's credentials (role chaining) at one hour.
pub const CHAIN_CAP: u32 = 3600;
/// AssumeRole's bounds for DurationSeconds.
pub const DURATION_RANGE: std::ops::RangeInclusive<u32> = 900..=43_200;

/// One role profile, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleConfig {
    /// The role profile's name.
    pub profile: String,
    /// The role to assume.
    pub role_arn: String,
    /// RoleSessionName.
    pub session_name: String,
    /// ExternalId, when the trust policy asks for one.
    pub external_id: Option<String>,
    /// Requested duration (default one hour).
    pub duration_seconds: Option<u32>,
    /// The profile's own region, if any.
    pub region: Option<String>,
    /// The profile whose credentials assume the role.
    pub source: String,
}

impl RoleConfig {
    /// The duration asked of AssumeRole: the requested one, one hour by default, and never
    /// above the one-hour cap when the source is itself a role.
    pub fn duration(&self, chained: bool) -> u32 {
        let asked = self.duration_seconds.unwrap_or(3600);
        if chained { asked.min(CHAIN_CAP) } else { asked }
    }

    /// The cache key of this role's credentials assumed from credentials cached under `parent`.
    /// Everything AssumeRole is asked with is in it, the duration too: a 900 s profile and a
    /// 3,600 s sibling of the same role never share credentials.
    pub fn cache_key(&self, parent: &str) -> String {
        cache::key(
            &format!(
                "{parent}\n{}\n{}\n{}\n{}",
                self.role_arn,
                self.session_name,
                self.external_id.as_deref().unwrap_or(""),
                self.duration_seconds.unwrap_or(3600)
            ),
            "role",
        )
    }
}

fn get<'a>(p: &'a Profile, key: &str) -> Option<&'a str> {
    p.get(key).map(str::trim).filter(|s| !s.is_empty())
}

/// The role profile `name` is, if it is one (either form).
pub fn role_of(p: &Profile, name: &str) -> Result<Option<RoleConfig>, Error> {
    let Some(arn) = get(p, ROLE_ARN_KEY).or_else(|| get(p, "role_arn")) else {
        return Ok(None);
    };
    let bad = |why: String| Error::Config(format!("profile '{name}': {why}"));
    let source = get(p, ROLE_SOURCE_KEY)
        .or_else(|| get(p, "source_profile"))
        .ok_or_else(|| {
            bad(format!(
                "a role ({arn}) needs the profile that assumes it: add `{ROLE_SOURCE_KEY} = PROFILE` naming your mfa-session profile"
            ))
        })?;
    if get(p, "mfa_serial").is_some() {
        return Err(bad(format!(
            "remove mfa_serial from this role profile: the session of '{source}' it is assumed from already carries MFA, and with mfa_serial the AWS CLI would ask for a second code"
        )));
    }
    ensure_role_arn(arn).map_err(bad)?;
    let session_name = match get(p, "role_session_name") {
        Some(s) if (2..=64).contains(&s.len()) && s.chars().all(session_char) => s.to_owned(),
        Some(s) => {
            return Err(bad(format!(
                "role_session_name '{s}' must be 2 to 64 of letters, digits and +=,.@-_"
            )));
        }
        None => format!("mfa-session-{name}")
            .chars()
            .filter(|c| session_char(*c))
            .take(64)
            .collect(),
    };
    let external_id = get(p, "external_id").map(str::to_owned);
    if let Some(id) = &external_id
        && !(2..=1224).contains(&id.len())
    {
        return Err(bad("external_id must be 2 to 1224 characters".into()));
    }
    let duration_seconds = match get(p, "duration_seconds") {
        None => None,
        Some(v) => Some(v.parse::<u32>().ok().filter(|n| DURATION_RANGE.contains(n)).ok_or_else(|| {
            bad(format!("duration_seconds '{v}' must be a number of seconds from 900 to 43200 for a role"))
        })?),
    };
    Ok(Some(RoleConfig {
        profile: name.to_owned(),
        role_arn: arn.to_owned(),
        session_name,
        external_id,
        duration_seconds,
        region: get(p, "region").map(str::to_owned),
        source: source.to_owned(),
    }))
}

fn session_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@-_".contains(c)
}

/// Checks a role ARN: `arn:PARTITION:iam::ACCOUNT:role/NAME`.
pub fn ensure_role_arn(arn: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5].strip_prefix("role/").is_some_and(|n| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@-_/".contains(c))
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "role ARN '{arn}' is not an IAM role's ARN: use arn:aws:iam::123456789012:role/NAME"
        ))
    }
}

/// The chain of roles from profile `name` down to the mfa-session profile it rests on: `None`
/// when `name` is no role profile; else the roles, the one nearest the MFA session first.
pub fn chain(set: &ProfileSet, name: &str) -> Result<Option<Vec<RoleConfig>>, Error> {
    let mut roles: Vec<RoleConfig> = Vec::new();
    let mut current = name.to_owned();
    loop {
        let Some(profile) = set.get_profile(&current) else {
            if roles.is_empty() {
                return Ok(None);
            }
            return Err(Error::Config(format!(
                "profile '{current}' (the source of role profile '{}') is not in the AWS config files",
                roles.last().map_or(name, |r| r.profile.as_str())
            )));
        };
        let Some(role) = role_of(profile, &current)? else {
            break;
        };
        if roles.iter().any(|r| r.profile == role.source) || role.source == role.profile {
            let mut path: Vec<&str> = roles.iter().map(|r| r.profile.as_str()).collect();
            path.extend([role.profile.as_str(), role.source.as_str()]);
            return Err(Error::Config(format!(
                "the sources of role profile '{name}' go round in a circle ({}): point one of them at your mfa-session profile",
                path.join(" -> ")
            )));
        }
        current = role.source.clone();
        roles.push(role);
        if roles.len() > MAX_DEPTH {
            return Err(Error::Config(format!(
                "role profile '{name}' chains more than {MAX_DEPTH} roles: assume fewer roles in a row"
            )));
        }
    }
    if roles.is_empty() {
        return Ok(None);
    }
    roles.reverse();
    Ok(Some(roles))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_of(config: &str) -> ProfileSet {
        crate::config::parse_one(config, crate::config_edit::Kind::Config).unwrap()
    }

    const WORK: &str = "[profile work]\nmfa_serial = arn:aws:iam::123456789012:mfa/a\nmfa_session_source_profile = lt\n";

    #[test]
    fn chains_are_read_in_both_forms_with_the_one_hour_cap_for_chained_roles() {
        let set = set_of(&format!(
            "{WORK}[profile admin]\nmfa_session_role_arn = arn:aws:iam::123456789012:role/admin\nmfa_session_role_source = work\nduration_seconds = 7200\n\
             [profile other]\nrole_arn = arn:aws:iam::210987654321:role/ops\nsource_profile = admin\nduration_seconds = 7200\nexternal_id = xyz\n"
        ));
        assert_eq!(chain(&set, "work").unwrap(), None);
        let roles = chain(&set, "other").unwrap().unwrap();
        assert_eq!(
            roles.iter().map(|r| r.profile.as_str()).collect::<Vec<_>>(),
            ["admin", "other"]
        );
        assert_eq!(roles[0].duration(false), 7200);
        assert_eq!(
            roles[1].duration(true),
            3600,
            "role chaining is capped at one hour"
        );
        assert_eq!(roles[1].session_name, "mfa-session-other");
        assert_ne!(roles[1].cache_key("k"), roles[0].cache_key("k"));
        assert_ne!(roles[0].cache_key("k1"), roles[0].cache_key("k2"));
    }

    #[test]
    fn siblings_of_one_role_with_other_durations_never_share_credentials() {
        let set = set_of(&format!(
            "{WORK}[profile short]\nmfa_session_role_arn = arn:aws:iam::123456789012:role/admin\nmfa_session_role_source = work\nrole_session_name = me\nduration_seconds = 900\n\
             [profile long]\nmfa_session_role_arn = arn:aws:iam::123456789012:role/admin\nmfa_session_role_source = work\nrole_session_name = me\n"
        ));
        let short = chain(&set, "short").unwrap().unwrap();
        let long = chain(&set, "long").unwrap().unwrap();
        assert_ne!(short[0].cache_key("k"), long[0].cache_key("k"));
    }

    #[test]
    fn each_role_mistake_has_its_own_line() {
        let cases: &[(&str, &str)] = &[
            (
                "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::123456789012:role/y\nsource_profile = a\n",
                "go round in a circle (a -> b -> a)",
            ),
            (
                "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = a\n",
                "go round in a circle",
            ),
            (
                "[profile a]\nrole_arn = arn:aws:iam::123456789012:user/x\nsource_profile = work\n",
                "is not an IAM role's ARN",
            ),
            (
                "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = work\nmfa_serial = arn:aws:iam::123456789012:mfa/a\n",
                "already carries MFA",
            ),
            (
                "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/x\n",
                "needs the profile that assumes it",
            ),
            (
                "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = work\nduration_seconds = 50000\n",
                "from 900 to 43200",
            ),
            (
                "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = nowhere\n",
                "'nowhere' (the source of role profile 'a') is not in",
            ),
        ];
        for (config, want) in cases {
            let err = chain(&set_of(&format!("{WORK}{config}")), "a")
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{config}: {err}");
            assert!(!err.contains('\n'));
        }
        let mut deep = WORK.to_owned();
        let mut src = "work".to_owned();
        for i in 0..=MAX_DEPTH {
            deep += &format!(
                "[profile r{i}]\nrole_arn = arn:aws:iam::123456789012:role/r{i}\nsource_profile = {src}\n"
            );
            src = format!("r{i}");
        }
        let err = chain(&set_of(&deep), &src).unwrap_err().to_string();
        assert!(err.contains("chains more than 4 roles"), "{err}");
    }
}
