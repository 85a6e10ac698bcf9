//! `sts:GetSessionToken` through aws-sdk-sts, with errors turned into one actionable line each.
//!
//! The client is given the long-term keys explicitly and aws-config's `credentials-process`
//! feature is off, so building it can never run a `credential_process`, ours included.

use crate::cache::Session;
use crate::config::{LongTermKeys, ProfileConfig};
use crate::error::Error;
use crate::role::RoleConfig;
use crate::secret::{Secret, mask_key_id};
use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_sts::config::{Credentials, Region};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use std::time::Duration;

/// Whole-call budget for STS, retries included; with the prompt it fits the callers' limits.
pub const STS_TIMEOUT: Duration = Duration::from_secs(15);

/// Makes a session from long-term keys and an MFA code, and roles from sessions.
pub trait Exchange: AssumeRole {
    /// Calls `sts:GetSessionToken`.
    fn get_session_token(
        &self,
        cfg: &ProfileConfig,
        keys: &LongTermKeys,
        code: &Secret,
    ) -> Result<Session, Error>;
}

/// Assumes roles with a session's credentials.
pub trait AssumeRole {
    /// Calls `sts:AssumeRole` for `role`, signed with `source`.
    fn assume_role(
        &self,
        source: &Session,
        role: &RoleConfig,
        duration_seconds: u32,
        region: &str,
    ) -> Result<Session, Error>;
}

/// The real STS, through aws-sdk-sts on a current-thread tokio runtime built only here.
pub struct AwsSts;

impl Exchange for AwsSts {
    fn get_session_token(
        &self,
        cfg: &ProfileConfig,
        keys: &LongTermKeys,
        code: &Secret,
    ) -> Result<Session, Error> {
        let rt = runtime()?;
        let result = rt.block_on(call(cfg, keys, code));
        result.map_err(|e| explain(&e, cfg, keys, code))
    }
}

impl AssumeRole for AwsSts {
    fn assume_role(
        &self,
        source: &Session,
        role: &RoleConfig,
        duration_seconds: u32,
        region: &str,
    ) -> Result<Session, Error> {
        let rt = runtime()?;
        rt.block_on(assume(source, role, duration_seconds, region))
            .map_err(|e| explain_assume(&e, role, region, source))
    }
}

async fn assume(
    source: &Session,
    role: &RoleConfig,
    duration_seconds: u32,
    region: &str,
) -> Result<Session, SdkError<aws_sdk_sts::operation::assume_role::AssumeRoleError>> {
    let sdk = sdk_config(&role.profile, region, temporary(source)).await;
    let out = aws_sdk_sts::Client::new(&sdk)
        .assume_role()
        .role_arn(&role.role_arn)
        .role_session_name(&role.session_name)
        .set_external_id(role.external_id.clone())
        .duration_seconds(duration_seconds as i32)
        .send()
        .await?;
    session_of(out.credentials(), role.role_arn.split(':').nth(4))
}

/// Our `Session` from the credentials STS answered with.
#[allow(clippy::result_large_err)] // the SDK's own error, handed on as the SDK returns it
fn session_of<E>(
    c: Option<&aws_sdk_sts::types::Credentials>,
    account_id: Option<&str>,
) -> Result<Session, SdkError<E>> {
    let c = c.ok_or_else(|| SdkError::construction_failure("STS answered without credentials"))?;
    let expiration = chrono::DateTime::from_timestamp(c.expiration().secs(), 0)
        .ok_or_else(|| SdkError::construction_failure("STS answered with a bad expiration"))?;
    Ok(Session {
        access_key_id: c.access_key_id().to_owned(),
        secret_access_key: Secret::new(c.secret_access_key()),
        session_token: Secret::new(c.session_token()),
        expiration,
        account_id: account_id.map(str::to_owned),
    })
}

/// A current-thread runtime for one call, built only on the paths that call AWS.
fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Unavailable(format!("cannot start the network runtime: {e}")))
}

/// One line for a refused or failed AssumeRole; AWS's own words for the reason.
fn explain_assume<E: ProvideErrorMetadata + std::error::Error + 'static>(
    err: &SdkError<E>,
    role: &RoleConfig,
    region: &str,
    source: &Session,
) -> Error {
    match err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            let mut msg = e
                .message()
                .unwrap_or("")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            for secret in [
                source.secret_access_key.expose(),
                source.session_token.expose(),
            ] {
                msg = msg.replace(secret, "******");
            }
            explain_assume_code(e.code().unwrap_or("Unknown"), &msg, role, region)
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => {
            unreachable_sts(err, region, &format!(" to assume {}", role.role_arn))
        }
        _ => Error::Unavailable(format!(
            "STS in {region} sent a reply to AssumeRole that could not be read: try again"
        )),
    }
}

/// STS not reached or not answering in time, for any call (`what`: " to assume ARN", or "").
fn unreachable_sts<E>(err: &SdkError<E>, region: &str, what: &str) -> Error {
    Error::Unavailable(match err {
        SdkError::TimeoutError(_) => format!(
            "STS in {region} did not answer within {}s{what}: check your network or proxy, then try again",
            STS_TIMEOUT.as_secs()
        ),
        SdkError::DispatchFailure(d) if d.is_timeout() => {
            format!("STS in {region} timed out{what}: check your network or proxy, then try again")
        }
        _ => format!(
            "cannot reach STS in {region}{what}: check your network, or AWS_ENDPOINT_URL / endpoint_url if you set one"
        ),
    })
}

/// One line for each error code AssumeRole answers with.
fn explain_assume_code(code: &str, msg: &str, role: &RoleConfig, region: &str) -> Error {
    let (arn, name, src) = (&role.role_arn, &role.profile, &role.source);
    match code {
        "AccessDenied" => Error::Denied(format!(
            "AWS refused to let '{src}' assume {arn} for profile '{name}' ({msg}): the role's trust policy must allow this user (with MFA, which the session of '{src}' carries) and the user's policy must allow sts:AssumeRole"
        )),
        "ValidationError" => Error::Config(format!(
            "STS rejected assuming {arn} for profile '{name}' ({msg}): lower duration_seconds in [profile {name}] or check the role"
        )),
        "RegionDisabledException" => Error::Config(format!(
            "STS is not enabled in {region} for this account ({msg}): set another region in [profile {name}]"
        )),
        "ExpiredToken" | "InvalidClientTokenId" => Error::Denied(format!(
            "AWS refused the credentials of '{src}' for AssumeRole ({code}): run `mfa-session clear -p {src}` and try again"
        )),
        c @ ("Throttling" | "ThrottlingException") => Error::Unavailable(format!(
            "STS in {region} is throttling requests ({c}): wait a minute and try again"
        )),
        other => Error::Unavailable(format!(
            "STS in {region} failed to assume {arn} ({other}: {msg}): try again later"
        )),
    }
}

async fn call(
    cfg: &ProfileConfig,
    keys: &LongTermKeys,
    code: &Secret,
) -> Result<Session, SdkError<aws_sdk_sts::operation::get_session_token::GetSessionTokenError>> {
    let sdk = sdk_config(&cfg.name, cfg.sts_region(), long_term(keys)).await;
    let out = aws_sdk_sts::Client::new(&sdk)
        .get_session_token()
        .serial_number(&cfg.mfa_serial)
        .token_code(code.expose())
        .duration_seconds(cfg.duration_seconds as i32)
        .send()
        .await?;
    session_of(out.credentials(), cfg.account_id())
}

/// Long-term keys as SDK credentials, for signing STS and IAM calls.
pub fn long_term(keys: &LongTermKeys) -> Credentials {
    Credentials::new(
        &keys.access_key_id,
        keys.secret_access_key.expose(),
        None,
        None,
        "mfa-session-long-term-keys",
    )
}

/// A session's temporary credentials as SDK credentials.
pub fn temporary(s: &Session) -> Credentials {
    Credentials::new(
        &s.access_key_id,
        s.secret_access_key.expose(),
        Some(s.session_token.expose().to_owned()),
        None,
        "mfa-session-session",
    )
}

/// The SDK configuration for `profile`: its endpoints (endpoint_url, AWS_ENDPOINT_URL(_STS|_IAM)),
/// the given region and credentials, rustls with ring, bounded timeouts and standard retries.
/// Explicit credentials mean the default chain is never built: no credential_process can run.
pub async fn sdk_config(profile: &str, region: &str, creds: Credentials) -> aws_config::SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(6))
        .operation_timeout(STS_TIMEOUT)
        .build();
    aws_config::defaults(BehaviorVersion::latest())
        .profile_name(profile)
        .region(Region::new(region.to_owned()))
        .credentials_provider(creds)
        .http_client(http)
        .timeout_config(timeouts)
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .load()
        .await
}

/// What a failed GetSessionToken was about, for its message.
struct Where<'a> {
    region: &'a str,
    key: &'a str,
    src: &'a str,
    serial: &'a str,
    profile: &'a str,
}

/// One line for each error code STS answers GetSessionToken with (`msg` already cleaned).
fn explain_code(code: &str, msg: &str, at: &Where<'_>) -> Error {
    let Where {
        region,
        key,
        src,
        serial,
        profile,
    } = at;
    match code {
        "AccessDenied" if msg.contains("MultiFactorAuthentication") => Error::MfaRejected(format!(
            "AWS rejected the MFA code for {serial}: it is wrong, expired or already used (each code works once); wait for the next code and try again"
        )),
        "AccessDenied" => Error::Denied(format!(
            "AWS denied sts:GetSessionToken to key {key} of {src} ({msg}): allow sts:GetSessionToken in the user's policy (`mfa-session policy` prints one)"
        )),
        "InvalidClientTokenId" => Error::Denied(format!(
            "AWS does not know access key {key} of {src} (InvalidClientTokenId): it was deleted or mistyped; store the right keys"
        )),
        "SignatureDoesNotMatch" => Error::Denied(format!(
            "the secret key in {src} does not match access key {key} (SignatureDoesNotMatch): store the right secret key"
        )),
        c @ ("Throttling" | "ThrottlingException" | "RequestLimitExceeded") => {
            Error::Unavailable(format!(
                "STS in {region} is throttling requests ({c}), still after retries: wait a minute and try again"
            ))
        }
        "ValidationError" => Error::Config(format!(
            "STS rejected the request of profile '{profile}' ({msg}): check mfa_serial and duration_seconds"
        )),
        other => Error::Unavailable(format!(
            "STS in {region} failed ({other}: {msg}): try again later"
        )),
    }
}

/// One line per failure, naming the problem and the fix. AWS's text is included only after
/// every secret we hold has been blanked out of it.
fn explain<E: ProvideErrorMetadata + std::error::Error + 'static>(
    err: &SdkError<E>,
    cfg: &ProfileConfig,
    keys: &LongTermKeys,
    code: &Secret,
) -> Error {
    let clean = |s: &str| {
        let mut s = s.split_whitespace().collect::<Vec<_>>().join(" ");
        for secret in [code.expose(), keys.secret_access_key.expose()] {
            s = s.replace(secret, "******");
        }
        s
    };
    let region = cfg.sts_region();
    let key = mask_key_id(&keys.access_key_id);
    let src = cfg.key_location();
    match err {
        SdkError::ServiceError(se) if se.err().code().is_none() => Error::Unavailable(format!(
            "STS in {region} sent a reply that could not be read (HTTP {}): try again; if it persists, check any proxy in between",
            se.raw().status().as_u16()
        )),
        SdkError::ServiceError(se) => {
            let e = se.err();
            let msg = clean(e.message().unwrap_or(""));
            let at = Where {
                region,
                key: &key,
                src: &src,
                serial: &cfg.mfa_serial,
                profile: &cfg.name,
            };
            explain_code(e.code().unwrap_or("Unknown"), &msg, &at)
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => {
            unreachable_sts(err, region, "")
        }
        SdkError::ResponseError(_) => Error::Unavailable(format!(
            "STS in {region} sent a reply that could not be read: try again; if it persists, check any proxy in between"
        )),
        _ => Error::Unavailable(format!(
            "the STS request could not be made: {}",
            clean(&err.to_string())
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Exit;

    #[test]
    fn every_error_code_assume_role_answers_has_its_line_and_exit_code() {
        let role = RoleConfig {
            profile: "admin".into(),
            role_arn: "arn:aws:iam::123456789012:role/admin".into(),
            session_name: "s".into(),
            external_id: None,
            duration_seconds: None,
            region: None,
            source: "work".into(),
        };
        let table: &[(&str, &str, Exit, &str)] = &[
            (
                "AccessDenied",
                "not authorized",
                Exit::Denied,
                "AWS refused to let 'work' assume arn:aws:iam::123456789012:role/admin for profile 'admin' (not authorized)",
            ),
            (
                "ValidationError",
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
                Exit::Config,
                "exceeds the MaxSessionDuration set for this role.): lower duration_seconds",
            ),
            (
                "RegionDisabledException",
                "off",
                Exit::Config,
                "not enabled in eu-west-1",
            ),
            (
                "ExpiredToken",
                "",
                Exit::Denied,
                "`mfa-session clear -p work`",
            ),
            ("Throttling", "", Exit::Unavailable, "throttling"),
            (
                "InternalFailure",
                "x",
                Exit::Unavailable,
                "failed to assume",
            ),
        ];
        for (code, msg, exit, want) in table {
            let err = explain_assume_code(code, msg, &role, "eu-west-1");
            assert_eq!(crate::error::code_of(&err), *exit, "{code}");
            assert!(err.to_string().contains(want), "{code}: {err}");
        }
    }

    #[test]
    fn every_error_code_sts_answers_has_its_line_and_exit_code() {
        let at = Where {
            region: "eu-west-1",
            key: "****ABCD",
            src: "profile 'lt'",
            serial: "arn:aws:iam::123456789012:mfa/a",
            profile: "work",
        };
        let table: &[(&str, &str, Exit, &str)] = &[
            (
                "AccessDenied",
                "MultiFactorAuthentication failed with invalid MFA one time pass code.",
                Exit::Mfa,
                "AWS rejected the MFA code for arn:aws:iam::123456789012:mfa/a",
            ),
            (
                "AccessDenied",
                "not authorized",
                Exit::Denied,
                "allow sts:GetSessionToken",
            ),
            (
                "InvalidClientTokenId",
                "",
                Exit::Denied,
                "AWS does not know access key ****ABCD of profile 'lt'",
            ),
            (
                "SignatureDoesNotMatch",
                "",
                Exit::Denied,
                "does not match access key ****ABCD",
            ),
            (
                "Throttling",
                "",
                Exit::Unavailable,
                "throttling requests (Throttling)",
            ),
            (
                "ThrottlingException",
                "",
                Exit::Unavailable,
                "(ThrottlingException)",
            ),
            (
                "RequestLimitExceeded",
                "",
                Exit::Unavailable,
                "(RequestLimitExceeded)",
            ),
            (
                "ValidationError",
                "bad duration",
                Exit::Config,
                "profile 'work' (bad duration): check mfa_serial",
            ),
            (
                "InternalFailure",
                "oops",
                Exit::Unavailable,
                "failed (InternalFailure: oops)",
            ),
        ];
        for (code, msg, exit, want) in table {
            let err = explain_code(code, msg, &at);
            assert_eq!(crate::error::code_of(&err), *exit, "{code}");
            assert!(err.to_string().contains(want), "{code}: {err}");
        }
    }
}
