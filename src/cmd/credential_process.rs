//! `credential-process`: the AWS CLI / SDK `credential_process` contract.

use crate::cache::Session;
use crate::cmd::ProfileSel;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::session::obtain;
use serde::Serialize;

/// Print MFA-backed credentials as credential_process JSON (for ~/.aws/config).
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    profile: ProfileSel,
}

/// The Version 1 document botocore, aws-config and the other SDKs read.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ProcessOutput<'a> {
    version: u8,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    session_token: &'a str,
    expiration: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
}

/// Renders a session as credential_process JSON.
pub fn render(session: &Session) -> String {
    let out = ProcessOutput {
        version: 1,
        access_key_id: &session.access_key_id,
        secret_access_key: session.secret_access_key.expose(),
        session_token: session.session_token.expose(),
        expiration: crate::env::rfc3339(session.expiration),
        account_id: session.account_id.as_deref(),
    };
    serde_json::to_string(&out).expect("plain strings serialize")
}

/// Prints the session for the profile on stdout, and nothing else.
pub fn run(args: &Args, ctx: &Ctx) -> Result<(), Error> {
    let name = args.profile.name(&ctx.env)?;
    let resolved = obtain(ctx, &name)?;
    println!("{}", render(&resolved.session));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    #[test]
    fn version_1_document_with_a_z_expiration() {
        let s = Session {
            access_key_id: "ASIA1".into(),
            secret_access_key: Secret::new("s"),
            session_token: Secret::new("t"),
            expiration: "2026-01-01T12:00:00Z".parse().unwrap(),
            account_id: None,
        };
        assert_eq!(
            render(&s),
            r#"{"Version":1,"AccessKeyId":"ASIA1","SecretAccessKey":"s","SessionToken":"t","Expiration":"2026-01-01T12:00:00Z"}"#
        );
    }
}
