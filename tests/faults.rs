//! Faults injected through the emulator's proxy: each gives one clear line and a non-zero exit
//! in bounded time, writes no cache entry, and never hides a still-valid cached session.

mod common;
use common::*;
use serde_json::json;

fn sessions(t: &TestEnv) -> usize {
    std::fs::read_dir(t.cache_dir().join("sessions"))
        .map(|d| {
            d.filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "json")
            })
            .count()
        })
        .unwrap_or(0)
}

#[test]
fn network_faults_fail_in_one_line_and_write_nothing() {
    let cases = [
        ("500", "failed (InternalFailure"),
        ("throttle", "is throttling requests"),
        ("malformed", "sent a reply that could not be read"),
        ("reset", "cannot reach STS in eu-west-1"),
    ];
    for (fault, want) in cases {
        let t = TestEnv::new(&format!("fault{fault}"));
        configure(&t.key_id, json!({"fault": fault}));
        let start = std::time::Instant::now();
        let out = run(&mut t.with_tty(&["123456"], BIN, &["credential-process", "-p", "work"]));
        fails(&out, 6, want);
        assert!(start.elapsed().as_secs() < 20, "{fault}: bounded time");
        assert_eq!(sessions(&t), 0, "{fault}: no cache entry written");
    }
}

#[test]
fn a_still_valid_session_is_served_when_its_refresh_cannot_reach_aws() {
    let t = TestEnv::new("faultfallback");
    let v = parse_process_output(&ok(&run(&mut t.with_tty(
        &["123456"],
        BIN,
        &["credential-process", "-p", "work"],
    ))));
    let exp = chrono::DateTime::parse_from_rfc3339(v["Expiration"].as_str().unwrap()).unwrap();
    configure(&t.key_id, json!({"fault": "500"}));
    // Inside the refresh margin (15 minutes left): the refresh fails, the old session is served.
    let now = (exp - chrono::TimeDelta::minutes(15)).to_rfc3339();
    let out = run(t
        .with_tty(&["234567"], BIN, &["credential-process", "-p", "work"])
        .env("MFA_SESSION_TEST_NOW", &now));
    assert_eq!(parse_process_output(&ok(&out)), v);
    assert!(
        stderr(&out).contains("serving the cached session"),
        "{}",
        stderr(&out)
    );
    // 10 minutes left is too close to expiry for botocore: then the failure is reported.
    let now = (exp - chrono::TimeDelta::minutes(10)).to_rfc3339();
    let out = run(t
        .with_tty(&["345678"], BIN, &["credential-process", "-p", "work"])
        .env("MFA_SESSION_TEST_NOW", &now));
    fails(&out, 6, "failed (InternalFailure");
}

#[test]
fn hostile_cache_files_are_refused_and_said_so_and_credentials_still_come() {
    use std::os::unix::fs::PermissionsExt;
    let t = TestEnv::new("hostilecache");
    let warm =
        |code: &str| run(&mut t.with_tty(&[code], BIN, &["credential-process", "-p", "work"]));
    parse_process_output(&ok(&warm("100001")));
    let file = t.cache_file();
    let good = std::fs::read(&file).unwrap();
    // Readable by others: refused (the secret may have been read), a new session is made.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = warm("100002");
    parse_process_output(&ok(&out));
    assert!(
        stderr(&out).contains("cached session ignored")
            && stderr(&out).contains("readable by others: refused"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // Replaced by a symlink: never followed, never written through.
    let target = t.tmp.path().join("elsewhere.json");
    std::fs::write(&target, &good).unwrap();
    std::fs::remove_file(&file).unwrap();
    std::os::unix::fs::symlink(&target, &file).unwrap();
    let out = warm("100003");
    parse_process_output(&ok(&out));
    assert!(
        stderr(&out).contains("is a symlink: refused"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read(&target).unwrap(),
        good,
        "the symlink's target is untouched"
    );
    assert!(
        !std::fs::symlink_metadata(&file)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    // Huge: refused without being read.
    std::fs::write(&file, vec![b'x'; 1 << 20]).unwrap();
    let out = warm("100004");
    assert!(
        stderr(&out).contains("too large to be a session: refused"),
        "{}",
        stderr(&out)
    );
    // Someone else's file (root can make one): refused.
    if unsafe_euid() == 0 {
        let out = std::process::Command::new("chown")
            .arg("65534")
            .arg(&file)
            .output()
            .unwrap();
        assert!(out.status.success());
        let out = warm("100005");
        assert!(
            stderr(&out).contains("belongs to another user: refused"),
            "{}",
            stderr(&out)
        );
    }
    assert_no_secret(&stderr(&out));
}

fn unsafe_euid() -> u32 {
    let out = std::process::Command::new("id").arg("-u").output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn an_unusable_cache_directory_still_gives_credentials() {
    let t = TestEnv::new("nocachedir");
    let blocker = t.tmp.path().join("a-file");
    std::fs::write(&blocker, "not a directory").unwrap();
    let out = run(t
        .with_tty(&["123456"], BIN, &["credential-process", "-p", "work"])
        .env("MFA_SESSION_CACHE_DIR", blocker.join("cache")));
    parse_process_output(&ok(&out));
    assert!(
        stderr(&out).contains("going on without the cache"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("session not cached"),
        "{}",
        stderr(&out)
    );
}
