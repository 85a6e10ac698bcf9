//! Self-service MFA against the emulator: moto creates and deletes devices; the harness's layer
//! checks the codes of EnableMFADevice/ResyncMFADevice against the device's seed and answers
//! ResyncMFADevice, as AWS does (moto does neither). Seeds live in the real Secret Service.

mod common;
use common::*;
use serde_json::json;
use std::process::Command;

/// A profile `name` whose long-term keys belong to an IAM user of its own in the emulator.
fn user_profile(name: &str) -> (TestEnv, String) {
    let t = TestEnv::new(name);
    let (id, secret) = iam_user(name);
    t.write_credentials(&format!(
        "[{name}-lt]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"
    ));
    t.write_config_raw(&format!(
        "# keep me\n[profile {name}]\nmfa_session_source_profile = {name}-lt\nregion = eu-west-1\n"
    ));
    (t, id)
}

fn mfa(t: &TestEnv, args: &[&str]) -> Command {
    let mut cmd = t.mfa(args);
    cmd.env("DBUS_SESSION_BUS_ADDRESS", bus());
    cmd
}

/// The virtual MFA devices the emulator holds, read with the AWS CLI.
fn virtual_devices(t: &TestEnv, name: &str) -> Vec<String> {
    let creds = std::fs::read_to_string(t.home().join(".aws/credentials")).unwrap();
    let get = |k: &str| {
        creds
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{k} = ")))
            .unwrap()
            .to_owned()
    };
    let mut cmd = t.no_tty(
        python(),
        &[
            "-m",
            "awscli",
            "iam",
            "list-virtual-mfa-devices",
            "--output",
            "json",
            "--region",
            "us-east-1",
        ],
    );
    cmd.env("AWS_ACCESS_KEY_ID", get("aws_access_key_id"))
        .env("AWS_SECRET_ACCESS_KEY", get("aws_secret_access_key"));
    let v: serde_json::Value = serde_json::from_str(&ok(&run(&mut cmd))).unwrap();
    v["VirtualMFADevices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["SerialNumber"].as_str().unwrap().to_owned())
        .filter(|s| s.ends_with(&format!("/{name}")) || s.contains(&format!("/{name}-")))
        .collect()
}

#[test]
fn enroll_from_scratch_then_every_call_works_with_no_terminal_then_resync_and_unenroll() {
    let (t, key_id) = user_profile("enrollfull");
    let now = late_in_a_step();
    let out = run(mfa(&t, &["enroll", "enrollfull"]).env("MFA_SESSION_TEST_NOW", at(now)));
    ok(&out);
    let serial = "arn:aws:iam::123456789012:mfa/enrollfull";
    assert!(
        stderr(&out).contains(&format!("enrolled {serial} for IAM user enrollfull")),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("first MFA session for profile 'enrollfull' is valid until"));
    let config = std::fs::read_to_string(t.config_path()).unwrap();
    assert!(
        config.starts_with("# keep me\n[profile enrollfull]\n"),
        "{config}"
    );
    assert!(
        config.contains(&format!("mfa_serial = {serial}\n"))
            && config.contains("credential_process = "),
        "{config}"
    );
    assert_eq!(sts_calls(&key_id), 1);
    assert_eq!(virtual_devices(&t, "enrollfull"), [serial]);

    // A later call with no terminal: a new code from the stored seed, checked by the emulator.
    ok(&run(&mut t.mfa(&["clear", "--all"])));
    let args = aws_identity_args("enrollfull");
    let mut cli = t.no_tty(python(), &args);
    cli.env("DBUS_SESSION_BUS_ADDRESS", bus())
        .env("MFA_SESSION_TEST_NOW", at(now + 30));
    let id: serde_json::Value = serde_json::from_str(&ok(&run(&mut cli))).unwrap();
    assert_eq!(id["Account"], "123456789012");
    assert_eq!(sts_calls(&key_id), 2);

    ok(&run(
        mfa(&t, &["resync", "enrollfull"]).env("MFA_SESSION_TEST_NOW", at(now + 60))
    ));

    let out = run(&mut mfa(&t, &["unenroll", "enrollfull"]));
    fails(&out, 3, "no terminal to confirm on: pass --yes");
    let out = run(
        mfa(&t, &["unenroll", "enrollfull", "--yes"]).env("MFA_SESSION_TEST_NOW", at(now + 90))
    );
    ok(&out);
    // It says what it changed in the config file, and where the previous version is.
    assert!(
        stderr(&out).contains("and mfa_serial from [profile enrollfull] in")
            && stderr(&out).contains("(previous version: "),
        "{}",
        stderr(&out)
    );
    assert!(virtual_devices(&t, "enrollfull").is_empty());
    assert!(
        !std::fs::read_to_string(t.config_path())
            .unwrap()
            .contains("mfa_serial")
    );
    fails(
        &run(&mut mfa(&t, &["code", "enrollfull"])),
        3,
        "no TOTP seed stored",
    );
}

#[test]
fn enroll_refuses_a_user_who_already_has_a_device() {
    let (t, _) = user_profile("enrolltwice");
    ok(&run(
        mfa(&t, &["enroll", "enrolltwice"]).env("MFA_SESSION_TEST_NOW", at(late_in_a_step()))
    ));
    let before = std::fs::read_to_string(t.config_path()).unwrap();
    let out = run(&mut mfa(&t, &["enroll", "enrolltwice"]));
    fails(
        &out,
        3,
        "IAM user enrolltwice already has an MFA device (arn:aws:iam::123456789012:mfa/enrolltwice)",
    );
    assert_eq!(std::fs::read_to_string(t.config_path()).unwrap(), before);
}

#[test]
fn a_failure_in_the_middle_leaves_no_device_no_seed_and_no_config_change() {
    let (t, key_id) = user_profile("enrollfail");
    let before = std::fs::read_to_string(t.config_path()).unwrap();
    configure(&key_id, json!({"fail_enable": true}));
    let out = run(&mut mfa(&t, &["enroll", "enrollfail"]));
    fails(
        &out,
        4,
        "AWS did not accept the codes for iam:EnableMFADevice",
    );
    assert!(
        virtual_devices(&t, "enrollfail").is_empty(),
        "the created device was deleted again"
    );
    fails(
        &run(&mut mfa(&t, &["code", "enrollfail"])),
        3,
        "no TOTP seed stored",
    );
    assert_eq!(std::fs::read_to_string(t.config_path()).unwrap(), before);
    // And once AWS accepts the codes, the same name is free to use.
    configure(&key_id, json!({}));
    ok(&run(
        mfa(&t, &["enroll", "enrollfail"]).env("MFA_SESSION_TEST_NOW", at(late_in_a_step()))
    ));
}

/// The config edit fails after the device is enabled. Undo: deactivate, delete, and only then
/// the seed. Where AWS refuses to deactivate (Force_MFA: long-term keys may not), the device
/// stays enabled and deleting it is refused too (DeleteConflict): the seed is kept and said.
#[test]
fn an_undo_after_enabling_never_loses_the_seed_of_a_device_that_stays() {
    let (t, key_id) = user_profile("enrollundo");
    let serial = "arn:aws:iam::123456789012:mfa/enrollundo";
    configure(&key_id, json!({"deny_iam": ["DeactivateMFADevice"]}));
    let out = run(mfa(&t, &["enroll", "enrollundo"])
        .env("MFA_SESSION_TEST_NOW", at(late_in_a_step()))
        .env("MFA_SESSION_FAILPOINT", "enroll-config:error"));
    fails(
        &out,
        3,
        "is enabled and could not be removed, so its seed is kept in the OS keyring",
    );
    assert!(stderr(&out).contains(&format!("set `mfa_serial = {serial}`")));
    assert_eq!(virtual_devices(&t, "enrollundo"), [serial]);
    // The seed still makes codes for the device that stays.
    let code = ok(&run(&mut mfa(&t, &["code", "enrollundo"])));
    let digits = code.split_whitespace().next().unwrap_or("");
    assert!(
        digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()),
        "{code}"
    );

    // Where the device can be deactivated, it goes, and the seed with it.
    let (t, _) = user_profile("enrollundo2");
    let out = run(mfa(&t, &["enroll", "enrollundo2"])
        .env("MFA_SESSION_TEST_NOW", at(late_in_a_step()))
        .env("MFA_SESSION_FAILPOINT", "enroll-config:error"));
    fails(&out, 3, "cannot go on at enroll-config");
    assert!(virtual_devices(&t, "enrollundo2").is_empty());
    fails(
        &run(&mut mfa(&t, &["code", "enrollundo2"])),
        3,
        "no TOTP seed stored",
    );
}

#[test]
fn policy_is_valid_json_with_the_seeds_statements() {
    let t = TestEnv::new("policy");
    let doc: serde_json::Value = serde_json::from_str(&ok(&run(&mut t.mfa(&[
        "policy",
        "--account-id",
        "123456789012",
    ]))))
    .unwrap();
    let seed: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/force_mfa_seed_policy.json")).unwrap();
    let by_sid = |d: &serde_json::Value, sid: &str| {
        d["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == sid)
            .cloned()
            .unwrap_or_else(|| panic!("{sid}"))
    };
    for stmt in seed["Statement"].as_array().unwrap() {
        let sid = stmt["Sid"].as_str().unwrap();
        let ours = by_sid(&doc, sid);
        assert_eq!(ours["Effect"], stmt["Effect"], "{sid}");
        for key in ["Action", "NotAction"] {
            let theirs: Vec<&str> = match &stmt[key] {
                serde_json::Value::String(s) => vec![s.as_str()],
                serde_json::Value::Array(a) => a.iter().map(|v| v.as_str().unwrap()).collect(),
                _ => vec![],
            };
            for action in theirs {
                assert!(
                    ours[key].as_array().unwrap().iter().any(|a| a == action),
                    "{sid} {key} lacks {action}"
                );
            }
        }
    }
    let deny = by_sid(&doc, "DenyAllExceptListedIfNoMFA");
    assert_eq!(
        deny["Condition"],
        json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}})
    );
    assert_eq!(
        by_sid(&doc, "AllowManageOwnUserMFA")["Resource"],
        "arn:aws:iam::123456789012:user/${aws:username}"
    );
    let small: serde_json::Value =
        serde_json::from_str(&ok(&run(&mut t.mfa(&["policy", "--self-manage-only"])))).unwrap();
    assert!(
        small["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["Effect"] == "Allow")
    );
    assert!(
        small
            .to_string()
            .contains("arn:aws:iam::*:mfa/${aws:username}")
    );
    fails(
        &run(&mut t.mfa(&["policy", "--account-id", "12"])),
        3,
        "is not a 12-digit AWS account id",
    );
}

#[test]
fn add_finds_the_mfa_serial_itself_and_enroll_can_show_a_qr_code() {
    let (t, key_id) = user_profile("adddiscover");
    t.write_config_raw("# mine\n");
    // No device yet: the keys are stored and the user is told to enroll.
    let add = || {
        run(&mut mfa(
            &t,
            &[
                "add",
                "adddiscover",
                "--from-profile",
                "adddiscover-lt",
                "--keep-plaintext",
            ],
        ))
    };
    let out = add();
    ok(&out);
    assert!(
        stderr(&out)
            .contains("has no TOTP MFA device yet: run `mfa-session enroll adddiscover` next"),
        "{}",
        stderr(&out)
    );
    let out = run(mfa(&t, &["enroll", "adddiscover", "--show-qr"])
        .env("MFA_SESSION_TEST_NOW", at(late_in_a_step())));
    let shown = ok(&out);
    assert!(
        shown.contains("otpauth://totp/") && shown.contains('█'),
        "{shown}"
    );
    assert_eq!(sts_calls(&key_id), 1);
    // Set up again from scratch: the device is found with iam:ListMFADevices.
    t.write_config_raw("# mine\n");
    let out = add();
    ok(&out);
    assert!(
        stderr(&out).contains("found MFA device arn:aws:iam::123456789012:mfa/adddiscover"),
        "{}",
        stderr(&out)
    );
    let config = std::fs::read_to_string(t.config_path()).unwrap();
    assert!(
        config.starts_with("# mine\n\n[profile adddiscover]\n"),
        "{config}"
    );
    assert!(
        config.contains("mfa_serial = arn:aws:iam::123456789012:mfa/adddiscover\n"),
        "{config}"
    );
}

#[test]
fn iam_refusals_name_the_permission_and_the_statement_that_grants_it() {
    let (t, key_id) = user_profile("enrolldenied");
    configure(&key_id, json!({"deny_iam": ["CreateVirtualMFADevice"]}));
    let out = run(&mut mfa(&t, &["enroll", "enrolldenied"]));
    fails(&out, 5, "AWS denied iam:CreateVirtualMFADevice");
    assert!(
        stderr(&out).contains("statement AllowManageOwnVirtualMFADevice of `mfa-session policy`")
    );
    // A device name already taken in the account.
    let (t2, _) = user_profile("enrolltaken");
    ok(&run(mfa(
        &t2,
        &["enroll", "enrolltaken", "--device-name", "shared-name"],
    )
    .env("MFA_SESSION_TEST_NOW", at(late_in_a_step()))));
    configure(&key_id, json!({}));
    let out = run(&mut mfa(
        &t,
        &["enroll", "enrolldenied", "--device-name", "shared-name"],
    ));
    fails(&out, 3, "a virtual MFA device of that name already exists");
    fails(
        &run(&mut mfa(&t, &["code", "enrolldenied"])),
        3,
        "no TOTP seed stored",
    );
}
