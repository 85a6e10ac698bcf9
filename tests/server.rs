//! The local credential endpoint (issue 13): `exec --server` and `server`, read by the real AWS
//! CLI and boto3 through AWS_CONTAINER_CREDENTIALS_FULL_URI; no keys in the child's environment;
//! a session that expires while the child runs is refreshed without restarting it; wrong tokens
//! refused; no CPU while idle with an expired session.

mod common;
use common::*;
use std::io::{BufRead, Read, Write};

fn get(url: &str, token: Option<&str>) -> (u16, String) {
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let auth = token
        .map(|t| format!("Authorization: {t}\r\n"))
        .unwrap_or_default();
    write!(s, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    (
        out[9..12].parse().unwrap(),
        out.split("\r\n\r\n").nth(1).unwrap_or("").to_owned(),
    )
}

/// User plus system CPU time of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
fn exec_server_feeds_the_aws_cli_and_boto3_with_no_keys_in_the_child() {
    let t = TestEnv::new("srvexec");
    let arn = create_role("srvexec-admin", true, 3600);
    t.write_config(&format!(
        "[profile admin]\nmfa_session_role_arn = {arn}\nmfa_session_role_source = work\nregion = eu-west-1\n"
    ));
    let script = format!(
        "'{py}' -m awscli sts get-caller-identity --output text --query Account && \
         '{py}' -c \"import boto3; print(boto3.Session().client('sts').get_caller_identity()['Arn'])\" && \
         tr '\\0' '\\n' < /proc/$$/environ; exit 3",
        py = python()
    );
    let out = run(&mut t.with_tty(
        &["123456"],
        BIN,
        &["exec", "--server", "-p", "work", "--", "sh", "-c", &script],
    ));
    assert_eq!(
        out.status.code(),
        Some(3),
        "the command's status: {}",
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(text.starts_with("123456789012\n"), "{text}");
    assert!(
        text.contains("AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:"),
        "{text}"
    );
    assert!(
        text.contains("AWS_CONTAINER_AUTHORIZATION_TOKEN="),
        "{text}"
    );
    for var in [
        "AWS_ACCESS_KEY_ID=",
        "AWS_SECRET_ACCESS_KEY=",
        "AWS_SESSION_TOKEN=",
        "MFA_SESSION_PASSPHRASE",
    ] {
        assert!(
            !text.contains(var),
            "{var} in the child's environment: {text}"
        );
    }
    assert_no_secret(&text);
    // A role profile is served alike.
    let script = format!(
        "'{}' -c \"import boto3; print(boto3.Session().client('sts').get_caller_identity()['Arn'])\"",
        python()
    );
    let out = run(&mut t.mfa(&["exec", "--server", "-p", "admin", "--", "sh", "-c", &script]));
    assert!(
        ok(&out).contains(":assumed-role/srvexec-admin/"),
        "{}",
        stderr(&out)
    );
    assert_eq!(sts_calls(&t.key_id), 1);
}

#[test]
fn a_session_expiring_while_the_child_runs_is_refreshed_without_restarting_it() {
    let t = TestEnv::new("srvrefresh");
    let clock = t.tmp.path().join("now");
    std::fs::write(&clock, at(unix_now())).unwrap();
    let counter = t.tmp.path().join("n");
    std::fs::write(&counter, "400000").unwrap();
    // Codes from a counter (each used once), so the refresh needs no terminal.
    t.write_config(&format!(
        "duration_seconds = 3600\nmfa_process = n=$(cat '{c}'); echo $((n+1)) > '{c}.t' && mv '{c}.t' '{c}'; echo $n\n",
        c = counter.display()
    ));
    let (go, moved) = (t.tmp.path().join("go"), t.tmp.path().join("moved"));
    let child = format!(
        "import boto3, os, time\n\
         def fetch():\n    c = boto3.Session().get_credentials()\n    return c._expiry_time.isoformat() if hasattr(c, '_expiry_time') else '', c.get_frozen_credentials().access_key\n\
         print(os.getpid(), *fetch(), flush=True)\n\
         open('{go}', 'w').close()\n\
         while not os.path.exists('{moved}'): time.sleep(0.05)\n\
         print(os.getpid(), *fetch(), flush=True)\n",
        go = go.display(),
        moved = moved.display()
    );
    let mut cmd = t.mfa(&[
        "exec",
        "--server",
        "-p",
        "work",
        "--",
        python(),
        "-c",
        &child,
    ]);
    cmd.env("MFA_SESSION_TEST_NOW_FILE", &clock)
        .stdout(std::process::Stdio::piped());
    let proc = cmd.spawn().unwrap();
    while !go.exists() {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(sts_calls(&t.key_id), 1);
    // 45 minutes later: inside the hour-long session's refresh margin.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(&clock, at(unix_now() + 45 * 60)).unwrap();
    std::fs::write(&moved, "").unwrap();
    let out = proc.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split(' ').collect()).collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0][0], lines[1][0], "the same child process");
    assert_ne!(
        lines[0][1], lines[1][1],
        "a new expiry after the refresh: {text}"
    );
    assert_eq!(sts_calls(&t.key_id), 2, "refreshed once, by the endpoint");
}

#[test]
fn the_server_refuses_wrong_tokens_says_why_it_cannot_refresh_and_idles_without_cpu() {
    let t = TestEnv::new("srvidle");
    ok(&run(&mut t.with_tty(
        &["123456"],
        BIN,
        &["credential-process", "-p", "work"],
    )));
    let clock = t.tmp.path().join("now");
    std::fs::write(&clock, at(unix_now())).unwrap();
    let mut cmd = t.mfa(&["server", "-p", "work"]);
    cmd.env("MFA_SESSION_TEST_NOW_FILE", &clock)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut server = cmd.spawn().unwrap();
    let mut lines = std::io::BufReader::new(server.stdout.take().unwrap()).lines();
    let url = lines
        .next()
        .unwrap()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    let token = lines
        .next()
        .unwrap()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    assert_eq!(token.len(), 64);
    let (status, body) = get(&url, Some(&token));
    assert_eq!(status, 200, "{body}");
    let creds: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(creds["AccessKeyId"], "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(get(&url, None).0, 403);
    assert_eq!(get(&url, Some(&token[..63])).0, 403);
    // Expired, and no terminal to ask a code on: an error the SDKs show, not a hang or a spin.
    std::fs::write(&clock, at(unix_now() + 13 * 3600)).unwrap();
    let (status, body) = get(&url, Some(&token));
    assert_eq!(status, 500);
    assert!(body.contains("no terminal"), "{body}");
    let pid = server.id();
    let before = cpu_ticks(pid);
    std::thread::sleep(std::time::Duration::from_secs(3));
    let used = cpu_ticks(pid) - before;
    assert!(used <= 2, "{used} ticks of CPU in 3 s idle");
    server.kill().unwrap();
    server.wait().unwrap();
}

/// Whether a process is gone (a zombie nobody reaped counts as gone: it runs nothing).
fn gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .unwrap()
            .trim_start()
            .starts_with('Z'),
    }
}

#[test]
fn the_command_of_exec_server_dies_when_mfa_session_is_killed() {
    let t = TestEnv::new("srvorphan");
    ok(&run(&mut t.with_tty(
        &["123456"],
        BIN,
        &["credential-process", "-p", "work"],
    )));
    let pidfile = t.tmp.path().join("pid");
    let script = format!("echo $$ > '{}'; sleep 60", pidfile.display());
    let mut cmd = std::process::Command::new(BIN);
    cmd.args(["exec", "--server", "-p", "work", "--", "sh", "-c", &script]);
    t.apply_env(&mut cmd);
    cmd.stdin(std::process::Stdio::null());
    let mut ours = cmd.spawn().unwrap();
    let started = std::time::Instant::now();
    let child: i32 = loop {
        if let Some(pid) = std::fs::read_to_string(&pidfile)
            .ok()
            .and_then(|s| s.trim().parse().ok())
        {
            break pid;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the command never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(!gone(child));
    ours.kill().unwrap();
    ours.wait().unwrap();
    let killed = std::time::Instant::now();
    while !gone(child) {
        if killed.elapsed() > std::time::Duration::from_secs(2) {
            // Leave nothing behind, then fail.
            let _ = std::process::Command::new("kill")
                .args(["-9", &child.to_string()])
                .status();
            panic!("the command outlived mfa-session by 2 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn the_line_typed_after_the_mfa_code_reaches_the_command_of_exec_server() {
    let t = TestEnv::new("srvtty");
    let log = t.tmp.path().join("tty.log");
    // The code and the line for the command typed at once, as a quick typist would: whatever
    // is left reading the terminal after the question would take the second line.
    let mut cmd = std::process::Command::new(python());
    cmd.arg(harness("pty_run.py"))
        .args(["--stdio", "--timeout", "15", "--tty-log"])
        .arg(&log)
        .args(["--answer", "123456\nhello child", "--", BIN])
        .args(["exec", "--server", "-p", "work", "--", "sh", "-c"])
        .arg("read line; echo \"child got: $line\"");
    t.apply_env(&mut cmd);
    cmd.stdin(std::process::Stdio::null());
    let out = run(&mut cmd);
    let shown = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(shown.contains("child got: hello child"), "{shown}");
    assert_no_secret(&shown);
}

/// Starts `server -p work` on a cached session: (the process, its URL, its token).
fn start_server(t: &TestEnv) -> (std::process::Child, String, String) {
    ok(&run(&mut t.with_tty(
        &["123456"],
        BIN,
        &["credential-process", "-p", "work"],
    )));
    let mut cmd = t.mfa(&["server", "-p", "work"]);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut server = cmd.spawn().unwrap();
    let mut lines = std::io::BufReader::new(server.stdout.take().unwrap()).lines();
    let mut value = || {
        let line = lines.next().unwrap().unwrap();
        line.split_once('=').unwrap().1.to_owned()
    };
    let (url, token) = (value(), value());
    (server, url, token)
}

#[test]
fn two_hundred_trickling_connections_cannot_keep_boto3_from_its_credentials() {
    let t = TestEnv::new("srvjam");
    let (mut server, url, token) = start_server(&t);
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    // 200 connections without the token, each sending one byte of a never-ending request every
    // 100 ms, and opened again as soon as the endpoint closes it.
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let reopened = std::sync::Arc::new(AtomicU64::new(0));
    let (stop2, reopened2, addr2) = (stop.clone(), reopened.clone(), addr.clone());
    let attacker = std::thread::spawn(move || {
        let open = || {
            let mut s = std::net::TcpStream::connect(&addr2).unwrap();
            s.write_all(b"GET / HTTP/1.1\r\nX-Slow: ").unwrap();
            s
        };
        let mut conns: Vec<_> = (0..200).map(|_| open()).collect();
        while !stop2.load(SeqCst) {
            for c in conns.iter_mut() {
                if c.write_all(b"a").is_err() {
                    *c = open();
                    reopened2.fetch_add(1, SeqCst);
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    });
    // Until the endpoint is full and the attacker reopens what it closes (at most 10 s).
    let warm = std::time::Instant::now();
    while reopened.load(SeqCst) < 100 && warm.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        reopened.load(SeqCst) >= 100,
        "the attack never filled the endpoint"
    );
    let threads = std::fs::read_dir(format!("/proc/{}/task", server.id()))
        .unwrap()
        .count();
    // boto3's container provider, ten times, each a fresh session (nothing cached in between).
    let script = "import boto3, time\n\
        ok = 0\n\
        for _ in range(10):\n    c = boto3.Session().get_credentials()\n    \
        if c.method == 'container-role' and c.get_frozen_credentials().access_key: ok += 1\n\
        print(ok)\n";
    let mut py = std::process::Command::new(python());
    py.args(["-c", script]);
    t.apply_env(&mut py);
    py.env("AWS_CONTAINER_CREDENTIALS_FULL_URI", &url)
        .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", &token)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let started = std::time::Instant::now();
    let mut child = py.spawn().unwrap();
    let out = loop {
        if child.try_wait().unwrap().is_some() {
            break child.wait_with_output().unwrap();
        }
        if started.elapsed() > std::time::Duration::from_secs(30) {
            child.kill().unwrap();
            break child.wait_with_output().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let took = started.elapsed();
    stop.store(true, SeqCst);
    attacker.join().unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    let got = stdout(&out);
    eprintln!(
        "boto3 calls that got credentials: {} of 10 in {took:?}; attacker connections reopened: {}; endpoint threads under attack: {threads}",
        got.trim(),
        reopened.load(SeqCst)
    );
    assert_eq!(got.trim(), "10", "{}", stderr(&out));
    assert!(took < std::time::Duration::from_secs(20), "{took:?}");
}
