//! `doctor` against the emulator: a healthy set-up passes every check; each planted problem is
//! caught by its check, in one line with the fix, and makes doctor exit 3.

mod common;
use common::*;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};

/// A profile `work` whose keys belong to IAM user `name` with an enabled virtual MFA device.
fn healthy(name: &str) -> TestEnv {
    let t = TestEnv::new(name);
    let (id, secret) = iam_user(name);
    t.write_credentials(&format!(
        "[work-lt]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"
    ));
    enable_device(name, &t.serial);
    t
}

fn doctor(t: &TestEnv, args: &[&str]) -> Command {
    let mut all = vec!["doctor"];
    all.extend_from_slice(args);
    let mut cmd = t.mfa(&all);
    cmd.env("DBUS_SESSION_BUS_ADDRESS", bus());
    cmd
}

fn lines(out: &Output) -> Vec<String> {
    stdout(out).lines().map(str::to_owned).collect()
}

/// The one line of `status` about `subject` that contains `want`.
fn has(out: &Output, status: &str, subject: &str, want: &str) {
    let found = lines(out)
        .iter()
        .any(|l| l.starts_with(&format!("{status}  {subject}: ")) && l.contains(want));
    assert!(
        found,
        "no {status} line for {subject} with {want:?}:\n{}",
        stdout(out)
    );
}

#[test]
fn a_healthy_setup_passes_every_check() {
    let t = healthy("doctorok");
    let out = run(&mut doctor(&t, &[]));
    let text = ok(&out);
    assert!(lines(&out).iter().all(|l| l.starts_with("ok  ")), "{text}");
    has(&out, "ok  ", "install", "side by side");
    has(&out, "ok  ", "files", "parse");
    has(&out, "ok  ", "profile work", "credential_process runs");
    has(
        &out,
        "ok  ",
        "profile work",
        "keys in [work-lt] of the AWS files",
    );
    has(
        &out,
        "ok  ",
        "profile work",
        "is IAM user doctorok's, and a TOTP one",
    );
    has(&out, "ok  ", "profile work", "codes typed at the terminal");
    has(&out, "ok  ", "clock", "of AWS's");
    has(
        &out,
        "ok  ",
        "files",
        "mfa-session's own files are yours and private",
    );
    assert_no_secret(&text);
    // The same as JSON.
    let js: serde_json::Value =
        serde_json::from_str(&ok(&run(&mut doctor(&t, &["--json"])))).unwrap();
    assert!(
        js.as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] == "ok" && c["subject"].is_string())
    );
    // No code was asked and no session made: doctor only reads.
    assert_eq!(sts_calls(&t.key_id), 0);
}

#[test]
fn each_planted_problem_is_caught_by_its_check_with_the_fix() {
    let t = healthy("doctorbad");
    let (other_id, other_secret) = iam_user("doctorbad2");
    t.write_credentials(&format!(
        "{}[bad-lt]\naws_access_key_id = AKIADOCTORBADKEY0000\naws_secret_access_key = {LONG_TERM_SECRET}\n\
         [static]\naws_access_key_id = {other_id}\naws_secret_access_key = {other_secret}\n",
        std::fs::read_to_string(t.home().join(".aws/credentials")).unwrap()
    ));
    configure("AKIADOCTORBADKEY0000", serde_json::json!({"invalid": true}));
    // Static keys beside credential_process; credential_process pointing at nothing and
    // asking for another profile; keys AWS does not know; a device not the user's; a standard
    // role profile with mfa_serial (the AWS CLI would ask a second code).
    let serial = &t.serial;
    t.write_config(&[
        format!("[profile static]\ncredential_process = {BIN} credential-process --profile static\nmfa_serial = {serial}\nmfa_session_source_profile = work-lt\n"),
        format!("[profile gone]\ncredential_process = /nonexistent/mfa-session credential-process --profile work\nmfa_serial = {serial}\nmfa_session_source_profile = work-lt\n"),
        format!("[profile badkeys]\nmfa_serial = {serial}\nmfa_session_source_profile = bad-lt\n"),
        "[profile otherdevice]\nmfa_serial = arn:aws:iam::123456789012:mfa/someone-else\nmfa_session_source_profile = work-lt\n".to_owned(),
        format!("[profile ops]\nrole_arn = arn:aws:iam::123456789012:role/ops\nsource_profile = work\nmfa_serial = {serial}\n"),
    ].concat());
    // A cache file open to others.
    ok(&run(&mut t.with_tty(
        &["123456"],
        BIN,
        &["credential-process", "-p", "work"],
    )));
    std::fs::set_permissions(t.cache_file(), std::fs::Permissions::from_mode(0o644)).unwrap();
    // A clock two minutes ahead of AWS's; keys in the environment.
    let skewed = at(unix_now() + 120);
    let out = run(doctor(&t, &[])
        .env("MFA_SESSION_TEST_NOW", &skewed)
        .env("AWS_ACCESS_KEY_ID", "AKIAFROMTHEENV000000"));
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.starts_with("mfa-session: error: doctor: "), "{err}");
    has(
        &out,
        "warn",
        "environment",
        "AWS_ACCESS_KEY_ID is set: AWS calls without --profile use it",
    );
    has(
        &out,
        "FAIL",
        "profile static",
        "has static keys (aws_access_key_id, in [profile static] of the config file or [static] of the credentials file) beside credential_process",
    );
    has(
        &out,
        "FAIL",
        "profile gone",
        "asks for profile 'work': make it --profile gone",
    );
    has(
        &out,
        "FAIL",
        "profile gone",
        "/nonexistent/mfa-session, which is not found or does not run",
    );
    has(&out, "FAIL", "profile badkeys", "do not work");
    has(&out, "FAIL", "profile badkeys", "(InvalidClientTokenId)");
    has(
        &out,
        "FAIL",
        "profile otherdevice",
        "is not one of IAM user doctorbad's MFA devices",
    );
    has(
        &out,
        "FAIL",
        "profile ops",
        "remove mfa_serial from this role profile",
    );
    has(
        &out,
        "FAIL",
        "clock",
        "ahead of AWS's: TOTP codes fail beyond about 30 s",
    );
    has(&out, "FAIL", "files", "open to others or not yours");
    has(
        &out,
        "ok  ",
        "profile work",
        "keys in [work-lt] of the AWS files",
    );
    let text = stdout(&out);
    let skew: i64 = text
        .split("this clock is ")
        .nth(1)
        .and_then(|r| r.split('s').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_default();
    assert!((115..=125).contains(&skew), "{text}");
    assert_no_secret(&text);
    assert!(!text.contains(&other_secret));
    // -p checks one profile; with no Secret Service, keys in the file and no seed wanted, the
    // codes are typed: healthy, as a real call finds it (issue 21).
    let mut cmd = t.mfa(&["doctor", "work"]);
    let out = run(&mut cmd);
    has(&out, "ok  ", "profile work", "codes typed at the terminal");
    assert!(!stdout(&out).contains("no OS keyring is reachable"));
    assert!(!stdout(&out).contains("profile static"));
}

#[test]
fn a_lone_full_binary_is_caught() {
    let t = healthy("doctorlone");
    let dir = t.tmp.path().join("bin");
    std::fs::create_dir(&dir).unwrap();
    let full = std::path::Path::new(BIN).with_file_name("mfa-session-full");
    std::fs::copy(&full, dir.join("mfa-session-full")).unwrap();
    let mut cmd = t.no_tty(&dir.join("mfa-session-full").to_string_lossy(), &["doctor"]);
    cmd.env("DBUS_SESSION_BUS_ADDRESS", bus());
    let out = run(&mut cmd);
    assert_eq!(out.status.code(), Some(3));
    has(
        &out,
        "FAIL",
        "install",
        "is not beside mfa-session-full: install both",
    );
}

#[test]
fn programs_doctor_runs_never_see_the_passphrase_and_a_line_without_profile_fails() {
    let t = healthy("doctorenv");
    let bin = t.tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let fake = bin.join("mfa-session");
    let environ = t.tmp.path().join("version.environ");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\ntr '\\0' '\\n' < /proc/$$/environ > '{}'\necho 'mfa-session 0.0.1'\n",
            environ.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    t.write_config_raw(&format!(
        "[profile work]\ncredential_process = {} credential-process\nmfa_serial = {}\nmfa_session_source_profile = work-lt\nregion = eu-west-1\n",
        fake.display(),
        t.serial
    ));
    let pass_file = t.tmp.path().join("pass");
    std::fs::write(&pass_file, "file-passphrase\n").unwrap();
    std::fs::set_permissions(&pass_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = run(doctor(&t, &["-p", "work"])
        .env("MFA_SESSION_PASSPHRASE", "sentinel-passphrase")
        .env("MFA_SESSION_PASSPHRASE_FILE", &pass_file));
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    has(&out, "FAIL", "profile work", "names no profile");
    has(&out, "FAIL", "profile work", "add --profile work");
    let seen = std::fs::read_to_string(&environ).expect("doctor ran the program's --version");
    assert!(seen.contains("HOME="), "{seen}");
    assert!(
        !seen.contains("sentinel-passphrase") && !seen.contains("MFA_SESSION_PASSPHRASE"),
        "{seen}"
    );
}
