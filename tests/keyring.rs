//! Keys and TOTP seeds in the real OS keyring (Secret Service: gnome-keyring on a private D-Bus
//! session, started by .ci/test), MFA codes without typing, and `add` editing the config file.

mod common;
use common::*;
use serde_json::json;
use std::process::Command;

const SEED: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

fn keyring(mut cmd: Command) -> Command {
    cmd.env("DBUS_SESSION_BUS_ADDRESS", bus());
    cmd
}

fn oathtool_at(t: i64) -> String {
    let out = Command::new("oathtool")
        .args(["--totp", "-b", SEED, "--now", &format!("@{t}")])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn add_imports_keys_edits_the_config_in_place_and_the_aws_cli_needs_no_terminal() {
    let t = TestEnv::new("kradd");
    let config = "# my config\n[default]\nregion = us-east-1\n\n[profile kradd]\n# mine\nregion = eu-west-1\noutput = json\n\n[profile other]\nregion = x\n";
    t.write_config_raw(config);
    let creds = format!(
        "[kradd-lt]\naws_access_key_id = {}\naws_secret_access_key = {LONG_TERM_SECRET}\n\n[keep]\naws_access_key_id = AKIAKEEP00000000\n",
        t.key_id
    );
    t.write_credentials(&creds);
    let add = run(&mut keyring(t.mfa(&[
        "add",
        "kradd",
        "--from-profile",
        "kradd-lt",
        "--mfa-serial",
        &t.serial,
        "--remove-plaintext",
    ])));
    ok(&add);
    assert_no_secret(&stderr(&add));
    let edited = std::fs::read_to_string(t.config_path()).unwrap();
    assert_eq!(
        edited,
        format!(
            "# my config\n[default]\nregion = us-east-1\n\n[profile kradd]\n# mine\nregion = eu-west-1\noutput = json\ncredential_process = {BIN} credential-process --profile kradd\nmfa_serial = {}\nmfa_session_access_key_id = {}\n\n[profile other]\nregion = x\n",
            t.serial, t.key_id
        )
    );
    assert_eq!(
        std::fs::read_to_string(t.home().join(".aws/credentials")).unwrap(),
        "[keep]\naws_access_key_id = AKIAKEEP00000000\n"
    );
    let backup = std::fs::read_dir(t.home().join(".aws"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("credentials.bak-"))
        .expect("backup");
    assert_eq!(std::fs::read_to_string(backup).unwrap(), creds);
    assert!(!edited.contains(LONG_TERM_SECRET));

    ok(&with_stdin(
        keyring(t.mfa(&["seed", "set", "kradd"])),
        &format!("{SEED}\n"),
    ));
    let args = aws_identity_args("kradd");
    let out = run(&mut keyring(t.no_tty(python(), &args)));
    let id: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(id["Account"], "123456789012");
    assert_eq!(sts_calls(&t.key_id), 1);

    let list: serde_json::Value =
        serde_json::from_str(&ok(&run(&mut keyring(t.mfa(&["list", "--json"]))))).unwrap();
    assert_eq!(list[0]["profile"], "kradd");
    assert_eq!(list[0]["seed"], "keyring");
    assert_eq!(list[0]["code_source"], "seed");
    // Without the keyring (no Secret Service), `status` (the same table) still shows the
    // session, then says the keyring holding this profile's keys cannot be reached (exit 8).
    let out = run(&mut t.mfa(&["status", "--json"]));
    assert_eq!(out.status.code(), Some(8), "{}", stderr(&out));
    let status: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(status[0]["state"], "valid", "{status}");
    assert!(
        list[0]["keys"]
            .as_str()
            .unwrap()
            .starts_with("keyring (****")
    );

    ok(&run(&mut keyring(t.mfa(&["remove", "kradd", "--yes"]))));
    ok(&run(&mut t.mfa(&["clear", "--all"])));
    let gone = run(&mut keyring(t.mfa(&["credential-process", "-p", "kradd"])));
    fails(
        &gone,
        3,
        "holds no keys for it: run `mfa-session add kradd`",
    );
}

#[test]
fn a_generated_code_is_never_sent_twice_the_second_exchange_waits_for_the_next_step() {
    let t = TestEnv::new("krreuse");
    t.write_config_raw(&format!(
        "[profile krreuse]\nmfa_serial = {}\nmfa_session_source_profile = work-lt\n",
        t.serial
    ));
    ok(&with_stdin(
        keyring(t.mfa(&["seed", "set", "krreuse"])),
        &format!("otpauth://totp/AWS:x?secret={SEED}&issuer=AWS\n"),
    ));
    let now = late_in_a_step();
    let code = ok(&run(
        keyring(t.mfa(&["code", "krreuse"])).env("MFA_SESSION_TEST_NOW", at(now))
    ));
    assert_eq!(code, format!("{} (1s left)\n", oathtool_at(now)));
    let first = run(keyring(t.mfa(&["credential-process", "-p", "krreuse"]))
        .env("MFA_SESSION_TEST_NOW", at(now)));
    parse_process_output(&ok(&first));
    ok(&run(&mut t.mfa(&["clear", "--all"])));
    let start = std::time::Instant::now();
    let second = run(keyring(t.mfa(&["credential-process", "-p", "krreuse"]))
        .env("MFA_SESSION_TEST_NOW", at(now)));
    parse_process_output(&ok(&second));
    assert!(
        stderr(&second).contains("was already used: waiting 1s for the next one"),
        "{}",
        stderr(&second)
    );
    assert!(start.elapsed().as_millis() >= 900);
    // The emulator refuses a reused code, so two successes mean two different codes.
    assert_eq!(sts_calls(&t.key_id), 2);
}

#[test]
fn a_rejected_generated_code_points_at_the_clock() {
    let t = TestEnv::new("krskew");
    t.write_config_raw(&format!(
        "[profile krskew]\nmfa_serial = {}\nmfa_session_source_profile = work-lt\n",
        t.serial
    ));
    ok(&with_stdin(
        keyring(t.mfa(&["seed", "set", "krskew"])),
        SEED,
    ));
    let now = late_in_a_step() - 20;
    configure(&t.key_id, json!({"wrong_codes": [oathtool_at(now)]}));
    let out = run(keyring(t.mfa(&["credential-process", "-p", "krskew"]))
        .env("MFA_SESSION_TEST_NOW", at(now)));
    fails(&out, 4, "this clock may be off by more than about 30 s");
}

#[test]
fn mfa_process_is_a_code_source_with_clear_failures() {
    let t = TestEnv::new("krprocess");
    let profile = |process: &str| {
        t.write_config_raw(&format!(
            "[profile krprocess]\nmfa_serial = {}\nmfa_session_source_profile = work-lt\nmfa_process = {process}\n",
            t.serial
        ));
    };
    let cases = [
        (
            "echo not-a-code",
            "mfa_process (echo) did not print a 6-digit code",
        ),
        ("exit 3", "mfa_process (exit) failed (exit status: 3)"),
        ("sleep 20", "mfa_process (sleep) gave no code within 1s"),
    ];
    for (process, want) in cases {
        profile(process);
        let start = std::time::Instant::now();
        let out = run(t
            .mfa(&["credential-process", "-p", "krprocess"])
            .env("MFA_SESSION_PROCESS_TIMEOUT", "1"));
        fails(&out, 4, want);
        assert!(start.elapsed().as_secs() < 10);
    }
    profile(&format!("{BIN} credential-process -p krprocess"));
    let out = run(&mut t.mfa(&["credential-process", "-p", "krprocess"]));
    assert!(
        stderr(&out).contains("started by an mfa_process command, which would loop"),
        "{}",
        stderr(&out)
    );
    assert_eq!(out.status.code(), Some(4));
    profile("printf 654321");
    parse_process_output(&ok(&run(&mut t.mfa(&[
        "credential-process",
        "-p",
        "krprocess",
    ]))));
    assert_eq!(sts_calls(&t.key_id), 1);
}

#[test]
fn a_missing_keyring_fails_at_once_naming_the_fix() {
    let t = TestEnv::new("krmissing");
    let mut cmd = t.mfa(&["seed", "set", "krmissing"]);
    cmd.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    let out = with_stdin(cmd, SEED);
    fails(&out, 8, "no OS keyring is reachable");
    t.write_config_raw(&format!(
        "[profile krmissing]\nmfa_serial = {}\nmfa_session_access_key_id = {}\n",
        t.serial, t.key_id
    ));
    let out = run(t
        .mfa(&["credential-process", "-p", "krmissing"])
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus"));
    fails(&out, 8, "no OS keyring is reachable");
}

#[test]
fn bad_seeds_and_bad_keys_are_refused_before_anything_is_stored() {
    let t = TestEnv::new("krbad");
    for (input, want) in [
        ("not base32!", "not base32"),
        ("JBSWY3DP", "too short"),
        (
            "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
            "otpauth:// URI is for HOTP (counter-based codes), not TOTP",
        ),
    ] {
        fails(
            &with_stdin(keyring(t.mfa(&["seed", "set", "krbad"])), input),
            3,
            want,
        );
    }
    fails(
        &run(&mut keyring(t.mfa(&["code", "krbad"]))),
        3,
        "no TOTP seed stored for profile 'krbad'",
    );
    t.write_credentials("[tmp]\naws_access_key_id = ASIATEMPORARY0001\naws_secret_access_key = 0123456789abcdef0123\n");
    let out = run(&mut keyring(t.mfa(&[
        "add",
        "krbad",
        "--from-profile",
        "tmp",
        "--mfa-serial",
        &t.serial,
    ])));
    fails(&out, 3, "that is a temporary access key");
    let out = run(&mut keyring(t.mfa(&[
        "add",
        "krbad",
        "--mfa-serial",
        &t.serial,
    ])));
    fails(&out, 3, "no terminal to type the keys on");
    // Nothing reached the keyring: `remove` (which deletes there) finds no keys and no seed.
    let removed = run(&mut keyring(t.mfa(&["remove", "krbad", "--yes"])));
    ok(&removed);
    assert!(
        stderr(&removed).contains("'krbad': no keys, no seed"),
        "{}",
        stderr(&removed)
    );
}

#[test]
fn the_encrypted_file_backend_holds_typed_keys_and_a_seed_where_no_keyring_is() {
    let t = TestEnv::new("krfile");
    let file = t.tmp.path().join("data/secrets.age");
    let backend = |cmd: Command, pass: &str| {
        let mut cmd = encrypted_file(cmd, &file, pass);
        cmd.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
        cmd
    };
    t.write_config_raw("[profile krfile]\nregion = eu-west-1\n");
    let add = t.with_tty_at(
        &["for profile krfile: "],
        &[&t.key_id, LONG_TERM_SECRET],
        BIN,
        &["add", "krfile", "--mfa-serial", &t.serial],
    );
    ok(&run(&mut backend(add, "correct horse")));
    assert!(
        t.tty_log()
            .contains("Secret access key for profile krfile: "),
        "{}",
        t.tty_log()
    );
    assert!(!t.tty_log().contains(LONG_TERM_SECRET), "typed hidden");
    ok(&with_stdin(
        backend(t.mfa(&["seed", "set", "krfile"]), "correct horse"),
        SEED,
    ));
    let raw = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
    assert!(!raw.contains(SEED) && !raw.contains(LONG_TERM_SECRET) && !raw.contains(&t.key_id));
    let out = run(&mut backend(
        t.mfa(&["credential-process", "-p", "krfile"]),
        "correct horse",
    ));
    parse_process_output(&ok(&out));
    assert_eq!(sts_calls(&t.key_id), 1);
    // `list` names the store that holds them, in columns that line up.
    let list = ok(&run(&mut backend(t.mfa(&["list"]), "correct horse")));
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(
        lines[1].starts_with("krfile   valid    11h59m  seed       -        encrypted file (****"),
        "{list}"
    );
    assert_eq!(lines[0].find("KEYS"), lines[1].find("encrypted file (****"));
    ok(&run(&mut t.mfa(&["clear", "--all"])));
    let out = run(&mut backend(
        t.mfa(&["credential-process", "-p", "krfile"]),
        "wrong",
    ));
    fails(&out, 8, "the passphrase does not open");
}

#[test]
fn mfa_code_source_forces_one_source_and_seeds_come_from_a_file_too() {
    let t = TestEnv::new("krforce");
    let seed_file = t.tmp.path().join("seed.txt");
    std::fs::write(&seed_file, format!("{SEED}\n")).unwrap();
    ok(&run(&mut keyring(t.mfa(&[
        "seed",
        "set",
        "krforce",
        "--from-file",
        seed_file.to_str().unwrap(),
    ]))));
    let base = format!(
        "[profile krforce]\nmfa_serial = {}\nmfa_session_source_profile = work-lt\n",
        t.serial
    );
    // Forced to the prompt: the stored seed is not used, so with no terminal it fails.
    t.write_config_raw(&format!("{base}mfa_code_source = prompt\n"));
    fails(
        &run(&mut keyring(t.mfa(&[
            "credential-process",
            "-p",
            "krforce",
        ]))),
        4,
        "no terminal to ask for the MFA code",
    );
    // Forced to mfa_process without one.
    t.write_config_raw(&format!("{base}mfa_code_source = process\n"));
    fails(
        &run(&mut keyring(t.mfa(&[
            "credential-process",
            "-p",
            "krforce",
        ]))),
        3,
        "has mfa_code_source = process but no mfa_process",
    );
    // Forced to the seed after it is removed.
    ok(&run(&mut keyring(t.mfa(&["seed", "remove", "krforce"]))));
    t.write_config_raw(&format!("{base}mfa_code_source = seed\n"));
    fails(
        &run(&mut keyring(t.mfa(&[
            "credential-process",
            "-p",
            "krforce",
        ]))),
        4,
        "has mfa_code_source = seed but no seed is stored",
    );
    assert_eq!(sts_calls(&t.key_id), 0);
}

#[test]
fn a_locked_keyring_fails_at_once_naming_the_fix() {
    // A Secret Service of its own, unlocked and then locked, so the shared one stays open.
    let t = TestEnv::new("krlocked");
    let err_file = t.tmp.path().join("stderr");
    let (data, runtime) = (t.tmp.path().join("data"), t.tmp.path().join("run"));
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(&runtime).unwrap();
    let script = format!(
        "printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
         dbus-send --session --dest=org.freedesktop.secrets --type=method_call --print-reply \
           /org/freedesktop/secrets org.freedesktop.Secret.Service.Lock \
           array:objpath:/org/freedesktop/secrets/collection/login >/dev/null
         printf {SEED} | '{BIN}' seed set krlocked 2>'{}'; echo $?",
        err_file.display()
    );
    let mut cmd = t.no_tty("dbus-run-session", &["--", "sh", "-c", &script]);
    cmd.env("XDG_DATA_HOME", &data)
        .env("XDG_RUNTIME_DIR", &runtime);
    let start = std::time::Instant::now();
    let out = run(&mut cmd);
    assert_eq!(stdout(&out).trim(), "8", "{}", stderr(&out));
    let err = std::fs::read_to_string(&err_file).unwrap();
    assert!(
        err.starts_with("mfa-session: error: the OS keyring is locked: unlock it"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
    assert!(start.elapsed().as_secs() < 15);
}
