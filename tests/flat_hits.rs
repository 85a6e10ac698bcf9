//! Issue 14: a cache hit skips the AWS files (cost independent of their size) only while it
//! can prove nothing it skipped has changed. Each change that could alter what the profile
//! resolves to sends the call through the full resolution; these tests make each one and check
//! the old session is not served for new settings.

mod common;
use common::*;
use std::process::Command;

/// Files written by the test count as settled (older than the 2 s rule) for a clock 60 s ahead.
fn later() -> String {
    at(unix_now() + 60)
}

fn call(t: &TestEnv, now: &str, extra: &[(&str, &str)]) -> std::process::Output {
    let mut cmd: Command = t.mfa(&["credential-process", "-p", "work"]);
    cmd.env("MFA_SESSION_TEST_NOW", now);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

fn index(t: &TestEnv, profile: &str) -> serde_json::Value {
    let text =
        std::fs::read_to_string(t.cache_dir().join(format!("profiles/{profile}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Rewrites `path` with `text` (same length) and puts its modification time back to the
/// nanosecond: only the change time (and the content) differ.
fn edit_keeping_size_and_mtime(path: &std::path::Path, text: &str) {
    let before = std::fs::metadata(path).unwrap();
    assert_eq!(before.len() as usize, text.len(), "same size");
    std::fs::write(path, text).unwrap();
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(before.modified().unwrap())
        .unwrap();
    assert_eq!(
        std::fs::metadata(path).unwrap().modified().unwrap(),
        before.modified().unwrap()
    );
}

fn warm(t: &TestEnv, now: &str, code: &str) -> serde_json::Value {
    let mut cmd = t.with_tty(&[code], BIN, &["credential-process", "-p", "work"]);
    cmd.env("MFA_SESSION_TEST_NOW", now);
    parse_process_output(&ok(&run(&mut cmd)))
}

#[test]
fn a_settled_profile_records_what_it_resolved_to_and_hits_while_nothing_changed() {
    let t = TestEnv::new("flatrecord");
    // Files written this instant are not trusted yet: no fingerprint.
    let fresh = at(unix_now());
    warm(&t, &fresh, "123456");
    assert!(
        index(&t, "work").get("Hit").is_none(),
        "{}",
        index(&t, "work")
    );
    let now = later();
    let first = parse_process_output(&ok(&call(&t, &now, &[])));
    let hit = index(&t, "work")["Hit"].clone();
    assert_eq!(hit["MfaSerial"], t.serial.as_str());
    assert_eq!(hit["DurationSeconds"], 43200);
    let again = parse_process_output(&ok(&call(&t, &now, &[])));
    assert_eq!(first["SessionToken"], again["SessionToken"]);
    assert_eq!(sts_calls(&t.key_id), 1);
}

#[test]
fn every_change_that_could_matter_goes_through_the_full_resolution() {
    let t = TestEnv::new("flatchanges");
    let now = later();
    let creds = warm(&t, &now, "123456");
    assert!(index(&t, "work").get("Hit").is_some());
    let config = std::fs::read_to_string(t.config_path()).unwrap();
    let other_serial = t.serial.replace("flatchanges", "flatchangez");
    let edited = config.replace(&t.serial, &other_serial);
    let not_served = |out: std::process::Output, what: &str| {
        assert_ne!(
            out.status.code(),
            Some(0),
            "{what}: the old session was served"
        );
        assert!(
            stderr(&out).contains("no terminal"),
            "{what}: {}",
            stderr(&out)
        );
        assert!(
            !stdout(&out).contains(creds["SessionToken"].as_str().unwrap()),
            "{what}"
        );
    };

    // 1. The config edited in place, same size, same modification time to the nanosecond.
    edit_keeping_size_and_mtime(&t.config_path(), &edited);
    not_served(call(&t, &now, &[]), "edit keeping size and mtime");
    edit_keeping_size_and_mtime(&t.config_path(), &config);
    ok(&call(&t, &now, &[]));

    // 2. The config replaced by another file (rename over it), same size.
    let replacement = t.home().join(".aws/config.new");
    std::fs::write(&replacement, &edited).unwrap();
    std::fs::rename(&replacement, t.config_path()).unwrap();
    not_served(call(&t, &now, &[]), "file replaced");
    std::fs::write(t.config_path(), &config).unwrap();
    ok(&call(&t, &now, &[]));

    // 3. AWS_CONFIG_FILE pointing elsewhere.
    let elsewhere = t.tmp.path().join("other-config");
    std::fs::write(&elsewhere, &edited).unwrap();
    not_served(
        call(
            &t,
            &now,
            &[("AWS_CONFIG_FILE", elsewhere.to_str().unwrap())],
        ),
        "AWS_CONFIG_FILE",
    );

    // 4. AWS_SHARED_CREDENTIALS_FILE pointing at other keys.
    let creds_elsewhere = t.tmp.path().join("other-credentials");
    std::fs::write(
        &creds_elsewhere,
        format!("[work-lt]\naws_access_key_id = AKIAOTHER0000000000\naws_secret_access_key = {LONG_TERM_SECRET}\n"),
    )
    .unwrap();
    not_served(
        call(
            &t,
            &now,
            &[(
                "AWS_SHARED_CREDENTIALS_FILE",
                creds_elsewhere.to_str().unwrap(),
            )],
        ),
        "AWS_SHARED_CREDENTIALS_FILE",
    );

    // 5. The credentials file edited in place (another key of the same length), mtime kept.
    let cred_path = t.home().join(".aws/credentials");
    let cred_text = std::fs::read_to_string(&cred_path).unwrap();
    let other_key = format!("AKIA{}", "Z".repeat(t.key_id.len() - 4));
    edit_keeping_size_and_mtime(&cred_path, &cred_text.replace(&t.key_id, &other_key));
    not_served(call(&t, &now, &[]), "credentials edited");
    edit_keeping_size_and_mtime(&cred_path, &cred_text);

    // 6. A region from the environment: resolved again, and the session (region-free) still served.
    let out = call(&t, &now, &[("AWS_REGION", "ap-south-1")]);
    assert_eq!(
        parse_process_output(&ok(&out))["SessionToken"],
        creds["SessionToken"]
    );

    // 7. AWS_PROFILE naming another profile: never this profile's index.
    std::fs::write(
        t.config_path(),
        format!("{config}[profile other]\nmfa_serial = {other_serial}\nmfa_session_source_profile = work-lt\n"),
    )
    .unwrap();
    let mut cmd = t.mfa(&["credential-process"]);
    cmd.env("MFA_SESSION_TEST_NOW", &now)
        .env("AWS_PROFILE", "other");
    not_served(run(&mut cmd), "AWS_PROFILE");
    assert_eq!(
        sts_calls(&t.key_id),
        1,
        "only the first exchange reached STS"
    );
}

#[test]
fn a_profile_whose_keys_left_the_keyring_is_not_served_from_its_index() {
    let t = TestEnv::new("flatkeyring");
    t.write_config_raw(&format!(
        "[profile work]\nmfa_serial = {}\nmfa_session_access_key_id = {}\n",
        t.serial, t.key_id
    ));
    let mut add = t.mfa(&[
        "add",
        "work",
        "--from-profile",
        "work-lt",
        "--keep-plaintext",
    ]);
    add.env("DBUS_SESSION_BUS_ADDRESS", bus());
    ok(&run(&mut add));
    let now = later();
    let mut cmd = t.with_tty(&["123456"], BIN, &["credential-process", "-p", "work"]);
    cmd.env("MFA_SESSION_TEST_NOW", &now)
        .env("DBUS_SESSION_BUS_ADDRESS", bus());
    ok(&run(&mut cmd));
    assert!(index(&t, "work").get("Hit").is_some());
    let mut remove = t.mfa(&["remove", "work", "--yes"]);
    remove.env("DBUS_SESSION_BUS_ADDRESS", bus());
    ok(&run(&mut remove));
    let mut again = t.mfa(&["credential-process", "-p", "work"]);
    again
        .env("MFA_SESSION_TEST_NOW", &now)
        .env("DBUS_SESSION_BUS_ADDRESS", bus());
    fails(&run(&mut again), 3, "holds no keys for it");
}
