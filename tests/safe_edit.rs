//! Issue 9: nothing the user already has is lost or leaked. Every edit of ~/.aws/* reads
//! strictly, writes through symlinks, keeps what it does not mean to change and says where its
//! backup is; plain-text removal is true; children never see the passphrase; mfa_process has one
//! deadline; mfa-session's own paths are absolute and never chmod a directory it did not make.

mod common;
use common::*;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::Instant;

const SEED: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

fn keyring(mut cmd: Command) -> Command {
    cmd.env("DBUS_SESSION_BUS_ADDRESS", bus());
    cmd
}

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

#[test]
fn a_config_that_is_not_utf8_stops_add_and_enroll_before_anything_changes() {
    let t = TestEnv::new("latin1");
    let config =
        b"# Configuraci\xf3n\n[profile other]\nregion = x\n[profile latin1]\nregion = eu-west-1\n"
            .to_vec();
    std::fs::write(t.config_path(), &config).unwrap();
    let add = run(&mut keyring(t.mfa(&[
        "add",
        "latin1",
        "--from-profile",
        "work-lt",
        "--mfa-serial",
        &t.serial,
        "--keep-plaintext",
    ])));
    fails(&add, 3, "line 1 is not UTF-8 text");
    assert!(stderr(&add).contains(&t.config_path().display().to_string()));
    assert_eq!(std::fs::read(t.config_path()).unwrap(), config);
    // Nothing reached the keyring either: `remove` finds no keys there.
    let removed = ok(&run(&mut keyring(t.mfa(&["remove", "latin1", "--yes"]))));
    let said = stderr(&run(&mut keyring(t.mfa(&["remove", "latin1", "--yes"]))));
    assert!(said.contains("no keys, no seed"), "{removed}{said}");

    // enroll: refused before a device is created (a second, fixed run finds none to refuse).
    let (key, secret) = iam_user("latin1user");
    t.write_credentials(&format!(
        "[lt]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"
    ));
    let bad = b"# Configuraci\xf3n\n[profile latin1]\nmfa_session_source_profile = lt\n".to_vec();
    std::fs::write(t.config_path(), &bad).unwrap();
    let enroll = run(&mut keyring(t.mfa(&["enroll", "latin1"])));
    fails(&enroll, 3, "is not UTF-8 text");
    assert_eq!(std::fs::read(t.config_path()).unwrap(), bad);
    std::fs::write(
        t.config_path(),
        "[profile latin1]\nmfa_session_source_profile = lt\n",
    )
    .unwrap();
    let enroll = run(&mut keyring(t.mfa(&["enroll", "latin1"])));
    ok(&enroll);
    assert!(!stderr(&enroll).contains("already has an MFA device"));
}

#[test]
fn plaintext_removal_takes_the_keys_from_every_file_and_section_through_a_symlink() {
    let t = TestEnv::new("plainall");
    let dotfiles = t.tmp.path().join("dotfiles");
    std::fs::create_dir(&dotfiles).unwrap();
    let real_creds = dotfiles.join("credentials");
    let creds = format!(
        "# keys\n[lt]\naws_access_key_id = {k}\naws_secret_access_key = {LONG_TERM_SECRET}\n\n[keep]\naws_access_key_id = AKIAKEEP00000000\naws_secret_access_key = keepsecretkeepsecret\n[lt]\nregion = eu-west-1\n[copy]\naws_access_key_id = {k}\naws_secret_access_key = {LONG_TERM_SECRET}\n",
        k = t.key_id
    );
    std::fs::write(&real_creds, &creds).unwrap();
    std::fs::set_permissions(&real_creds, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = t.home().join(".aws/credentials");
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(&real_creds, &link).unwrap();
    t.write_config_raw(&format!(
        "[profile other]\nregion = x\n[profile lt]\naws_access_key_id = {}\naws_secret_access_key = {LONG_TERM_SECRET}\noutput = json\n",
        t.key_id
    ));
    let add = run(&mut keyring(t.mfa(&[
        "add",
        "plainall",
        "--from-profile",
        "lt",
        "--mfa-serial",
        &t.serial,
        "--remove-plaintext",
    ])));
    let said = ok(&add) + &stderr(&add);
    assert_no_secret(&said);
    assert!(
        said.contains("removed the plain-text keys of [lt], [copy] from"),
        "{said}"
    );
    assert!(said.contains("hold the keys in plain text"), "{said}");
    // The link is still a link; its target lost the keys and kept everything else.
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(mode(&real_creds), 0o640);
    assert_eq!(
        std::fs::read_to_string(&real_creds).unwrap(),
        "# keys\n[keep]\naws_access_key_id = AKIAKEEP00000000\naws_secret_access_key = keepsecretkeepsecret\n[lt]\nregion = eu-west-1\n"
    );
    let config = std::fs::read_to_string(t.config_path()).unwrap();
    assert!(!config.contains(LONG_TERM_SECRET), "{config}");
    assert!(
        config.starts_with("[profile other]\nregion = x\n[profile lt]\noutput = json\n"),
        "{config}"
    );
    // The backups sit beside the paths the user knows, 0600, and hold the old text.
    let backups: Vec<_> = std::fs::read_dir(t.home().join(".aws"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".bak-"))
        .collect();
    assert_eq!(
        backups.len(),
        3,
        "credentials, and config twice (profile edit, key removal): {backups:?}"
    );
    for b in &backups {
        assert_eq!(mode(b), 0o600);
        assert!(
            said.contains(&b.file_name().unwrap().to_string_lossy().into_owned())
                || b.to_string_lossy().contains("config.bak-")
        );
    }
    let cred_backup = backups
        .iter()
        .find(|b| b.to_string_lossy().contains("credentials.bak-"))
        .unwrap();
    assert_eq!(std::fs::read_to_string(cred_backup).unwrap(), creds);
    // And the profile works from the keyring alone.
    ok(&with_stdin(
        keyring(t.mfa(&["seed", "set", "plainall"])),
        SEED,
    ));
    parse_process_output(&ok(&run(&mut keyring(t.mfa(&[
        "credential-process",
        "-p",
        "plainall",
    ])))));
}

#[test]
fn keys_that_do_not_work_from_the_keyring_are_not_removed_from_the_files() {
    let t = TestEnv::new("plainbad");
    configure(&t.key_id, serde_json::json!({"invalid": true}));
    let creds = std::fs::read_to_string(t.home().join(".aws/credentials")).unwrap();
    let add = run(&mut keyring(t.mfa(&[
        "add",
        "plainbad",
        "--from-profile",
        "work-lt",
        "--mfa-serial",
        &t.serial,
        "--remove-plaintext",
    ])));
    // The keys went to the keyring and the profile was written (both said), then the proof failed.
    assert_eq!(add.status.code(), Some(3), "{}", stderr(&add));
    let last = stderr(&add).lines().last().unwrap_or_default().to_owned();
    assert!(
        last.starts_with("mfa-session: error: the keys stored in the OS keyring do not work"),
        "{last}"
    );
    assert!(
        last.ends_with("the plain-text keys of [work-lt] were left where they are"),
        "{last}"
    );
    assert_no_secret(&stderr(&add));
    assert_eq!(
        std::fs::read_to_string(t.home().join(".aws/credentials")).unwrap(),
        creds
    );
}

#[test]
fn the_backup_is_deleted_when_asked_and_each_backup_is_new() {
    let t = TestEnv::new("plaindel");
    let add = run(&mut keyring(t.mfa(&[
        "add",
        "plaindel",
        "--from-profile",
        "work-lt",
        "--mfa-serial",
        &t.serial,
        "--remove-plaintext",
        "--delete-backup",
    ])));
    assert!(
        stderr(&add).contains("mfa-session: deleted "),
        "{}",
        stderr(&add)
    );
    let names: Vec<String> = std::fs::read_dir(t.home().join(".aws"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n.starts_with("credentials.bak-")),
        "{names:?}"
    );
    assert!(
        !std::fs::read_to_string(t.home().join(".aws/credentials"))
            .unwrap()
            .contains(LONG_TERM_SECRET)
    );
}

/// Every file under `dir` that contains `needle`.
fn files_containing(dir: &std::path::Path, needle: &str) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let path = e.path();
        if path.is_dir() {
            found.extend(files_containing(&path, needle));
        } else if std::fs::read(&path)
            .unwrap()
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
        {
            found.push(path);
        }
    }
    found
}

#[test]
fn keys_in_the_config_leave_no_backup_holding_the_secret() {
    let t = TestEnv::new("plaincfg");
    // The long-term keys in ~/.aws/config: add edits that file itself before it removes them.
    t.write_credentials("");
    let config = std::fs::read_to_string(t.config_path()).unwrap();
    t.write_config_raw(&format!(
        "{config}[profile work-lt]\naws_access_key_id = {}\naws_secret_access_key = {LONG_TERM_SECRET}\n",
        t.key_id
    ));
    let add = run(&mut keyring(t.mfa(&[
        "add",
        "plaincfg",
        "--from-profile",
        "work-lt",
        "--mfa-serial",
        &t.serial,
        "--remove-plaintext",
        "--delete-backup",
    ])));
    let err = ok(&add) + &stderr(&add);
    assert!(err.contains("mfa-session: deleted "), "{err}");
    assert_eq!(
        files_containing(&t.home(), LONG_TERM_SECRET),
        Vec::<std::path::PathBuf>::new(),
        "{err}"
    );
}

#[test]
fn a_profile_name_that_would_inject_lines_is_refused_before_anything_is_written() {
    let t = TestEnv::new("inject");
    let before = std::fs::read_to_string(t.config_path()).unwrap();
    for name in ["x]\n[profile evil", "a b", "x]"] {
        let out = run(&mut keyring(t.mfa(&[
            "add",
            name,
            "--from-profile",
            "work-lt",
            "--keep-plaintext",
        ])));
        fails(&out, 3, "is not one the AWS SDKs accept");
    }
    assert_eq!(std::fs::read_to_string(t.config_path()).unwrap(), before);
}

#[test]
fn children_never_see_the_passphrase_in_their_environment() {
    let t = TestEnv::new("noleakenv");
    let environ = t.tmp.path().join("mfa_process.environ");
    t.write_config(&format!(
        "mfa_process = tr '\\\\0' '\\\\n' < /proc/$$/environ > '{}'; printf 246810\n",
        environ.display()
    ));
    let pass_file = t.tmp.path().join("pass");
    std::fs::write(&pass_file, "file-passphrase\n").unwrap();
    std::fs::set_permissions(&pass_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut cmd = t.mfa(&[
        "exec",
        "-p",
        "work",
        "--",
        "sh",
        "-c",
        "tr '\\0' '\\n' < /proc/$$/environ",
    ]);
    cmd.env("MFA_SESSION_BACKEND", "file")
        .env(
            "MFA_SESSION_SECRETS_FILE",
            t.tmp.path().join("s/secrets.age"),
        )
        .env("MFA_SESSION_PASSPHRASE", "sentinel-passphrase")
        .env("MFA_SESSION_PASSPHRASE_FILE", &pass_file);
    let child_env = ok(&run(&mut cmd));
    assert!(
        child_env.contains("AWS_SESSION_TOKEN="),
        "the child's own environ: {child_env}"
    );
    let process_env = std::fs::read_to_string(&environ).unwrap();
    assert!(
        process_env.contains("MFA_SESSION_IN_MFA_PROCESS=1"),
        "{process_env}"
    );
    for env in [&child_env, &process_env] {
        assert!(
            !env.contains("sentinel-passphrase") && !env.contains("MFA_SESSION_PASSPHRASE"),
            "{env}"
        );
    }
}

#[test]
fn mfa_process_leaves_nothing_running_that_holds_the_callers_stderr() {
    let t = TestEnv::new("bgchild");
    // The background sleep keeps stderr (ours, and so the caller's) open, as a helper daemon
    // would; the caller reads stderr to its end, as the AWS CLI does.
    t.write_config("mfa_process = sleep 20 >/dev/null & echo 123456\n");
    let start = Instant::now();
    let out = run(&mut t.mfa(&["credential-process", "-p", "work"]));
    ok(&out);
    assert!(
        start.elapsed().as_secs_f64() < 10.0,
        "the caller waited {:?} for mfa_process's background child",
        start.elapsed()
    );
}

#[test]
fn mfa_process_has_one_deadline_for_the_command_and_its_output() {
    let t = TestEnv::new("deadline");
    t.write_config("mfa_process = sleep 8 & echo 123456\n");
    let start = Instant::now();
    let out = run(t
        .mfa(&["credential-process", "-p", "work"])
        .env("MFA_SESSION_PROCESS_TIMEOUT", "2"));
    fails(&out, 4, "gave no code within 2s");
    assert!(
        start.elapsed().as_secs_f64() < 6.0,
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn a_new_encrypted_file_takes_its_passphrase_twice_and_a_wrong_one_changes_nothing() {
    let t = TestEnv::new("passtwice");
    let file = t.tmp.path().join("data/secrets.age");
    let seed_file = t.tmp.path().join("seed.txt");
    std::fs::write(&seed_file, SEED).unwrap();
    let seed_set = |answers: &[&str]| {
        let mut cmd = t.with_tty_at(
            &["passphrase for", "passphrase again"],
            answers,
            BIN,
            &[
                "seed",
                "set",
                "work",
                "--from-file",
                seed_file.to_str().unwrap(),
            ],
        );
        cmd.env("MFA_SESSION_BACKEND", "file")
            .env("MFA_SESSION_SECRETS_FILE", &file);
        run(&mut cmd)
    };
    fails(
        &seed_set(&["one", "two"]),
        8,
        "the two passphrases differ: nothing was written",
    );
    assert!(!file.exists());
    fails(
        &seed_set(&["", ""]),
        8,
        "an empty passphrase protects nothing",
    );
    assert!(!file.exists());
    ok(&seed_set(&["good pass", "good pass"]));
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(file.parent().unwrap()), 0o700);
    let sealed = std::fs::read(&file).unwrap();
    // age's default work factor, 18, is in the file's scrypt stanza.
    assert!(
        String::from_utf8_lossy(&sealed).contains(" 18\n"),
        "work factor"
    );

    let mut wrong = t.mfa(&["seed", "remove", "work"]);
    wrong
        .env("MFA_SESSION_BACKEND", "file")
        .env("MFA_SESSION_SECRETS_FILE", &file)
        .env("MFA_SESSION_PASSPHRASE", "wrong");
    fails(&run(&mut wrong), 8, "the passphrase does not open");
    assert_eq!(
        std::fs::read(&file).unwrap(),
        sealed,
        "a wrong passphrase changes nothing"
    );

    let pass_file = t.tmp.path().join("pass");
    std::fs::write(&pass_file, "good pass\n").unwrap();
    std::fs::set_permissions(&pass_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let code = |cmd: &mut Command| {
        cmd.env("MFA_SESSION_BACKEND", "file")
            .env("MFA_SESSION_SECRETS_FILE", &file)
            .env("MFA_SESSION_PASSPHRASE_FILE", &pass_file);
        run(cmd)
    };
    fails(
        &code(&mut t.mfa(&["code", "work"])),
        8,
        "is readable by others: refused",
    );
    std::fs::set_permissions(&pass_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let printed = ok(&code(&mut t.mfa(&["code", "work"])));
    assert!(
        printed.len() > 6 && printed[..6].bytes().all(|b| b.is_ascii_digit()),
        "{printed}"
    );
}

#[test]
fn relative_shared_and_foreign_directories_are_refused_never_chmodded() {
    let t = TestEnv::new("dirs");
    let out = run(t
        .mfa(&["status"])
        .env("MFA_SESSION_CACHE_DIR", "relative/cache"));
    fails(
        &out,
        3,
        "MFA_SESSION_CACHE_DIR 'relative/cache' is a relative path",
    );
    let out = run(t
        .mfa(&["list"])
        .env("MFA_SESSION_BACKEND", "file")
        .env("MFA_SESSION_SECRETS_FILE", "secrets.age"));
    fails(
        &out,
        3,
        "MFA_SESSION_SECRETS_FILE 'secrets.age' is a relative path",
    );
    // A relative HOME (and no cache variable) would put session tokens under the caller's
    // working directory.
    let cwd = t.tmp.path().join("cwd");
    std::fs::create_dir(&cwd).unwrap();
    for args in [&["credential-process", "-p", "work"][..], &["status"]] {
        let out = run(t
            .with_tty(&["345678"], BIN, args)
            .env_remove("MFA_SESSION_CACHE_DIR")
            .env("HOME", "home")
            .current_dir(&cwd));
        fails(&out, 3, "HOME 'home' is a relative path");
    }
    assert_eq!(
        std::fs::read_dir(&cwd).unwrap().count(),
        0,
        "nothing under cwd"
    );

    for (name, m, code) in [("sticky", 0o1777, "123456"), ("foreign", 0o755, "234567")] {
        let dir = t.tmp.path().join(name);
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(m)).unwrap();
        let out = run(t
            .with_tty(&[code], BIN, &["credential-process", "-p", "work"])
            .env("MFA_SESSION_CACHE_DIR", &dir));
        parse_process_output(&ok(&out));
        assert!(
            stderr(&out).contains("cache directory refused"),
            "{}",
            stderr(&out)
        );
        assert_eq!(mode(&dir), m, "{name} left as it was");
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "nothing written in {name}"
        );
    }
}
