//! Unit tests of profile resolution and checks.

use super::*;

fn set_of(config: &str, credentials: &str) -> ProfileSet {
    let dir = tempfile::tempdir().unwrap();
    let (c, k) = (dir.path().join("config"), dir.path().join("credentials"));
    std::fs::write(&c, config).unwrap();
    std::fs::write(&k, credentials).unwrap();
    let env = Env::from_pairs([
        ("AWS_CONFIG_FILE", c.to_str().unwrap()),
        ("AWS_SHARED_CREDENTIALS_FILE", k.to_str().unwrap()),
    ]);
    load_profiles(&env).unwrap()
}

const WORK: &str = "[profile work]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nmfa_session_source_profile = lt\n";

#[test]
fn resolves_a_profile_and_its_keys_from_both_files() {
    let set = set_of(
        &format!("{WORK}region = eu-west-1\nduration_seconds = 3600\n"),
        "[lt]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s3cr3t\n",
    );
    let cfg = resolve_profile(&set, "work", &Env::default()).unwrap();
    assert_eq!(cfg.duration_seconds, 3600);
    assert_eq!(cfg.sts_region(), "eu-west-1");
    assert_eq!(cfg.account_id(), Some("123456789012"));
    let keys = load_long_term_keys(&set, &cfg).unwrap();
    assert_eq!(keys.access_key_id, "AKIAEXAMPLE");
    assert_eq!(keys.secret_access_key.expose(), "s3cr3t");
}

#[test]
fn no_region_anywhere_uses_the_global_sts_region() {
    let set = set_of(WORK, "");
    let cfg = resolve_profile(&set, "work", &Env::default()).unwrap();
    assert_eq!(cfg.sts_region(), "us-east-1");
    let env = Env::from_pairs([("AWS_REGION", "ap-south-1")]);
    assert_eq!(
        resolve_profile(&set, "work", &env).unwrap().sts_region(),
        "ap-south-1"
    );
}

#[test]
fn each_config_mistake_has_its_own_message() {
    let cases: &[(&str, &str, &str)] = &[
        ("", "", "profile 'work' is not in the AWS config files"),
        (
            "[profile work]\nmfa_serial = arn:aws:iam::123456789012:mfa/a\n",
            "",
            "has no long-term keys: run `mfa-session add work`",
        ),
        (
            "[profile work]\nmfa_serial = arn:aws:iam::123456789012:mfa/a\nmfa_session_source_profile = lt\nmfa_code_source = phone\n",
            "",
            "mfa_code_source 'phone' is not one of",
        ),
        (
            "[profile work]\nmfa_session_source_profile = work\n",
            "",
            "names itself",
        ),
        (
            "[profile work]\nmfa_session_source_profile = lt\n",
            "",
            "has no mfa_serial",
        ),
        (
            &format!("{WORK}duration_seconds = 12h\n"),
            "",
            "'12h' is not a whole number",
        ),
        (
            &format!("{WORK}duration_seconds = 600\n"),
            "",
            "600 is out of range",
        ),
        (
            "[profile work]\nmfa_session_source_profile = lt\nmfa_serial = arn:aws:iam::12:mfa/a\n",
            "",
            "not an IAM MFA device ARN",
        ),
    ];
    for (config, creds, want) in cases {
        let err = resolve_profile(&set_of(config, creds), "work", &Env::default()).unwrap_err();
        assert!(err.to_string().contains(want), "{config:?}: {err}");
    }
}

#[test]
fn key_mistakes_name_the_source_profile() {
    let cases: &[(&str, &str)] = &[
        ("", "is not in the AWS credentials or config file"),
        (
            "[lt]\naws_access_key_id = AKIA1\n",
            "has aws_access_key_id but no aws_secret_access_key",
        ),
        (
            "[lt]\naws_secret_access_key = SENTINELSECRET\n",
            "has aws_secret_access_key but no aws_access_key_id",
        ),
        ("[lt]\nregion = x\n", "has no long-term keys"),
        (
            "[lt]\ncredential_process = mfa-session credential-process -p lt\n",
            "would loop",
        ),
    ];
    for (creds, want) in cases {
        let set = set_of(WORK, creds);
        let cfg = resolve_profile(&set, "work", &Env::default()).unwrap();
        let err = load_long_term_keys(&set, &cfg).unwrap_err().to_string();
        assert!(err.contains(want), "{creds:?}: {err}");
        assert!(!err.contains("SENTINEL"), "no secret in the message: {err}");
    }
}

proptest::proptest! {
    /// duration_seconds is accepted exactly when it is a whole number in 900..=129600.
    #[test]
    fn durations(v in "\\PC{0,12}", n in 0u64..300_000) {
        let ok = v.parse::<u32>().is_ok_and(|n| DURATION_RANGE.contains(&n));
        proptest::prop_assert_eq!(parse_duration(&v).is_ok(), ok);
        proptest::prop_assert_eq!(parse_duration(&n.to_string()).is_ok(), (900..=129_600).contains(&n));
    }

    /// Any mfa_serial: no panic; an accepted ARN always yields its account id.
    #[test]
    fn serials(s in "\\PC{0,40}", acct in "[0-9]{12}", dev in "[a-z.@_-]{1,20}") {
        let _ = ensure_mfa_serial(&s);
        let arn = format!("arn:aws:iam::{acct}:mfa/{dev}");
        proptest::prop_assert!(ensure_mfa_serial(&arn).is_ok());
        let mut cfg = ProfileConfig::keys_only("p", KeySource::Keyring("AKIA".into()));
        cfg.mfa_serial = arn;
        proptest::prop_assert_eq!(cfg.account_id(), Some(acct.as_str()));
    }
}

#[test]
fn mfa_serials() {
    for ok in [
        "arn:aws:iam::123456789012:mfa/alice",
        "arn:aws-us-gov:iam::123456789012:mfa/a.b@c",
        "GAHT12345678",
    ] {
        ensure_mfa_serial(ok).unwrap();
    }
    for bad in [
        "",
        "arn:aws:iam::123456789012:user/alice",
        "arn:aws:iam::1234:mfa/a",
        "has space in it",
        "arn:aws:iam::123456789012:mfa/",
        "my-device-name",
        "alice@example.com",
    ] {
        assert!(ensure_mfa_serial(bad).is_err(), "{bad}");
    }
    let fido = ensure_mfa_serial("arn:aws:iam::123456789012:u2f/user/alice/fido-ABCDEFGHIJ")
        .unwrap_err()
        .to_string();
    assert!(fido.contains("is a FIDO security key"), "{fido}");
    assert!(
        fido.contains("add a virtual or hardware TOTP MFA device"),
        "{fido}"
    );
}
