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
