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
        stderr(&out).contains("too large to be ours: refused"),
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

/// A profile whose codes come from a counter (a fresh code each time, no terminal needed).
fn counter_profile(t: &TestEnv, duration: u32) {
    let counter = t.tmp.path().join("counter");
    t.write_config(&format!(
        "duration_seconds = {duration}\nmfa_process = n=$(cat '{c}' 2>/dev/null || echo 100000); n=$((n+1)); echo $n > '{c}.$$'; mv '{c}.$$' '{c}'; printf %06d $n\n",
        c = counter.display()
    ));
}

fn cached_expiry(t: &TestEnv) -> chrono::DateTime<chrono::FixedOffset> {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(t.cache_file()).unwrap()).unwrap();
    chrono::DateTime::parse_from_rfc3339(v["Session"]["Expiration"].as_str().unwrap()).unwrap()
}

#[test]
fn sixty_four_callers_crossing_the_refresh_margin_make_one_sts_call() {
    let t = TestEnv::new("load64");
    counter_profile(&t, 3600);
    ok(&run(&mut t.mfa(&["credential-process", "-p", "work"])));
    // The cached session now has 19 minutes left: inside the margin of a 12-hour profile.
    let now = (cached_expiry(&t) - chrono::TimeDelta::minutes(19)).to_rfc3339();
    counter_profile(&t, 43_200);
    configure(&t.key_id, json!({"delay_ms": 300}));
    let children: Vec<_> = (0..64)
        .map(|_| {
            t.mfa(&["credential-process", "-p", "work"])
                .env("MFA_SESSION_TEST_NOW", &now)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let v = parse_process_output(&ok(&out));
        let exp = chrono::DateTime::parse_from_rfc3339(v["Expiration"].as_str().unwrap()).unwrap();
        assert!(
            exp - chrono::DateTime::parse_from_rfc3339(&now).unwrap()
                > chrono::TimeDelta::minutes(20)
        );
    }
    assert_eq!(
        sts_calls(&t.key_id),
        2,
        "one to warm, one for all 64 callers"
    );
}

/// SIGKILL at random moments of 200 refreshes (STS slowed to widen the window): the cache always
/// holds a whole session or none, and the next call works without cleanup or a stuck lock.
#[test]
fn killed_at_any_moment_the_cache_is_never_corrupt_and_never_locked() {
    let t = TestEnv::new("crashloop");
    counter_profile(&t, 43_200);
    ok(&run(&mut t.mfa(&["credential-process", "-p", "work"])));
    // Every session is inside the margin at these times, so every call refreshes. Each run is
    // 30 s after the last: a code of a time step already used would wait for the next step.
    let base = cached_expiry(&t) + chrono::TimeDelta::hours(1);
    let at_run = |i: i64| (base + chrono::TimeDelta::seconds(30 * i)).to_rfc3339();
    // A kill between STS's answer and the cache write throws a used code away; code reuse is
    // not what this test is about.
    configure(&t.key_id, json!({"delay_ms": 60, "allow_reuse": true}));
    let mut seed = std::process::id() as u64;
    let mut killed = 0;
    for i in 0..200 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay = std::time::Duration::from_millis((seed >> 33) % 120);
        let mut child = t
            .mfa(&["credential-process", "-p", "work"])
            .env("MFA_SESSION_TEST_NOW", at_run(i))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
        let bytes = std::fs::read(t.cache_file()).unwrap();
        let v: serde_json::Value =
            serde_json::from_slice(&bytes).expect("a whole entry, never a partial one");
        for k in [
            "AccessKeyId",
            "SecretAccessKey",
            "SessionToken",
            "Expiration",
        ] {
            assert!(
                v["Session"][k].as_str().is_some_and(|s| !s.is_empty()),
                "{k}"
            );
        }
    }
    assert!(killed >= 60, "most runs were killed mid-way ({killed})");
    let start = std::time::Instant::now();
    let out = run(t
        .mfa(&["credential-process", "-p", "work"])
        .env("MFA_SESSION_TEST_NOW", at_run(200)));
    parse_process_output(&ok(&out));
    assert!(start.elapsed().as_secs() < 10, "no lock left behind");
    let litter = std::fs::read_dir(t.cache_dir().join("sessions"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp")
        })
        .count();
    assert_eq!(
        litter, 0,
        "temp files of killed writers are swept by the next save"
    );
}

/// A caller that gives up and SIGKILLs us must not leave the mfa_process command (a YubiKey
/// waiting for a touch, say) running on as an orphan.
#[test]
fn an_mfa_process_dies_with_a_killed_mfa_session() {
    let t = TestEnv::new("orphan");
    let pidfile = t.tmp.path().join("process.pid");
    t.write_config(&format!(
        "mfa_process = echo $$ > '{p}.tmp'; mv '{p}.tmp' '{p}'; exec sleep 60\n",
        p = pidfile.display()
    ));
    let mut child = t
        .mfa(&["credential-process", "-p", "work"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while !pidfile.exists() {
        assert!(start.elapsed().as_secs() < 20, "mfa_process never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let alive = |pid: i32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            !s.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
    };
    assert!(alive(pid), "the command runs while we wait for it");
    child.kill().unwrap();
    child.wait().unwrap();
    let start = std::time::Instant::now();
    while alive(pid) {
        assert!(
            start.elapsed().as_secs() < 5,
            "mfa_process {pid} outlived the killed mfa-session"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn a_reply_slower_than_our_timeout_fails_within_the_bound() {
    let t = TestEnv::new("faultslow");
    configure(&t.key_id, json!({"delay_ms": 40_000}));
    let start = std::time::Instant::now();
    let out = run(&mut t.with_tty(&["123456"], BIN, &["credential-process", "-p", "work"]));
    fails(&out, 6, "did not answer within 15s");
    let took = start.elapsed().as_secs();
    assert!(
        (14..30).contains(&took),
        "bounded by the 15 s STS budget: {took}s"
    );
    assert_eq!(sessions(&t), 0);
}
