//! The credential_process contract, checked by the real clients that read it: the AWS CLI,
//! boto3, and aws-config's (Rust) credential_process provider.

mod common;
use aws_credential_types::provider::ProvideCredentials;
use common::*;

#[test]
fn aws_cli_gets_an_identity_through_credential_process_with_the_code_typed_at_a_terminal() {
    let t = TestEnv::new("awscli");
    let args = aws_identity_args("work");
    let out = run(&mut t.with_tty(&["123456"], python(), &args));
    let id: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(id["Account"], "123456789012");
    assert!(
        id["Arn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:sts::123456789012:")
    );
    assert!(t.tty_log().contains("MFA code for"), "{}", t.tty_log());
    assert_eq!(sts_calls(&t.key_id), 1);
    // Again with no terminal: the cached session answers, no new exchange.
    let again = run(&mut t.no_tty(python(), &args));
    ok(&again);
    assert_eq!(sts_calls(&t.key_id), 1);
}

#[test]
fn aws_cli_shows_our_one_line_error_when_no_code_can_be_had() {
    let t = TestEnv::new("awsclierror");
    let args = aws_identity_args("work");
    let out = run(&mut t.no_tty(python(), &args));
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("no terminal to ask for the MFA code of profile 'work'"),
        "{err}"
    );
    assert_no_secret(&err);
}

#[test]
fn boto3_gets_an_identity_through_credential_process() {
    let t = TestEnv::new("boto3");
    let script = "import boto3; s = boto3.Session(profile_name='work'); \
                  c = s.get_credentials().get_frozen_credentials(); \
                  print(s.client('sts').get_caller_identity()['Account'], c.access_key, c.token[:47])";
    let out = run(&mut t.with_tty(&["123456"], python(), &["-c", script]));
    // The session's key and token (moto's), not the long-term key, which also starts with AKIA.
    assert_eq!(
        ok(&out).trim(),
        format!("123456789012 AKIAIOSFODNN7EXAMPLE {MOTO_SESSION_TOKEN_PREFIX}")
    );
    assert_ne!(t.key_id, "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(sts_calls(&t.key_id), 1);
}

#[test]
fn the_rust_sdk_credential_process_provider_reads_our_output() {
    let t = TestEnv::new("rustsdk");
    // Warm the cache through a terminal; the provider runs us with `sh -c` and no terminal.
    ok(&run(&mut t.with_tty(
        &["123456"],
        BIN,
        &["credential-process", "-p", "work"],
    )));
    let command = format!(
        "env -i HOME='{}' AWS_CONFIG_FILE='{}' AWS_SHARED_CREDENTIALS_FILE='{}' MFA_SESSION_CACHE_DIR='{}' '{BIN}' credential-process --profile work",
        t.home().display(),
        t.config_path().display(),
        t.home().join(".aws/credentials").display(),
        t.cache_dir().display()
    );
    let provider = aws_config::credential_process::CredentialProcessProvider::new(command);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let creds = rt
        .block_on(provider.provide_credentials())
        .expect("credentials");
    assert_eq!(creds.access_key_id(), "AKIAIOSFODNN7EXAMPLE");
    assert!(creds.session_token().is_some());
    let left = creds
        .expiry()
        .unwrap()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .unwrap();
    let cached = parse_process_output(&ok(&run(&mut t.mfa(&["credential-process", "-p", "work"]))));
    let exp = chrono::DateTime::parse_from_rfc3339(cached["Expiration"].as_str().unwrap()).unwrap();
    assert_eq!(left.as_secs() as i64, exp.timestamp());
    assert_eq!(sts_calls(&t.key_id), 1);
}
