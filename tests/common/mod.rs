//! Test harness: the local AWS emulator (moto + our thin proxy, see tests/harness/emulator.py),
//! an isolated HOME/config/cache per test, and helpers to run the real binary.
#![allow(dead_code, clippy::disallowed_methods)] // shared by several test binaries; PATH comes from the real env

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};

pub const BIN: &str = env!("CARGO_BIN_EXE_mfa-session");
/// moto's fixed answers to GetSessionToken: never to be seen on stderr.
pub const MOTO_SESSION_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
pub const MOTO_SESSION_TOKEN_PREFIX: &str = "AQoEXAMPLEH4aoAH0gNCAPyJxz4BlCFFxWNE1OPTgk5TthT";
pub const LONG_TERM_SECRET: &str = "LongTermSecretKey+do/not/leak0000000000";

/// The emulator shared by the tests of one test binary; it stops when the binary exits
/// (it watches its stdin, which we hold open).
pub struct Emulator {
    pub port: u16,
    _stdin: Mutex<ChildStdin>,
    _child: Mutex<Child>,
}

pub fn emulator() -> &'static Emulator {
    static EMU: OnceLock<Emulator> = OnceLock::new();
    EMU.get_or_init(|| {
        let mut child = Command::new(python())
            .arg(harness("emulator.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the emulator (python3 with moto[server])");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .strip_prefix("READY ")
            .and_then(|r| r.split_whitespace().next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("emulator did not start: {line:?}"));
        Emulator {
            port,
            _stdin: Mutex::new(child.stdin.take().unwrap()),
            _child: Mutex::new(child),
        }
    })
}

/// The binaries under test must have the test hooks (fixed clock, crash points), which a release
/// never has: say how to get them instead of failing later in a puzzling way.
pub fn ensure_test_hooks() {
    static CHECKED: OnceLock<()> = OnceLock::new();
    CHECKED.get_or_init(|| {
        let out = Command::new(BIN).arg("--version").output().unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("+test-hooks"),
            "the integration tests need the binaries' test hooks: run `cargo test --features test-hooks` (as .ci/test does)"
        );
    });
}

pub fn harness(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/harness")
        .join(file)
}

/// The real Python interpreter (not a pyenv shim, which needs the real HOME).
/// The real AWS CLI's `sts get-caller-identity` for `profile`, as arguments to `python()`.
pub fn aws_identity_args(profile: &str) -> [&str; 8] {
    [
        "-m",
        "awscli",
        "sts",
        "get-caller-identity",
        "--profile",
        profile,
        "--output",
        "json",
    ]
}

pub fn python() -> &'static str {
    static PY: OnceLock<String> = OnceLock::new();
    PY.get_or_init(|| {
        let out = Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("python3 on PATH");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    })
}

fn http(method: &str, path: &str, body: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", emulator().port)).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.split_once("\r\n\r\n").unwrap().1.to_owned()
}

/// GetSessionToken calls that reached the emulator with this long-term key.
pub fn sts_calls(key_id: &str) -> u64 {
    let body = http("GET", &format!("/_harness/stats?key={key_id}"), "");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["get_session_token"].as_u64().unwrap()
}

/// A role in the emulator whose trust policy asks for MFA (when `mfa`), with its
/// MaxSessionDuration: its ARN.
pub fn create_role(name: &str, mfa: bool, max_seconds: u32) -> String {
    let body = http(
        "POST",
        "/_harness/role",
        &serde_json::json!({"name": name, "mfa": mfa, "max": max_seconds}).to_string(),
    );
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["Arn"].as_str().unwrap().to_owned()
}

/// AssumeRole calls the emulator answered for `role_arn`.
pub fn assume_calls(role_arn: &str) -> u64 {
    let body = http("GET", &format!("/_harness/stats?role={role_arn}"), "");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["assume_role"].as_u64().unwrap()
}

/// Sets the proxy's behaviour for this long-term key (see emulator.py).
pub fn configure(key_id: &str, settings: serde_json::Value) {
    let mut v = settings;
    v["key"] = key_id.into();
    http("POST", "/_harness/config", &v.to_string());
}

/// Enables an MFA device of any kind (FIDO key, hardware token) for an IAM user of the emulator.
pub fn enable_device(user: &str, serial: &str) {
    http(
        "POST",
        "/_harness/device",
        &serde_json::json!({"user": user, "serial": serial}).to_string(),
    );
}

/// An IAM user of its own in the emulator, with an access key: (key id, secret).
pub fn iam_user(name: &str) -> (String, String) {
    let body = http(
        "POST",
        "/_harness/user",
        &serde_json::json!({"name": name}).to_string(),
    );
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    (
        v["AccessKeyId"].as_str().unwrap().to_owned(),
        v["SecretAccessKey"].as_str().unwrap().to_owned(),
    )
}

/// One test's world: HOME, AWS config and credentials files, cache dir, unique key and device.
pub struct TestEnv {
    pub tmp: tempfile::TempDir,
    pub key_id: String,
    pub serial: String,
}

impl TestEnv {
    /// A profile `work` (source `work-lt`) pointing at the emulator, named after the test.
    pub fn new(name: &str) -> Self {
        ensure_test_hooks();
        let tmp = tempfile::tempdir().unwrap();
        let tag: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let t = TestEnv {
            tmp,
            key_id: format!("AKIA{tag:0>16}"),
            serial: format!("arn:aws:iam::123456789012:mfa/{name}"),
        };
        std::fs::create_dir_all(t.home().join(".aws")).unwrap();
        t.write_config("");
        t.write_credentials(&format!(
            "[work-lt]\naws_access_key_id = {}\naws_secret_access_key = {LONG_TERM_SECRET}\n",
            t.key_id
        ));
        t
    }

    pub fn home(&self) -> PathBuf {
        self.tmp.path().join("home")
    }
    pub fn config_path(&self) -> PathBuf {
        self.home().join(".aws/config")
    }
    pub fn cache_dir(&self) -> PathBuf {
        self.tmp.path().join("cache")
    }
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", emulator().port)
    }

    /// Writes ~/.aws/config: profile `work` with `extra` lines appended, then anything in `more`.
    pub fn write_config(&self, extra: &str) {
        self.write_config_raw(&format!(
            "[profile work]\ncredential_process = {BIN} credential-process --profile work\n\
             mfa_serial = {}\nmfa_session_source_profile = work-lt\nregion = eu-west-1\n{extra}",
            self.serial
        ));
    }

    pub fn write_config_raw(&self, text: &str) {
        std::fs::write(self.config_path(), text).unwrap();
    }

    pub fn write_credentials(&self, text: &str) {
        std::fs::write(self.home().join(".aws/credentials"), text).unwrap();
    }

    /// The single cache file (panics unless exactly one).
    pub fn cache_file(&self) -> PathBuf {
        let files: Vec<_> = std::fs::read_dir(self.cache_dir().join("sessions"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        files[0].clone()
    }

    /// The environment every process in this test gets (nothing else from ours).
    pub fn apply_env(&self, cmd: &mut Command) {
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("AWS_CONFIG_FILE", self.config_path())
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.home().join(".aws/credentials"),
            )
            .env("AWS_ENDPOINT_URL", self.endpoint())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("MFA_SESSION_CACHE_DIR", self.cache_dir())
            .env("LANG", "C.UTF-8");
    }

    /// `program args` with no controlling terminal at all (a new session).
    pub fn no_tty(&self, program: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new("setsid");
        cmd.arg("-w").arg(program).args(args);
        self.apply_env(&mut cmd);
        cmd.stdin(Stdio::null());
        cmd
    }

    /// mfa-session with no terminal.
    pub fn mfa(&self, args: &[&str]) -> Command {
        self.no_tty(BIN, args)
    }

    /// `program args` with a pseudo-terminal that types `answers` at each MFA prompt.
    pub fn with_tty(&self, answers: &[&str], program: &str, args: &[&str]) -> Command {
        self.with_tty_at(&[], answers, program, args)
    }

    /// The same for hidden prompts: answers whenever the terminal shows one of `triggers` and
    /// has turned its echo off.
    pub fn with_tty_at(
        &self,
        triggers: &[&str],
        answers: &[&str],
        program: &str,
        args: &[&str],
    ) -> Command {
        let mut cmd = Command::new(python());
        cmd.arg(harness("pty_run.py"))
            .arg("--tty-log")
            .arg(self.tmp.path().join("tty.log"));
        for t in triggers {
            cmd.arg("--trigger").arg(t);
        }
        if !triggers.is_empty() {
            cmd.arg("--hidden");
        }
        for a in answers {
            cmd.arg("--answer").arg(a);
        }
        cmd.arg("--").arg(program).args(args);
        self.apply_env(&mut cmd);
        cmd.stdin(Stdio::null());
        cmd
    }

    /// What the pseudo-terminal of the last `with_tty` run showed.
    pub fn tty_log(&self) -> String {
        std::fs::read_to_string(self.tmp.path().join("tty.log")).unwrap_or_default()
    }
}

/// `cmd` with its secrets in the encrypted file `file`, opened with `passphrase`.
pub fn encrypted_file(mut cmd: Command, file: &Path, passphrase: &str) -> Command {
    cmd.env("MFA_SESSION_BACKEND", "file")
        .env("MFA_SESSION_SECRETS_FILE", file)
        .env("MFA_SESSION_PASSPHRASE", passphrase);
    cmd
}

/// Runs with `input` on stdin and captures.
pub fn with_stdin(mut cmd: Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The session bus of the test run's Secret Service (.ci/test starts one).
pub fn bus() -> String {
    std::env::var("DBUS_SESSION_BUS_ADDRESS").expect(
        "keyring tests need a Secret Service: run them under dbus-run-session with gnome-keyring unlocked, as .ci/test does",
    )
}

/// Second 29 of the current (real) 30 s TOTP step: an exchange right after one at this time
/// waits one second for the next step. Near real time because the emulator's sessions are.
pub fn late_in_a_step() -> i64 {
    let now = chrono::Utc::now().timestamp();
    now - now % 30 + 29
}

/// The real time now, in Unix seconds.
pub fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A Unix time as MFA_SESSION_TEST_NOW takes it.
pub fn at(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).unwrap().to_rfc3339()
}

/// Runs and captures.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("spawn")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts success and returns stdout.
pub fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        stdout(o),
        stderr(o)
    );
    stdout(o)
}

/// Asserts a failure with `code`, one line on stderr containing `want`, nothing on stdout and no
/// secret anywhere.
pub fn fails(o: &Output, code: i32, want: &str) {
    let err = stderr(o);
    assert_eq!(
        o.status.code(),
        Some(code),
        "stderr: {err}\nstdout: {}",
        stdout(o)
    );
    assert!(err.contains(want), "want {want:?} in stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("mfa-session: error: "), "{err}");
    assert_eq!(stdout(o), "", "nothing on stdout on failure");
    assert_no_secret(&err);
}

/// Fails if any secret the tests use appears in `text`.
pub fn assert_no_secret(text: &str) {
    for secret in [
        LONG_TERM_SECRET,
        MOTO_SESSION_SECRET,
        MOTO_SESSION_TOKEN_PREFIX,
    ] {
        assert!(!text.contains(secret), "secret leaked: {text}");
    }
}

/// Parses credential_process output, checking the contract.
pub fn parse_process_output(out: &str) -> serde_json::Value {
    assert_eq!(out.lines().count(), 1, "one line of JSON: {out}");
    let v: serde_json::Value = serde_json::from_str(out).unwrap();
    assert_eq!(v["Version"], 1);
    for k in [
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
    ] {
        assert!(v[k].as_str().is_some_and(|s| !s.is_empty()), "{k} in {out}");
    }
    let exp = v["Expiration"].as_str().unwrap();
    assert!(exp.ends_with('Z'), "{exp}");
    chrono::DateTime::parse_from_rfc3339(exp).unwrap();
    v
}
