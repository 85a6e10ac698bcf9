//! One sweep with sentinel secrets through every command and error path: none may appear on
//! stderr, in a child's argv, or in any file but the session cache and the secrets store.

mod common;
use common::*;
use std::path::Path;
use std::process::{Command, Output};

const SEED: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn no_secret_reaches_stderr_argv_or_stray_files() {
    let t = TestEnv::new("secretsweep");
    let store = t.tmp.path().join("store/secrets.age");
    let argv_log = t.tmp.path().join("argv.log");
    let file_backend = |cmd: Command| encrypted_file(cmd, &store, "sentinel-passphrase");
    // The mfa_process records its own argv, then prints a code.
    let process = format!(
        "tr '\\\\0' ' ' < /proc/$$/cmdline >> '{}'; printf 246810",
        argv_log.display()
    );
    t.write_config(&format!("mfa_process = {process}\n"));
    let mut stderrs = Vec::new();
    // Every step must end as it should: a step that failed early proves nothing about leaks.
    let mut keep_as = |want: i32, o: Output| {
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(
            o.status.code(),
            Some(want),
            "step {}: {err}",
            stderrs.len() + 1
        );
        stderrs.push(err);
        o
    };
    // Success paths.
    let creds = parse_process_output(&ok(&keep_as(
        0,
        run(&mut t.mfa(&["credential-process", "-p", "work"])),
    )));
    let token = creds["SessionToken"].as_str().unwrap().to_owned();
    let secret = creds["SecretAccessKey"].as_str().unwrap().to_owned();
    let exec_argv = ok(&keep_as(
        0,
        run(&mut t.mfa(&[
            "exec",
            "-p",
            "work",
            "--",
            "sh",
            "-c",
            "tr '\\0' ' ' < /proc/$$/cmdline",
        ])),
    ));
    for args in [
        &["env", "-p", "work"][..],
        &["status"],
        &["status", "--json"],
        &["list"],
        &["clear", "-p", "work"],
    ] {
        keep_as(0, run(&mut t.mfa(args)));
    }
    // doctor reads the keys and calls AWS with them; with no Secret Service here, the codes
    // still come from mfa_process, so every check passes (exit 0). What it prints is swept too.
    let doctor = keep_as(0, run(&mut t.mfa(&["doctor", "-p", "work"])));
    let doctor_out = stdout(&doctor);
    assert!(doctor_out.contains("keys in [work-lt]"), "{doctor_out}");
    keep_as(
        0,
        with_stdin(file_backend(t.mfa(&["seed", "set", "other"])), SEED),
    );
    keep_as(0, run(&mut file_backend(t.mfa(&["code", "other"]))));
    keep_as(0, run(&mut file_backend(t.mfa(&["list"]))));
    // Error paths, each with secrets in play.
    keep_as(
        8,
        run(file_backend(t.mfa(&["code", "other"])).env("MFA_SESSION_PASSPHRASE", "wrong")),
    );
    keep_as(
        3,
        with_stdin(
            file_backend(t.mfa(&["seed", "set", "bad"])),
            &format!("{SEED}!!"),
        ),
    );
    keep_as(
        3,
        with_stdin(
            file_backend(t.mfa(&["seed", "set", "bad"])),
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=x",
        ),
    );
    t.write_config("mfa_process = printf 12345x\n");
    keep_as(4, run(&mut t.mfa(&["credential-process", "-p", "work"])));
    t.write_config("");
    keep_as(
        4,
        run(&mut t.with_tty(
            &["13579x", "1357 9", "24680"],
            BIN,
            &["credential-process", "-p", "work"],
        )),
    );
    configure(&t.key_id, serde_json::json!({"wrong_codes": ["999999"]}));
    keep_as(
        4,
        run(&mut t.with_tty(&["999999"], BIN, &["credential-process", "-p", "work"])),
    );
    t.write_credentials(&format!(
        "[work-lt]\naws_secret_access_key = {LONG_TERM_SECRET}\n"
    ));
    keep_as(3, run(&mut t.mfa(&["credential-process", "-p", "work"])));

    let sentinels = [
        LONG_TERM_SECRET,
        &secret,
        &token,
        SEED,
        "246810",
        "999999",
        "sentinel-passphrase",
    ];
    for err in stderrs.iter().chain([&doctor_out]) {
        for s in sentinels {
            assert!(!err.contains(s), "{s} on stderr: {err}");
        }
    }
    let argv = std::fs::read_to_string(&argv_log).unwrap() + &exec_argv;
    for s in sentinels {
        assert!(!argv.contains(s), "{s} in a child's argv: {argv}");
    }
    // Files: only the session cache may hold session secrets, only the store the seed.
    let mut files = Vec::new();
    files_under(t.tmp.path(), &mut files);
    // tty.log is the test's own record of what the terminal showed (typed codes echo there).
    for f in files.into_iter().filter(|f| !f.ends_with("tty.log")) {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        let allowed_session = f.starts_with(t.cache_dir().join("sessions"));
        for s in sentinels {
            let expected_here = (s == LONG_TERM_SECRET && f.ends_with(".aws/credentials"))
                || ((s == secret || s == token) && allowed_session)
                || (s == "246810" && f.ends_with("argv.log"));
            assert!(
                expected_here || !text.contains(s),
                "{s} found in {}",
                f.display()
            );
        }
    }
}
