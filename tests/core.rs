//! The core commands run as a user runs them: the real binary, a pseudo-terminal for the MFA
//! prompt, and STS from the local emulator (moto behind our proxy).

mod common;
use common::*;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;

/// Starts a session with code `code` typed at the prompt; returns the credential_process JSON.
fn warm(t: &TestEnv, code: &str) -> serde_json::Value {
    let out = run(&mut t.with_tty(&[code], BIN, &["credential-process", "-p", "work"]));
    parse_process_output(&ok(&out))
}

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn cold_call_prompts_on_the_terminal_then_the_cache_serves_without_one() {
    let t = TestEnv::new("cold_then_cached");
    let first = warm(&t, "123456");
    assert_eq!(first["AccountId"], "123456789012");
    let tty = t.tty_log();
    assert!(
        tty.contains(&format!("MFA code for {} (profile work, ", t.serial)),
        "{tty}"
    );
    assert!(
        tty.contains("s left): "),
        "the prompt says how long the user has: {tty}"
    );
    assert_eq!(sts_calls(&t.key_id), 1);
    // No terminal at all now: only the cache can answer.
    let second = ok(&run(&mut t.mfa(&[
        "credential-process",
        "--profile",
        "work",
    ])));
    assert_eq!(parse_process_output(&second), first);
    assert_eq!(sts_calls(&t.key_id), 1, "a cache hit makes no STS call");
    assert_eq!(mode(&t.cache_dir()), 0o700);
    assert_eq!(mode(&t.cache_dir().join("sessions")), 0o700);
    assert_eq!(mode(&t.cache_file()), 0o600);
}

#[test]
fn the_refresh_margin_is_honoured_with_an_injected_clock() {
    let t = TestEnv::new("margin");
    let exp = warm(&t, "123456")["Expiration"]
        .as_str()
        .unwrap()
        .to_owned();
    let exp = chrono::DateTime::parse_from_rfc3339(&exp).unwrap();
    let at = |mins: i64| (exp - chrono::TimeDelta::minutes(mins)).to_rfc3339();
    // 21 minutes before expiry: served from the cache.
    let hit = run(t
        .mfa(&["credential-process", "-p", "work"])
        .env("MFA_SESSION_TEST_NOW", at(21)));
    parse_process_output(&ok(&hit));
    // 19 minutes before: inside the margin, so a new session is due, but there is no terminal
    // for a code (an IDE, cron): the session still works, so it is served, said once (issue 21).
    let first_hit = ok(&hit);
    for (i, mins) in [19, 15].into_iter().enumerate() {
        let served = run(t
            .mfa(&["credential-process", "-p", "work"])
            .env("MFA_SESSION_TEST_NOW", at(mins)));
        assert_eq!(ok(&served), first_hit);
        let warned = stderr(&served).contains("due for renewal but no MFA code can be had here");
        assert_eq!(
            warned,
            i == 0,
            "warned once, not on every call: {}",
            stderr(&served)
        );
    }
    // 10 minutes before: too close to expiry for botocore; the code is needed.
    let miss = run(t
        .mfa(&["credential-process", "-p", "work"])
        .env("MFA_SESSION_TEST_NOW", at(10)));
    fails(
        &miss,
        4,
        "no terminal to ask for the MFA code of profile 'work'",
    );
    assert_eq!(sts_calls(&t.key_id), 1);
    let renewed = run(t
        .with_tty(&["234567"], BIN, &["credential-process", "-p", "work"])
        .env("MFA_SESSION_TEST_NOW", at(19)));
    parse_process_output(&ok(&renewed));
    assert_eq!(sts_calls(&t.key_id), 2);
}

#[test]
fn a_corrupt_truncated_or_binary_cache_file_is_ignored_and_said_not_a_crash() {
    let t = TestEnv::new("corrupt");
    warm(&t, "123456");
    let file = t.cache_file();
    let full = std::fs::read(&file).unwrap();
    for (bad, why) in [
        (&full[..full.len() / 2], "corrupt (eof)"),
        (b"\x00\xff garbage", "corrupt (syntax)"),
        (b"", "corrupt (eof)"),
    ] {
        std::fs::write(&file, bad).unwrap();
        let out = run(&mut t.mfa(&["credential-process", "-p", "work"]));
        assert_eq!(out.status.code(), Some(4));
        let err = stderr(&out);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{err}");
        assert!(
            lines[0].starts_with("mfa-session: warning: cached session ignored: cache file ")
                && lines[0].contains(&*file.to_string_lossy())
                && lines[0].contains(why),
            "{err}"
        );
        assert!(lines[1].contains("no terminal"), "{err}");
    }
    warm(&t, "345678");
    assert_eq!(sts_calls(&t.key_id), 2);
}

#[test]
fn an_open_cache_directory_is_repaired_and_said_so() {
    let t = TestEnv::new("repairdir");
    // A directory mfa-session made (tagged): opened by someone later, repaired on the next write.
    ok(&run(&mut t.with_tty(
        &["123456"],
        BIN,
        &["credential-process", "-p", "work"],
    )));
    assert!(t.cache_dir().join("CACHEDIR.TAG").is_file());
    std::fs::remove_dir_all(t.cache_dir().join("sessions")).unwrap();
    std::fs::set_permissions(t.cache_dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = run(&mut t.with_tty(&["234567"], BIN, &["credential-process", "-p", "work"]));
    ok(&out);
    assert!(
        stderr(&out).contains("repaired to 0700"),
        "{}",
        stderr(&out)
    );
    assert_eq!(mode(&t.cache_dir()), 0o700);
}

#[test]
fn thirty_two_concurrent_cold_callers_make_one_prompt_and_one_sts_call() {
    let t = TestEnv::new("concurrent32");
    configure(&t.key_id, json!({"delay_ms": 300}));
    let outdir = t.tmp.path().join("out");
    std::fs::create_dir(&outdir).unwrap();
    let script = format!(
        "for i in $(seq 32); do '{BIN}' credential-process -p work > '{}'/$i & done; wait",
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
    let first = std::fs::read_to_string(outdir.join("1")).unwrap();
    for i in 1..=32 {
        let out = std::fs::read_to_string(outdir.join(i.to_string())).unwrap();
        parse_process_output(&out);
        assert_eq!(out, first, "caller {i}");
    }
}

#[test]
fn exec_passes_the_session_in_the_environment_and_the_exit_status_back() {
    let t = TestEnv::new("exec");
    let creds = warm(&t, "123456");
    let script = r#"printf '%s\n' "$AWS_ACCESS_KEY_ID" "$AWS_SESSION_TOKEN" "$AWS_CREDENTIAL_EXPIRATION" "$AWS_REGION" "$MFA_SESSION_PROFILE" "${AWS_PROFILE-unset}"; tr '\0' ' ' < /proc/$$/environ; exit 7"#;
    let out = run(t
        .mfa(&["exec", "-p", "work", "--", "sh", "-c", script])
        .env("AWS_PROFILE", "work"));
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], creds["AccessKeyId"]);
    assert_eq!(lines[1], creds["SessionToken"]);
    assert_eq!(lines[2], creds["Expiration"]);
    assert_eq!(lines[3..6], ["eu-west-1", "work", "unset"]);
    // The child's own environment (from /proc) holds the session's secret, never the long-term one.
    let environ = lines[6];
    let secret = creds["SecretAccessKey"].as_str().unwrap();
    assert!(
        environ.contains(&format!("AWS_SECRET_ACCESS_KEY={secret} ")),
        "{environ}"
    );
    assert!(!environ.contains(LONG_TERM_SECRET), "{environ}");
}

#[test]
fn exec_of_a_missing_command_and_a_nested_exec_are_refused() {
    let t = TestEnv::new("execerrors");
    warm(&t, "123456");
    let out = run(&mut t.mfa(&["exec", "-p", "work", "--", "no-such-command-xyz"]));
    fails(&out, 127, "command 'no-such-command-xyz' not found");
    let nested = run(t
        .mfa(&["exec", "-p", "work", "--", "true"])
        .env("MFA_SESSION_PROFILE", "other"));
    fails(
        &nested,
        3,
        "this shell already holds the session of profile 'other'",
    );
    let allowed = run(t
        .mfa(&["exec", "-p", "work", "--nested", "--", "true"])
        .env("MFA_SESSION_PROFILE", "other"));
    ok(&allowed);
}

#[test]
fn env_prints_assignments_a_shell_can_evaluate() {
    let t = TestEnv::new("envfmt");
    let creds = warm(&t, "123456");
    let sh = ok(&run(&mut t.mfa(&["env", "-p", "work"])));
    let check =
        format!("{sh}\nprintf '%s|%s' \"$AWS_SECRET_ACCESS_KEY\" \"${{AWS_PROFILE-unset}}\"");
    let evaluated = ok(&run(t
        .no_tty("sh", &["-c", &check])
        .env("AWS_PROFILE", "x")));
    assert_eq!(
        evaluated,
        format!("{}|unset", creds["SecretAccessKey"].as_str().unwrap())
    );
    let js: serde_json::Value = serde_json::from_str(&ok(&run(
        &mut t.mfa(&["env", "-p", "work", "--format", "json"])
    )))
    .unwrap();
    assert_eq!(js["AWS_SESSION_TOKEN"], creds["SessionToken"]);
    let fish = ok(&run(&mut t.mfa(&["env", "-p", "work", "--format", "fish"])));
    assert!(
        fish.contains("set -gx AWS_ACCESS_KEY_ID 'AKIA") && fish.contains("set -e AWS_PROFILE;")
    );
}

#[test]
fn status_shows_time_left_and_clear_forgets() {
    let t = TestEnv::new("statusclear");
    let status = ok(&run(&mut t.mfa(&["status"])));
    assert!(
        status.contains("work") && status.contains("none"),
        "{status}"
    );
    warm(&t, "123456");
    let status = ok(&run(&mut t.mfa(&["status"])));
    assert!(
        status.contains("valid") && status.contains("11h59m"),
        "{status}"
    );
    let js: serde_json::Value =
        serde_json::from_str(&ok(&run(&mut t.mfa(&["status", "--json"])))).unwrap();
    assert_eq!(js[0]["profile"], "work");
    assert_eq!(js[0]["state"], "valid");
    assert_no_secret(&status);
    let cleared = run(&mut t.mfa(&["clear", "-p", "work"]));
    ok(&cleared);
    assert!(stderr(&cleared).contains("cleared 1 cached session"));
    let miss = run(&mut t.mfa(&["credential-process", "-p", "work"]));
    fails(&miss, 4, "no terminal");
    warm(&t, "234567");
    // A profile sharing work's keys and device shares its session: clearing one says so.
    t.write_config(&format!(
        "[profile work2]\nmfa_serial = {}\nmfa_session_source_profile = work-lt\n",
        t.serial
    ));
    let cleared = run(&mut t.mfa(&["clear", "-p", "work2"]));
    ok(&cleared);
    assert!(
        stderr(&cleared).contains(
            "cleared 1 cached session (shared with 'work', which will ask for a new code too)"
        ),
        "{}",
        stderr(&cleared)
    );
    let cleared = run(&mut t.mfa(&["clear", "--all"]));
    ok(&cleared);
    assert!(stderr(&cleared).contains("cleared no cached sessions"));
    fails(&run(&mut t.mfa(&["clear"])), 3, "(or -p PROFILE) or --all");
}

#[test]
fn config_mistakes_fail_before_any_network_call_with_one_clear_line() {
    let t = TestEnv::new("configerrors");
    let serial = t.serial.clone();
    let base = format!("mfa_serial = {serial}\nmfa_session_source_profile = work-lt\n");
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "profile 'work' is not in the AWS config files"),
        (format!("[profile work]\nmfa_serial = {serial}\n"), "has no long-term keys: run `mfa-session add work`"),
        ("[profile work]\nmfa_session_source_profile = work-lt\n".into(), "has no mfa_serial"),
        (format!("[profile work]\n{base}duration_seconds = abc\n"), "'abc' is not a whole number"),
        (format!("[profile work]\n{base}duration_seconds = 200000\n"), "200000 is out of range"),
        ("[profile work]\nmfa_session_source_profile = work-lt\nmfa_serial = arn:aws:iam::1:mfa/x\n".into(), "is not an IAM MFA device ARN"),
        (format!("[profile work]\nmfa_serial = {serial}\nmfa_session_source_profile = nope\n"), "profile 'nope' (mfa_session_source_profile of 'work') is not in"),
        (format!("[profile work]\nmfa_serial = {serial}\nmfa_session_source_profile = work\n"), "names itself"),
        (format!("[profile work]\nmfa_serial = {serial}\nmfa_session_source_profile = loop\n[profile loop]\ncredential_process = mfa-session credential-process -p loop\n"), "which would loop"),
        ("[profile work\nthis is not ini".into(), "does not parse (line 1"),
    ];
    for (config, want) in cases {
        t.write_config_raw(&config);
        let out = run(&mut t.with_tty(&["123456"], BIN, &["credential-process", "-p", "work"]));
        fails(&out, 3, want);
        assert!(
            !t.tty_log().contains("MFA code"),
            "no prompt for a bad config: {config}"
        );
    }
    t.write_config("");
    t.write_credentials(&format!("[work-lt]\naws_access_key_id = {}\n", t.key_id));
    fails(
        &run(&mut t.mfa(&["credential-process", "-p", "work"])),
        3,
        "has aws_access_key_id but no aws_secret_access_key",
    );
    assert_eq!(sts_calls(&t.key_id), 0);
}

#[test]
fn malformed_codes_are_asked_again_and_never_sent() {
    let t = TestEnv::new("badcodes");
    let out = run(&mut t.with_tty(
        &["12345", "1234567", "12a456"],
        BIN,
        &["credential-process", "-p", "work"],
    ));
    fails(&out, 4, "an MFA code is 6 digits");
    assert_eq!(
        t.tty_log().matches("try again").count(),
        2,
        "{}",
        t.tty_log()
    );
    assert_eq!(sts_calls(&t.key_id), 0);
    let out = run(&mut t.with_tty(
        &["12 34", "654321"],
        BIN,
        &["credential-process", "-p", "work"],
    ));
    parse_process_output(&ok(&out));
}

#[test]
fn no_answer_at_the_prompt_times_out_cleanly() {
    let t = TestEnv::new("prompttimeout");
    let start = std::time::Instant::now();
    let out = run(t
        .with_tty(&[], BIN, &["credential-process", "-p", "work"])
        .env("MFA_SESSION_PROMPT_TIMEOUT", "1"));
    fails(&out, 4, "no MFA code entered within 1s");
    assert!(start.elapsed().as_secs() < 10);
}

#[test]
fn sts_refusals_become_one_line_each() {
    // A wrong code.
    let t = TestEnv::new("wrongcode");
    configure(&t.key_id, json!({"wrong_codes": ["999999"]}));
    let out = run(&mut t.with_tty(&["999999"], BIN, &["credential-process", "-p", "work"]));
    fails(&out, 4, "AWS rejected the MFA code");
    assert!(!stderr(&out).contains("999999"));
    // A code already used: AWS accepts each code once.
    let t = TestEnv::new("reusedcode");
    warm(&t, "424242");
    ok(&run(&mut t.mfa(&["clear", "--all"])));
    let out = run(&mut t.with_tty(&["424242"], BIN, &["credential-process", "-p", "work"]));
    fails(&out, 4, "already used");
    // Keys AWS does not know.
    let t = TestEnv::new("invalidkeys");
    configure(&t.key_id, json!({"invalid": true}));
    let out = run(&mut t.with_tty(&["123456"], BIN, &["credential-process", "-p", "work"]));
    fails(
        &out,
        5,
        "AWS does not know access key ****KEYS of profile 'work-lt'",
    );
    // A duration STS refuses (our own range check is bypassed by no duration: moto's default).
    // Throttling that outlasts the SDK's retries.
    let t = TestEnv::new("throttled");
    configure(&t.key_id, json!({"fault": "throttle"}));
    let out = run(&mut t.with_tty(&["123456"], BIN, &["credential-process", "-p", "work"]));
    fails(&out, 6, "is throttling requests");
    assert_eq!(sts_calls(&t.key_id), 3, "the SDK retried throttling");
}

#[test]
fn an_unreachable_endpoint_fails_fast_with_a_network_hint() {
    let t = TestEnv::new("unreachable");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let start = std::time::Instant::now();
    let out = run(t
        .with_tty(&["123456"], BIN, &["credential-process", "-p", "work"])
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}")));
    fails(&out, 6, "cannot reach STS in eu-west-1");
    assert!(start.elapsed().as_secs() < 20);
}

#[test]
fn no_region_anywhere_uses_the_global_sts_region() {
    let t = TestEnv::new("noregion");
    t.write_config_raw(&format!(
        "[profile work]\nmfa_serial = {}\nmfa_session_source_profile = work-lt\n",
        t.serial
    ));
    let out = run(&mut t.with_tty(
        &["123456"],
        BIN,
        &["-v", "credential-process", "-p", "work"],
    ));
    ok(&out);
    assert!(
        stderr(&out).contains("calling sts:GetSessionToken in us-east-1"),
        "{}",
        stderr(&out)
    );
    assert_no_secret(&stderr(&out));
}

#[test]
fn profile_endpoint_url_and_aws_profile_are_honoured() {
    let t = TestEnv::new("profileendpoint");
    t.write_config(&format!("endpoint_url = {}\n", t.endpoint()));
    let out = run(t
        .with_tty(&["123456"], BIN, &["credential-process"])
        .env_remove("AWS_ENDPOINT_URL")
        .env("AWS_PROFILE", "work"));
    parse_process_output(&ok(&out));
    assert_eq!(sts_calls(&t.key_id), 1);
}

/// The `mfa-session` front answers a cache hit by itself: copied alone into a directory, with no
/// `mfa-session-full` beside it, it still serves `credential-process` and `prompt` from the
/// cache; a miss or any other command needs the full binary and says so in one line.
#[test]
fn the_front_serves_cache_hits_alone_and_hands_everything_else_on() {
    let t = TestEnv::new("front");
    let first = warm(&t, "123456");
    let alone = t.tmp.path().join("alone");
    std::fs::create_dir(&alone).unwrap();
    let front = alone.join("mfa-session");
    std::fs::copy(BIN, &front).unwrap();
    let front = front.to_str().unwrap();
    for args in [
        &["credential-process", "-p", "work"][..],
        &["credential-process", "--profile=work"],
    ] {
        let out = ok(&run(&mut t.no_tty(front, args)));
        assert_eq!(parse_process_output(&out), first, "{args:?}");
    }
    let seg = ok(&run(&mut t.no_tty(
        front,
        &[
            "prompt",
            "-p",
            "work",
            "--format",
            "[{profile}]",
            "--color",
            "never",
        ],
    )));
    assert_eq!(seg, "[work]\n");
    let missing = format!(
        "{} is missing (mfa-session runs it for all but cache hits): install both binaries side by side",
        alone.join("mfa-session-full").display()
    );
    // -v asks for diagnostics: only the full binary gives them.
    fails(
        &run(&mut t.no_tty(front, &["credential-process", "-p", "work", "-v"])),
        3,
        &missing,
    );
    fails(&run(&mut t.no_tty(front, &["status"])), 3, &missing);
    ok(&run(&mut t.mfa(&["clear", "-p", "work"])));
    fails(
        &run(&mut t.no_tty(front, &["credential-process", "-p", "work"])),
        3,
        &missing,
    );
    assert_eq!(sts_calls(&t.key_id), 1);
}

/// What the hit path must not start is not even linked into the front: no tokio runtime, no
/// AWS SDK client or config loader (only aws-config's profile-file parser), no HTTP, no clap.
#[test]
fn the_front_links_no_async_runtime_sdk_or_cli_parser() {
    let symbols = |bin: &str| {
        let out = std::process::Command::new("nm")
            .args(["-C", bin])
            .output()
            .expect("nm (binutils) is installed by .ci/setup");
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let front = symbols(BIN);
    let full = symbols(env!("CARGO_BIN_EXE_mfa-session-full"));
    for forbidden in [
        "tokio::runtime::",
        "aws_sdk_sts::",
        "aws_sdk_iam::",
        "aws_config::loader::",
        "aws_smithy_runtime::",
        "hyper::",
        "rustls::",
        "clap_builder::",
        "keyring_core::",
    ] {
        assert!(
            full.contains(forbidden),
            "the check is real: the full binary has {forbidden}"
        );
        let hits: Vec<&str> = front.lines().filter(|l| l.contains(forbidden)).collect();
        assert!(
            hits.is_empty(),
            "the front links {forbidden}: {:?}",
            &hits[..hits.len().min(5)]
        );
    }
}
