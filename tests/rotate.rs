//! `rotate` against the emulator, whose layer refuses deleted keys and (when asked) new keys for
//! a while, as AWS does: the key is replaced where it lived, the old one is deleted, the cached
//! session goes on; two keys are refused; and a kill at each step is finished by the next run.

mod common;
use common::*;
use std::process::{Command, Output};

/// Profile `name` with the keys of its own IAM user, kept in the credentials file
/// (`[NAME-lt]`) or, with `keyring`, in the Secret Service; a session cached (one typed code).
fn set_up(name: &str, keyring: bool) -> TestEnv {
    let t = user_env(name);
    if keyring {
        t.write_config_raw(&format!("[profile {name}]\nregion = eu-west-1\n"));
        let lt = format!("{name}-lt");
        ok(&run(&mut with_bus(t.mfa(&[
            "add",
            name,
            "--from-profile",
            &lt,
            "--keep-plaintext",
            "--mfa-serial",
            &t.serial,
        ]))));
    } else {
        t.write_config_raw(&format!(
            "[profile {name}]\ncredential_process = {BIN} credential-process --profile {name}\n\
             mfa_serial = {}\nmfa_session_source_profile = {name}-lt\nregion = eu-west-1\n",
            t.serial
        ));
    }
    let mut warm = t.with_tty(&["123456"], BIN, &["credential-process", "-p", name]);
    ok(&run(with_bus_ref(&mut warm)));
    t
}

/// A test world whose `[NAME-lt]` holds the keys of IAM user NAME of the emulator.
fn user_env(name: &str) -> TestEnv {
    let t = TestEnv::new(name);
    let (id, secret) = iam_user(name);
    t.write_credentials(&format!(
        "[{name}-lt]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"
    ));
    t
}

fn with_bus(mut cmd: Command) -> Command {
    cmd.env("DBUS_SESSION_BUS_ADDRESS", bus());
    cmd
}

fn with_bus_ref(cmd: &mut Command) -> &mut Command {
    cmd.env("DBUS_SESSION_BUS_ADDRESS", bus())
}

fn mfa(t: &TestEnv, args: &[&str]) -> Output {
    run(&mut with_bus(t.mfa(args)))
}

/// The user's access key ids, as IAM lists them.
fn iam_keys(t: &TestEnv, user: &str) -> Vec<String> {
    let mut cmd = t.no_tty(
        python(),
        &[
            "-m",
            "awscli",
            "iam",
            "list-access-keys",
            "--user-name",
            user,
            "--output",
            "json",
            "--region",
            "us-east-1",
        ],
    );
    cmd.env("AWS_ACCESS_KEY_ID", "AKIAHARNESSLISTKEYS0")
        .env("AWS_SECRET_ACCESS_KEY", "x");
    let v: serde_json::Value = serde_json::from_str(&ok(&run(&mut cmd))).unwrap();
    v["AccessKeyMetadata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["AccessKeyId"].as_str().unwrap().to_owned())
        .collect()
}

/// The key id the profile's keys are stored under now (credentials file or config).
fn stored_id(t: &TestEnv) -> String {
    let text = format!(
        "{}{}",
        std::fs::read_to_string(t.home().join(".aws/credentials")).unwrap(),
        std::fs::read_to_string(t.config_path()).unwrap()
    );
    let key = if text.contains("mfa_session_access_key_id") {
        "mfa_session_access_key_id = "
    } else {
        "aws_access_key_id = "
    };
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .unwrap()
        .to_owned()
}

/// After a finished rotation: one key in IAM, the stored one, which works (doctor), and the
/// session still served from the cache with no new code.
fn finished(t: &TestEnv, name: &str, old: &str) {
    let new = stored_id(t);
    assert_ne!(new, old);
    assert_eq!(iam_keys(t, name), vec![new.clone()]);
    let doctor = mfa(t, &["doctor", "-p", name]);
    let report = stdout(&doctor);
    assert!(
        report.contains(&format!("(****{}) work", &new[new.len() - 4..])),
        "{report}"
    );
    parse_process_output(&ok(&mfa(t, &["credential-process", "-p", name])));
    assert_eq!(sts_calls(old), 1, "no new exchange: the session went on");
    assert_eq!(sts_calls(&new), 0);
}

#[test]
fn rotate_replaces_the_key_where_it_lived_and_the_session_goes_on() {
    let name = "rotfile";
    let t = set_up(name, false);
    let old = stored_id(&t);
    // IAM takes a while to know the new key: rotate waits for it.
    configure(name, serde_json::json!({"new_key_delay_ms": 2500}));
    let out = mfa(&t, &["rotate", "-p", name]);
    ok(&out);
    let err = stderr(&out);
    assert!(
        err.contains("rotated the key of profile 'rotfile'"),
        "{err}"
    );
    assert!(err.contains("the backup holds the old key"), "{err}");
    assert_no_secret(&err);
    // Neither secret is ever said: the new one is in the credentials file, the old in the backup.
    let creds = std::fs::read_to_string(t.home().join(".aws/credentials")).unwrap();
    let new_secret = creds
        .lines()
        .find_map(|l| l.strip_prefix("aws_secret_access_key = "))
        .unwrap();
    assert!(!err.contains(new_secret) && !stdout(&out).contains(new_secret));
    finished(&t, name, &old);
    // The old key is refused by AWS now.
    let mut cmd = t.no_tty(python(), &aws_identity_args("default"));
    cmd.env("AWS_ACCESS_KEY_ID", &old)
        .env("AWS_SECRET_ACCESS_KEY", "x");
    assert!(!run(&mut cmd).status.success());
    // A fresh key is left alone with --older-than.
    let out = mfa(&t, &["rotate", "-p", name, "--older-than", "90d"]);
    ok(&out);
    assert!(
        stderr(&out).contains("not older than asked: nothing to do"),
        "{}",
        stderr(&out)
    );
    assert_eq!(iam_keys(&t, name).len(), 1);
    // `list` shows the key's age.
    let list = ok(&mfa(&t, &["list"]));
    assert!(list.lines().next().unwrap().contains("KEY AGE"), "{list}");
    let row: Vec<&str> = list.lines().nth(1).unwrap().split_whitespace().collect();
    assert!(
        row[4].ends_with('s') && row[4].trim_end_matches('s').parse::<u32>().is_ok(),
        "a key made seconds ago: {list}"
    );
}

#[test]
fn two_keys_are_refused_before_anything_changes() {
    let name = "rottwo";
    let t = set_up(name, false);
    let mut cmd = t.no_tty(
        python(),
        &[
            "-m",
            "awscli",
            "iam",
            "create-access-key",
            "--user-name",
            name,
            "--region",
            "us-east-1",
        ],
    );
    cmd.env("AWS_ACCESS_KEY_ID", "AKIAHARNESSLISTKEYS0")
        .env("AWS_SECRET_ACCESS_KEY", "x");
    ok(&run(&mut cmd));
    let before = std::fs::read_to_string(t.home().join(".aws/credentials")).unwrap();
    let out = mfa(&t, &["rotate", "-p", name]);
    fails(&out, 3, "already has two access keys");
    assert!(stderr(&out).contains("nothing was changed"));
    assert_eq!(
        std::fs::read_to_string(t.home().join(".aws/credentials")).unwrap(),
        before
    );
    assert_eq!(iam_keys(&t, name).len(), 2);
}

#[test]
fn rotate_keeps_keyring_keys_in_the_keyring() {
    let name = "rotkeyring";
    let t = set_up(name, true);
    let old = stored_id(&t);
    ok(&mfa(&t, &["rotate", "-p", name]));
    finished(&t, name, &old);
    let config = std::fs::read_to_string(t.config_path()).unwrap();
    assert!(!config.contains("aws_secret_access_key"), "{config}");
}

fn harness_iam(t: &TestEnv, args: &[&str]) -> String {
    let mut all = vec!["-m", "awscli", "iam"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--region", "us-east-1", "--output", "json"]);
    let mut cmd = t.no_tty(python(), &all);
    cmd.env("AWS_ACCESS_KEY_ID", "AKIAHARNESSLISTKEYS0")
        .env("AWS_SECRET_ACCESS_KEY", "x");
    ok(&run(&mut cmd))
}

fn delete_key(t: &TestEnv, user: &str, id: &str) {
    harness_iam(
        t,
        &[
            "delete-access-key",
            "--user-name",
            user,
            "--access-key-id",
            id,
        ],
    );
}

/// A key somebody else made after a rotate was cut off (a CI key, days later) is never taken
/// for rotate's own and deleted.
#[test]
fn a_key_rotate_did_not_make_is_never_deleted() {
    let name = "rotforeign";
    let t = set_up(name, false);
    let old = stored_id(&t);
    let killed =
        run(with_bus(t.mfa(&["rotate", "-p", name])).env("MFA_SESSION_FAILPOINT", "journal"));
    assert_eq!(killed.status.code(), None, "{}", stderr(&killed));
    let made = harness_iam(&t, &["create-access-key", "--user-name", name]);
    let ci: serde_json::Value = serde_json::from_str(&made).unwrap();
    let ci = ci["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned();
    let before = std::fs::read_to_string(t.home().join(".aws/credentials")).unwrap();
    let out = mfa(&t, &["rotate", "-p", name]);
    fails(&out, 3, "before it could note the key's id");
    assert!(stderr(&out).contains(&ci), "{}", stderr(&out));
    let mut keys = iam_keys(&t, name);
    keys.sort();
    let mut want = vec![old.clone(), ci.clone()];
    want.sort();
    assert_eq!(keys, want, "both keys kept");
    assert_eq!(
        std::fs::read_to_string(t.home().join(".aws/credentials")).unwrap(),
        before
    );
}

/// A key that other profiles use too is not deleted under them: a keyring profile holding it is
/// named and nothing changes; sections of the AWS files holding it (`[default]`) get the new key.
#[test]
fn a_key_other_profiles_use_is_not_rotated_away_from_them() {
    let name = "rotshared";
    let t = set_up(name, false);
    let creds = std::fs::read_to_string(t.home().join(".aws/credentials")).unwrap();
    let shared = format!(
        "{creds}[default]\n{}",
        creds.lines().skip(1).collect::<Vec<_>>().join("\n") + "\n"
    );
    t.write_credentials(&shared);
    let config = std::fs::read_to_string(t.config_path()).unwrap();
    let old = stored_id(&t);
    t.write_config_raw(&format!(
        "{config}[profile ci]\nmfa_session_access_key_id = {old}\nmfa_serial = {}\n",
        t.serial
    ));
    let out = mfa(&t, &["rotate", "-p", name]);
    fails(&out, 3, "is also used by profile 'ci'");
    assert!(stderr(&out).contains("nothing was changed"));
    assert_eq!(iam_keys(&t, name), vec![old.clone()]);
    assert_eq!(
        std::fs::read_to_string(t.home().join(".aws/credentials")).unwrap(),
        shared
    );
    t.write_config_raw(&config);
    let out = mfa(&t, &["rotate", "-p", name]);
    ok(&out);
    assert!(
        stderr(&out).contains("the new key is in [default]"),
        "{}",
        stderr(&out)
    );
    let creds = std::fs::read_to_string(t.home().join(".aws/credentials")).unwrap();
    let ids: Vec<&str> = creds
        .lines()
        .filter_map(|l| l.strip_prefix("aws_access_key_id = "))
        .collect();
    let new = stored_id(&t);
    assert_eq!(ids, [new.as_str(), new.as_str()], "{}", creds.len());
    assert_eq!(iam_keys(&t, name), vec![new]);
}

/// Killed at each step, then run again: the job is finished, one working key is stored, the
/// session goes on.
#[test]
fn a_rotate_killed_at_any_step_is_finished_by_the_next_run() {
    let steps = [
        ("journal", true),
        ("created", true),
        ("noted", false),
        ("stored-secret", true),
        ("stored", false),
        ("works", true),
        ("deleted", false),
    ];
    for (i, (step, keyring)) in steps.into_iter().enumerate() {
        let name = format!("rotkill{i}");
        let t = set_up(&name, keyring);
        let old = stored_id(&t);
        let killed =
            run(with_bus(t.mfa(&["rotate", "-p", &name])).env("MFA_SESSION_FAILPOINT", step));
        assert_eq!(
            killed.status.code(),
            None,
            "{step}: killed: {}",
            stderr(&killed)
        );
        // Meanwhile every AWS call still gets credentials, with no new code.
        parse_process_output(&ok(&mfa(&t, &["credential-process", "-p", &name])));
        if step == "created" {
            // Killed before the journal named the new key: rotate cannot know the key is its
            // own, so it deletes nothing and names the keys; the user deletes it, as told.
            let before = iam_keys(&t, &name);
            let out = mfa(&t, &["rotate", "-p", &name]);
            fails(&out, 3, "before it could note the key's id");
            assert!(stderr(&out).contains("nothing was changed"));
            assert_eq!(iam_keys(&t, &name), before, "no key deleted");
            let orphan = before.iter().find(|k| **k != old).unwrap();
            assert!(stderr(&out).contains(orphan.as_str()), "{}", stderr(&out));
            delete_key(&t, &name, orphan);
        }
        let out = mfa(&t, &["rotate", "-p", &name]);
        assert!(
            out.status.success(),
            "{step}: the next run finishes: {}",
            stderr(&out)
        );
        finished(&t, &name, &old);
        eprintln!("{step}: finished by the next run");
    }
}

#[test]
fn rotate_keeps_encrypted_file_keys_in_the_encrypted_file() {
    let name = "rotagefile";
    let t = user_env(name);
    t.write_config_raw(&format!("[profile {name}]\nregion = eu-west-1\n"));
    let file = t.tmp.path().join("data/secrets.age");
    let backend = |cmd: Command| encrypted_file(cmd, &file, "correct horse");
    let lt = format!("{name}-lt");
    ok(&run(&mut backend(t.mfa(&[
        "add",
        name,
        "--from-profile",
        &lt,
        "--keep-plaintext",
        "--mfa-serial",
        &t.serial,
    ]))));
    ok(&run(&mut backend(t.with_tty(
        &["123456"],
        BIN,
        &["credential-process", "-p", name],
    ))));
    let old = stored_id(&t);
    let before = std::fs::read(&file).unwrap();
    let out = run(&mut backend(t.mfa(&["rotate", "-p", name])));
    ok(&out);
    assert!(
        stderr(&out).contains("(in the encrypted secrets file)"),
        "{}",
        stderr(&out)
    );
    assert_ne!(
        std::fs::read(&file).unwrap(),
        before,
        "the file was rewritten"
    );
    let new = stored_id(&t);
    assert_ne!(new, old);
    assert_eq!(iam_keys(&t, name), vec![new.clone()]);
    let doctor = run(&mut backend(t.mfa(&["doctor", "-p", name])));
    assert!(
        stdout(&doctor).contains(&format!(
            "keys in the encrypted secrets file (****{}) work",
            &new[new.len() - 4..]
        )),
        "{}",
        stdout(&doctor)
    );
    parse_process_output(&ok(&run(&mut backend(t.mfa(&[
        "credential-process",
        "-p",
        name,
    ])))));
    assert_eq!(sts_calls(&old), 1);
}
