//! The `mfa_process` code source: a command whose stdout is the code, run under one deadline.

use super::{IN_PROCESS_VAR, OneTimeCode, Origin};
use crate::error::Error;
use crate::secret::Secret;
use crate::tty::parse_code;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Runs `mfa_process` with `sh -c` (like aws-vault); its stdout is the code. Logged by its
/// program name only.
pub fn run_process(cmd: &str, timeout: Duration, step_start: u64) -> Result<OneTimeCode, Error> {
    let program = cmd
        .split_whitespace()
        .next()
        .unwrap_or("mfa_process")
        .to_owned();
    let fail = |why: String| Error::MfaCode(format!("mfa_process ({program}) {why}"));
    let child = spawn(cmd)
        .map_err(|e| fail(format!("could not start ({}): check the command", e.kind())))?;
    let (status, out) = finish(child, timeout).map_err(|e| match e {
        None => fail(format!(
            "gave no code within {}s: check that it does not wait for input or leave a process running",
            timeout.as_secs()
        )),
        Some(e) => fail(e.to_string()),
    })?;
    let out = Secret::new(String::from_utf8_lossy(&out).into_owned());
    if !status.success() {
        return Err(fail(format!(
            "failed ({status}): run it by hand to see why"
        )));
    }
    let value = parse_code(out.expose())
        .map_err(|_| fail("did not print a 6-digit code: make it print only the code".into()))?;
    Ok(OneTimeCode {
        value,
        origin: Origin::Process(step_start),
    })
}

/// Starts `sh -c cmd` in a process group of its own (so the deadline kills whatever it started
/// too), with stdout piped, no stdin, and none of our secret variables.
fn spawn(cmd: &str) -> std::io::Result<Child> {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .env(IN_PROCESS_VAR, "1")
        .process_group(0);
    for k in crate::env::SECRET_VARS {
        command.env_remove(k);
    }
    // Killed with us (the caller gave up, SIGKILL): no orphan still touching a YubiKey or a
    // counter. Elsewhere than Linux the timeout bounds it.
    crate::child::die_with_parent(&mut command);
    command.spawn()
}

/// Waits for the command to exit and close its output, under one deadline: a background process
/// it left holding the pipe open does not extend it. At the deadline the whole group is killed
/// and the error is `None`.
fn finish(
    mut child: Child,
    timeout: Duration,
) -> Result<(ExitStatus, Vec<u8>), Option<std::io::Error>> {
    let mut stdout = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.by_ref().take(4096).read_to_end(&mut out);
        let _ = tx.send(out);
    });
    let deadline = Instant::now() + timeout;
    let kill_group = |child: &mut Child| {
        let group = i32::try_from(child.id()).map_or(0, |pid| -pid);
        // SAFETY: kill(2) with a negative pid signals that process group; no memory involved.
        unsafe { libc::kill(group, libc::SIGKILL) };
        let _ = child.kill();
        let _ = child.wait();
    };
    let status = loop {
        if let Some(status) = child.try_wait().map_err(Some)? {
            break status;
        }
        if Instant::now() >= deadline {
            kill_group(&mut child);
            return Err(None);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let left = deadline.saturating_duration_since(Instant::now());
    match rx.recv_timeout(left) {
        Ok(out) => Ok((status, out)),
        Err(_) => {
            kill_group(&mut child);
            Err(None)
        }
    }
}
