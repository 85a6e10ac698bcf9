//! The `mfa_process` code source: a command whose stdout is the code, run under one deadline.

use super::{IN_PROCESS_VAR, OneTimeCode, Origin};
use crate::error::Error;
use crate::secret::Secret;
use crate::tty::parse_code;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Runs `mfa_process` with `sh -c` (like aws-vault); its stdout is the code. Logged by its
/// program name only.
pub fn run_process(cmd: &str, timeout: Duration, step_start: u64) -> Result<OneTimeCode, Error> {
    let program = program_name(cmd);
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

/// The program an `mfa_process` runs, for messages: its first word that is not a variable
/// assignment (`TOKEN=secret ykman ...` shows `ykman`, never the assignment), skipping `env`
/// and its options; `mfa_process` when there is none.
pub fn program_name(cmd: &str) -> String {
    let is_assignment = |w: &str| {
        w.split_once('=').is_some_and(|(name, _)| {
            !name.is_empty()
                && !name.starts_with(|c: char| c.is_ascii_digit())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
    };
    cmd.split_whitespace()
        .map(|w| w.trim_matches(['\'', '"']))
        .find(|w| !is_assignment(w) && *w != "env" && !w.starts_with('-') && !w.is_empty())
        .filter(|w| !w.contains('='))
        .unwrap_or("mfa_process")
        .to_owned()
}

/// Starts `sh -c cmd` in a process group of its own (so the deadline kills whatever it started
/// too), with stdout piped, no stdin, and none of our secret variables.
fn spawn(cmd: &str) -> std::io::Result<Child> {
    let mut command = crate::env::child("sh");
    command
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .env(IN_PROCESS_VAR, "1")
        .process_group(0);
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
        // The code is read: whatever the command left running in the background (holding the
        // caller's stderr open, so `aws` would wait for it) goes with its group.
        Ok(out) => {
            kill_group(&mut child);
            Ok((status, out))
        }
        Err(_) => {
            kill_group(&mut child);
            Err(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::program_name;

    #[test]
    fn the_program_is_shown_never_an_assignment() {
        for (cmd, shown) in [
            ("ykman oath accounts code -s aws", "ykman"),
            ("TOKEN=s3cret ykman oath", "ykman"),
            ("A=1 B=two /usr/bin/op item get x", "/usr/bin/op"),
            ("env -i PASS=hunter2 gopass otp aws", "gopass"),
            ("'/opt/my tool' --code", "/opt/my"),
            ("SECRET=abc", "mfa_process"),
            ("", "mfa_process"),
        ] {
            assert_eq!(program_name(cmd), shown, "{cmd}");
        }
    }
}
