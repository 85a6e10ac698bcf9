//! MFA device kinds and code steps: FIDO security keys (which GetSessionToken cannot use) are
//! refused and skipped, several TOTP devices are asked about, hardware token serials work, and
//! every code source honours the record of the last time step AWS accepted.

mod common;
use common::*;
use std::process::Command;

/// A profile `name` whose long-term keys belong to an IAM user of its own in the emulator.
fn user_profile(name: &str) -> TestEnv {
    let t = TestEnv::new(name);
    let (id, secret) = iam_user(name);
    t.write_credentials(&format!(
        "[{name}-lt]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"
    ));
    t.write_config_raw("# mine\n");
    t
}

fn add(t: &TestEnv, name: &str) -> Command {
    let lt = format!("{name}-lt");
    let mut cmd = t.mfa(&["add", name, "--from-profile", &lt, "--keep-plaintext"]);
    cmd.env("DBUS_SESSION_BUS_ADDRESS", bus());
    cmd
}

#[test]
fn add_skips_fido_keys_and_asks_which_of_several_totp_devices() {
    let name = "devkinds";
    let t = user_profile(name);
    let fido = format!("arn:aws:iam::123456789012:u2f/user/{name}/fido-ABCDEFGHIJKLMNOP");
    enable_device(name, &fido);
    // Only a FIDO key: skipped and said; the user is sent to enroll a TOTP device.
    let out = run(&mut add(&t, name));
    ok(&out);
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "skipping FIDO security key {fido}: GetSessionToken takes only TOTP codes"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "has no TOTP MFA device yet: run `mfa-session enroll {name}` next"
        )),
        "{err}"
    );
    assert!(
        !std::fs::read_to_string(t.config_path())
            .unwrap()
            .contains("u2f")
    );

    // Two TOTP devices (a virtual one and a hardware token) beside the FIDO key.
    let virt = format!("arn:aws:iam::123456789012:mfa/{name}");
    enable_device(name, &virt);
    enable_device(name, "GAHT12345678");
    t.write_config_raw("# mine\n");
    // No terminal to ask on: one line naming both, nothing stored or written.
    let out = run(&mut add(&t, name));
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("mfa-session: error: IAM user devkinds has 2 TOTP MFA devices ("),
        "{err}"
    );
    assert!(
        last.contains(&virt) && last.contains("GAHT12345678") && !last.contains("u2f"),
        "{err}"
    );
    assert!(err.contains("pick one with --mfa-serial"), "{err}");
    assert_eq!(
        std::fs::read_to_string(t.config_path()).unwrap(),
        "# mine\n"
    );
    // On a terminal: asked, and the answer is the device written.
    let lt = format!("{name}-lt");
    let mut cmd = Command::new(python());
    cmd.arg(harness("pty_run.py"))
        .args(["--tty-log", &t.tmp.path().join("tty.log").to_string_lossy()])
        .args(["--trigger", "Which one?", "--answer", "2", "--"])
        .args([BIN, "add", name, "--from-profile", &lt, "--keep-plaintext"])
        .args(["--region", "eu-west-1"]);
    t.apply_env(&mut cmd);
    cmd.env("DBUS_SESSION_BUS_ADDRESS", bus());
    let out = run(&mut cmd);
    ok(&out);
    let log = t.tty_log();
    assert!(log.contains("has 2 TOTP MFA devices"), "{log}");
    let config = std::fs::read_to_string(t.config_path()).unwrap();
    let second = log
        .lines()
        .find_map(|l| l.trim().strip_prefix("2) "))
        .unwrap_or_else(|| panic!("{log}"))
        .to_owned();
    assert!(
        config.contains(&format!("mfa_serial = {second}\n")),
        "{config}"
    );
    // A hardware token's serial is a serial GetSessionToken takes: the profile works.
    t.write_config_raw(&format!(
        "[profile {name}]\nmfa_serial = GAHT12345678\nmfa_session_source_profile = {lt}\n"
    ));
    let out = run(&mut t.with_tty(&["112233"], BIN, &["credential-process", "-p", name]));
    let v = parse_process_output(&ok(&out));
    assert!(
        v.get("AccountId").is_none(),
        "no account in a hardware serial"
    );
}

#[test]
fn a_fido_serial_is_refused_before_any_code_is_asked() {
    let t = TestEnv::new("devfido");
    t.write_config_raw(&format!(
        "[profile work]\ncredential_process = {BIN} credential-process --profile work\n\
         mfa_serial = arn:aws:iam::123456789012:u2f/user/alice/fido-ABCDEFGHIJ\n\
         mfa_session_source_profile = work-lt\n"
    ));
    let out = run(&mut t.with_tty(&["123456"], BIN, &["credential-process", "-p", "work"]));
    fails(
        &out,
        3,
        "is a FIDO security key, which GetSessionToken cannot use",
    );
    assert!(!t.tty_log().contains("MFA code for"), "{}", t.tty_log());
    assert_eq!(sts_calls(&t.key_id), 0);
}

/// A typed code's step is recorded like a generated one's: an `mfa_process` asked in the same
/// 30 s step (a YubiKey would print the very code just used) waits for the next step first,
/// and says so; on a terminal it also says that it runs the command.
#[test]
fn mfa_process_waits_for_a_step_not_yet_used_and_says_it_runs() {
    let t = TestEnv::new("devsteps");
    let now = late_in_a_step();
    let out = run(t
        .with_tty(&["123456"], BIN, &["credential-process", "-p", "work"])
        .env("MFA_SESSION_TEST_NOW", at(now)));
    ok(&out);
    ok(&run(&mut t.mfa(&["clear", "-p", "work"])));
    t.write_config("mfa_process = printf 234567\n");
    let start = std::time::Instant::now();
    let out = run(t
        .with_tty(&[], BIN, &["credential-process", "-p", "work"])
        .env("MFA_SESSION_TEST_NOW", at(now)));
    ok(&out);
    let log = t.tty_log();
    assert!(
        log.contains(&format!(
            "the current code for {} was already used: waiting 1s for the next one",
            t.serial
        )),
        "{log}"
    );
    assert!(
        log.contains("running mfa_process for profile 'work' (printf)"),
        "{log}"
    );
    assert!(start.elapsed().as_millis() >= 900, "it waited");
    assert_eq!(sts_calls(&t.key_id), 2);
}
