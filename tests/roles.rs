//! Role profiles on an MFA session (issue 11): one typed code for the session, then every role
//! assumed from it without another, cached like sessions; both config forms; chains with the
//! one-hour cap; each refusal in one line. AssumeRole's MFA rules are the emulator layer's
//! (tests/harness/emulator.py): long-term keys are refused, the trust policy's MFA condition is
//! evaluated against the caller, chaining is capped at an hour.

mod common;
use common::*;

fn cached_role(name: &str, arn: &str, source: &str, extra: &str) -> String {
    format!(
        "[profile {name}]\ncredential_process = {BIN} credential-process --profile {name}\nmfa_session_role_arn = {arn}\nmfa_session_role_source = {source}\n{extra}"
    )
}

#[test]
fn one_code_then_the_aws_cli_and_boto3_assume_the_role_from_the_cache() {
    let t = TestEnv::new("rolecached");
    let arn = create_role("rolecached-admin", true, 3600);
    t.write_config(&cached_role("admin", &arn, "work", "region = eu-west-1\n"));
    let out = run(&mut t.with_tty(&["123456"], python(), &aws_identity_args("admin")));
    let id: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert!(
        id["Arn"]
            .as_str()
            .unwrap()
            .contains(":assumed-role/rolecached-admin/mfa-session-admin"),
        "{id}"
    );
    assert_eq!(t.tty_log().matches("MFA code for").count(), 1);
    // boto3, in a process of its own and with no terminal: from mfa-session's cache.
    let script = "import boto3; print(boto3.Session(profile_name='admin').client('sts').get_caller_identity()['Arn'])";
    let out = run(&mut t.no_tty(python(), &["-c", script]));
    assert!(
        ok(&out).contains(":assumed-role/rolecached-admin/"),
        "{}",
        stderr(&out)
    );
    assert_eq!(sts_calls(&t.key_id), 1);
    assert_eq!(
        assume_calls(&arn),
        1,
        "the role came from the cache the second time"
    );
    // The front serves the role's cache hit, and the prompt shows the role profile.
    let hit = parse_process_output(&ok(&run(&mut t.mfa(&[
        "credential-process",
        "-p",
        "admin",
    ]))));
    assert_ne!(
        hit["AccessKeyId"], "AKIAIOSFODNN7EXAMPLE",
        "role credentials, not the session's"
    );
    assert_eq!(hit["AccountId"], "123456789012");
    let prompt = ok(&run(
        &mut t.mfa(&["prompt", "-p", "admin", "--color", "never"])
    ));
    assert!(prompt.starts_with("admin "), "{prompt}");
}

#[test]
fn the_standard_form_works_in_the_aws_cli_and_in_every_mfa_session_command() {
    let t = TestEnv::new("rolestd");
    let arn = create_role("rolestd-ops", true, 3600);
    t.write_config(&format!(
        "[profile std]\nrole_arn = {arn}\nsource_profile = work\nregion = eu-west-1\n"
    ));
    ok(&run(&mut t.with_tty(
        &["123456"],
        BIN,
        &["credential-process", "-p", "work"],
    )));
    // The AWS CLI chains the role onto work's credential_process itself: no code asked.
    let out = run(&mut t.no_tty(python(), &aws_identity_args("std")));
    assert!(
        ok(&out).contains(":assumed-role/rolestd-ops/"),
        "{}",
        stderr(&out)
    );
    let script = "import boto3; print(boto3.Session(profile_name='std').client('sts').get_caller_identity()['Arn'])";
    let out = run(&mut t.no_tty(python(), &["-c", script]));
    assert!(
        ok(&out).contains(":assumed-role/rolestd-ops/"),
        "boto3: {}",
        stderr(&out)
    );
    // mfa-session's own commands take -p std and use its cached role credentials.
    let script = format!(
        "'{}' -m awscli sts get-caller-identity --output text --query Arn",
        python()
    );
    let out = run(&mut t.mfa(&["exec", "-p", "std", "--", "sh", "-c", &script]));
    assert!(
        ok(&out).contains(":assumed-role/rolestd-ops/mfa-session-std"),
        "{}",
        stderr(&out)
    );
    let env = ok(&run(&mut t.mfa(&["env", "-p", "std", "--format", "json"])));
    let env: serde_json::Value = serde_json::from_str(&env).unwrap();
    assert_eq!(env["MFA_SESSION_PROFILE"], "std");
    assert_ne!(env["AWS_ACCESS_KEY_ID"], "AKIAIOSFODNN7EXAMPLE");
    let status: serde_json::Value =
        serde_json::from_str(&ok(&run(&mut t.mfa(&["status", "--json"])))).unwrap();
    let row = status
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["profile"] == "std")
        .unwrap()
        .clone();
    assert_eq!(row["state"], "valid", "{status}");
    let cleared = run(&mut t.mfa(&["clear", "-p", "std"]));
    assert!(
        stderr(&cleared).contains("cleared 1 cached session"),
        "{}",
        stderr(&cleared)
    );
    assert_eq!(
        sts_calls(&t.key_id),
        1,
        "the MFA session was never asked for again"
    );
}

#[test]
fn thirty_two_cold_callers_of_a_role_make_one_prompt_one_session_and_one_assume_role() {
    let t = TestEnv::new("role32");
    let arn = create_role("role32-admin", true, 3600);
    t.write_config(&cached_role("admin", &arn, "work", ""));
    configure(&t.key_id, serde_json::json!({"delay_ms": 300}));
    let outdir = t.tmp.path().join("out");
    std::fs::create_dir(&outdir).unwrap();
    let script = format!(
        "for i in $(seq 32); do '{BIN}' credential-process -p admin > '{}'/$i & done; wait",
        outdir.display()
    );
    ok(&run(&mut t.with_tty(&["123456"], "sh", &["-c", &script])));
    assert_eq!(
        t.tty_log().matches("MFA code for").count(),
        1,
        "{}",
        t.tty_log()
    );
    assert_eq!(sts_calls(&t.key_id), 1);
    assert_eq!(assume_calls(&arn), 1);
    let first = std::fs::read_to_string(outdir.join("1")).unwrap();
    for i in 1..=32 {
        assert_eq!(
            std::fs::read_to_string(outdir.join(i.to_string())).unwrap(),
            first,
            "caller {i}"
        );
    }
}

#[test]
fn a_role_assumed_from_a_role_is_capped_at_one_hour() {
    let t = TestEnv::new("rolechain");
    let admin = create_role("rolechain-admin", true, 43200);
    let other = create_role("rolechain-other", true, 43200);
    t.write_config(&format!(
        "{}{}",
        cached_role("admin", &admin, "work", "duration_seconds = 7200\n"),
        cached_role("other", &other, "admin", "duration_seconds = 7200\n")
    ));
    let out = run(&mut t.with_tty(&["123456"], BIN, &["credential-process", "-p", "other"]));
    let creds = parse_process_output(&ok(&out));
    let exp = chrono::DateTime::parse_from_rfc3339(creds["Expiration"].as_str().unwrap()).unwrap();
    let left = exp.timestamp() - unix_now();
    assert!((3000..=3600).contains(&left), "capped at an hour: {left}s");
    let admin_creds = parse_process_output(&ok(&run(&mut t.mfa(&[
        "credential-process",
        "-p",
        "admin",
    ]))));
    let exp =
        chrono::DateTime::parse_from_rfc3339(admin_creds["Expiration"].as_str().unwrap()).unwrap();
    assert!(
        exp.timestamp() - unix_now() > 3600,
        "the first role keeps its two hours"
    );
    assert_eq!((assume_calls(&admin), assume_calls(&other)), (1, 1));
}

#[test]
fn each_role_refusal_is_one_line_with_its_exit_code() {
    let t = TestEnv::new("rolerefused");
    let short = create_role("rolerefused-short", true, 3600);
    let unknown = "arn:aws:iam::123456789012:role/rolerefused-nobody";
    t.write_config(&format!(
        "{}{}[profile bad]\nmfa_session_role_arn = arn:aws:iam::123456789012:user/x\nmfa_session_role_source = work\n\
         [profile twice]\nrole_arn = {short}\nsource_profile = work\nmfa_serial = {}\n\
         [profile loop1]\nrole_arn = {short}\nsource_profile = loop2\n[profile loop2]\nrole_arn = {short}\nsource_profile = loop1\n",
        cached_role("long", &short, "work", "duration_seconds = 7200\n"),
        cached_role("denied", unknown, "work", ""),
        t.serial
    ));
    ok(&run(&mut t.with_tty(
        &["123456"],
        BIN,
        &["credential-process", "-p", "work"],
    )));
    let cases: &[(&str, i32, &str)] = &[
        (
            "long",
            3,
            "exceeds the MaxSessionDuration set for this role.",
        ),
        (
            "denied",
            5,
            "AWS refused to let 'work' assume arn:aws:iam::123456789012:role/rolerefused-nobody",
        ),
        ("bad", 3, "is not an IAM role's ARN"),
        ("twice", 3, "already carries MFA"),
        ("loop1", 3, "go round in a circle (loop1 -> loop2 -> loop1)"),
    ];
    for (profile, code, want) in cases {
        let out = run(&mut t.mfa(&["credential-process", "-p", profile]));
        fails(&out, *code, want);
        assert_no_secret(&stderr(&out));
    }
}

#[test]
fn long_term_keys_cannot_assume_the_role_and_role_add_writes_the_cached_form() {
    let t = TestEnv::new("roleadd");
    let arn = create_role("roleadd-admin", true, 3600);
    // Under Force_MFA the long-term keys alone are denied AssumeRole (the emulator layer).
    let script = format!(
        "import boto3; boto3.Session(profile_name='work-lt', region_name='us-east-1').client('sts').assume_role(RoleArn='{arn}', RoleSessionName='probe')"
    );
    let out = run(&mut t.no_tty(python(), &["-c", &script]));
    assert!(
        !out.status.success() && stderr(&out).contains("AccessDenied"),
        "{}",
        stderr(&out)
    );
    let before = std::fs::read_to_string(t.config_path()).unwrap();
    let add = run(&mut t.mfa(&[
        "role",
        "add",
        "admin",
        "--role-arn",
        &arn,
        "--from",
        "work",
        "--external-id",
        "ext-1",
    ]));
    ok(&add);
    let after = std::fs::read_to_string(t.config_path()).unwrap();
    assert!(after.starts_with(&before), "the rest of the file is kept");
    assert!(
        after.contains(&format!(
            "mfa_session_role_arn = {arn}\nmfa_session_role_source = work\nexternal_id = ext-1\n"
        )),
        "{after}"
    );
    let out = run(&mut t.with_tty(&["123456"], python(), &aws_identity_args("admin")));
    assert!(
        ok(&out).contains(":assumed-role/roleadd-admin/"),
        "{}",
        stderr(&out)
    );
    fails(
        &run(&mut t.mfa(&[
            "role",
            "add",
            "x",
            "--role-arn",
            "arn:aws:iam::1:role/x",
            "--from",
            "work",
        ])),
        3,
        "is not an IAM role's ARN",
    );
}

#[test]
fn clearing_a_session_clears_the_roles_assumed_with_it() {
    let t = TestEnv::new("roleclear");
    let arn = create_role("roleclear-admin", true, 3600);
    t.write_config(&cached_role("admin", &arn, "work", "region = eu-west-1\n"));
    let first = parse_process_output(&ok(&run(&mut t.with_tty(
        &["123456"],
        BIN,
        &["credential-process", "-p", "admin"],
    ))));
    assert_eq!(assume_calls(&arn), 1);
    let out = run(&mut t.mfa(&["clear", "-p", "work"]));
    ok(&out);
    assert!(
        stderr(&out).contains("cleared 2 cached sessions"),
        "{}",
        stderr(&out)
    );
    // Nothing assumed with the cleared session is served: without a terminal, no code, no role.
    let out = run(&mut t.no_tty(BIN, &["credential-process", "-p", "admin"]));
    fails(&out, 4, "no terminal");
    let again = parse_process_output(&ok(&run(&mut t.with_tty(
        &["654321"],
        BIN,
        &["credential-process", "-p", "admin"],
    ))));
    assert_ne!(first["AccessKeyId"], again["AccessKeyId"]);
    assert_eq!(assume_calls(&arn), 2);
}
