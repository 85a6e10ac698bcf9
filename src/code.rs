//! MFA code sources, in the documented order: the TOTP seed in the keyring, then the profile's
//! `mfa_process`, then the terminal prompt. `mfa_code_source` forces one.

use crate::config::{ForcedSource, ProfileConfig};
use crate::error::Error;
use crate::secret::Secret;
use crate::secrets::Item;
use crate::session::Ctx;
use crate::totp::Seed;
use crate::tty::{PromptInfo, parse_code};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Set in the environment of `mfa_process` commands, so a command that runs mfa-session again
/// is caught instead of looping.
pub const IN_PROCESS_VAR: &str = "MFA_SESSION_IN_MFA_PROCESS";

/// Where a code came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Typed at the terminal.
    Typed,
    /// Printed by `mfa_process`.
    Process,
    /// Generated from the seed for this time step.
    Generated(u64),
}

/// An MFA code and its origin.
#[derive(Debug)]
pub struct Code {
    /// The six digits.
    pub value: Secret,
    /// Where they came from.
    pub origin: Origin,
}

/// Gets a code for the profile's device from the first source that has one.
pub fn get_code(ctx: &Ctx, cfg: &ProfileConfig) -> Result<Code, Error> {
    let forced = cfg.code_source;
    let name = &cfg.name;
    if matches!(forced, None | Some(ForcedSource::Seed)) {
        match ctx.secrets.get(name, Item::Seed) {
            Ok(Some(stored)) => return generated(ctx, cfg, &Seed::parse(stored.expose())?),
            Ok(None) if forced.is_some() => {
                return Err(Error::MfaCode(format!(
                    "profile '{name}' has mfa_code_source = seed but no seed is stored: run `mfa-session seed set {name}`"
                )));
            }
            Err(e) if forced.is_some() => return Err(e),
            Ok(None) => ctx.log("no TOTP seed stored"),
            Err(e) => ctx.log(format_args!("no TOTP seed: {e}")),
        }
    }
    if matches!(forced, None | Some(ForcedSource::Process)) {
        match &cfg.mfa_process {
            Some(cmd) => return run_process(cmd, ctx.process_timeout),
            None if forced.is_some() => {
                return Err(Error::Config(format!(
                    "profile '{name}' has mfa_code_source = process but no mfa_process: add `mfa_process = COMMAND` printing the code"
                )));
            }
            None => {}
        }
    }
    let info = PromptInfo {
        profile: name,
        mfa_serial: &cfg.mfa_serial,
        timeout: ctx.prompt_timeout,
    };
    let value = ctx.codes.code(&info)?;
    Ok(Code {
        value,
        origin: Origin::Typed,
    })
}

/// The code of the current step, unless that step's code was already used for this device:
/// AWS accepts each code once, so then the next step's code, after waiting for it.
fn generated(ctx: &Ctx, cfg: &ProfileConfig, seed: &Seed) -> Result<Code, Error> {
    let now = u64::try_from(ctx.clock.now().timestamp()).unwrap_or(0);
    let mut step = seed.step_at(now);
    if let Some(last) = ctx.store.last_step(&cfg.mfa_serial)
        && step <= last
    {
        let wait = (last + 1) * seed.period() - now;
        if wait > 2 * seed.period() {
            return Err(Error::MfaCode(format!(
                "the last code used for {} was for a time {wait}s ahead of this clock: is the clock right? (timedatectl set-ntp true)",
                cfg.mfa_serial
            )));
        }
        ctx.codes.progress(
            &format!(
                "the current code for {} was already used: waiting {wait}s for the next one...",
                cfg.mfa_serial
            ),
            true,
        );
        std::thread::sleep(Duration::from_secs(wait));
        step = last + 1;
    }
    Ok(Code {
        value: seed.code_for_step(step),
        origin: Origin::Generated(step),
    })
}

/// Runs `mfa_process` with `sh -c` (like aws-vault); its stdout is the code. Logged by its
/// program name only.
fn run_process(cmd: &str, timeout: Duration) -> Result<Code, Error> {
    let program = cmd
        .split_whitespace()
        .next()
        .unwrap_or("mfa_process")
        .to_owned();
    let fail = |why: String| Error::MfaCode(format!("mfa_process ({program}) {why}"));
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .env(IN_PROCESS_VAR, "1")
        // Its own process group, so a timeout kills whatever it started too (an orphan would
        // hold our stderr open and keep the caller waiting).
        .process_group(0);
    for k in crate::env::SECRET_VARS {
        command.env_remove(k);
    }
    die_with_parent(&mut command);
    let mut child = command
        .spawn()
        .map_err(|e| fail(format!("could not start ({}): check the command", e.kind())))?;
    let mut stdout = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.by_ref().take(4096).read_to_end(&mut out);
        let _ = tx.send(out);
    });
    // One deadline for the command and its output: a background process it left holding the
    // pipe open does not extend it.
    let deadline = Instant::now() + timeout;
    let kill_group = |child: &mut std::process::Child| {
        let group = i32::try_from(child.id()).map_or(0, |pid| -pid);
        // SAFETY: kill(2) with a negative pid signals that process group; no memory involved.
        unsafe { libc::kill(group, libc::SIGKILL) };
        let _ = child.kill();
        let _ = child.wait();
    };
    let late = || {
        fail(format!(
            "gave no code within {}s: check that it does not wait for input or leave a process running",
            timeout.as_secs()
        ))
    };
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| fail(e.to_string()))? {
            break status;
        }
        if Instant::now() >= deadline {
            kill_group(&mut child);
            return Err(late());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let left = deadline.saturating_duration_since(Instant::now());
    let Ok(out) = rx.recv_timeout(left) else {
        kill_group(&mut child);
        return Err(late());
    };
    let out = Secret::new(String::from_utf8_lossy(&out).into_owned());
    if !status.success() {
        return Err(fail(format!(
            "failed ({status}): run it by hand to see why"
        )));
    }
    let value = parse_code(out.expose())
        .map_err(|_| fail("did not print a 6-digit code: make it print only the code".into()))?;
    Ok(Code {
        value,
        origin: Origin::Process,
    })
}

/// If we are killed (the caller gave up, SIGKILL), the command dies too instead of living on as
/// an orphan that still touches a YubiKey or a counter. Linux only; elsewhere the timeout bounds it.
#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut Command) {
    let parent = i32::try_from(std::process::id()).unwrap_or(0);
    // SAFETY: the closure runs in the child between fork and exec and calls only prctl(2) and
    // getppid(2), both async-signal-safe; it allocates nothing and touches no shared state.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl: then nobody wants the code.
            if libc::getppid() != parent {
                return Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut Command) {}

/// After AWS accepted a generated code: remember its step so it is never sent again.
pub fn record_use(ctx: &Ctx, cfg: &ProfileConfig, code: &Code) {
    if let Origin::Generated(step) = code.origin {
        ctx.store.save_step(&cfg.mfa_serial, step);
    }
}

/// AWS's refusal of a generated code most often means clock skew; say so.
pub fn explain_rejection(err: Error, cfg: &ProfileConfig, code: &Code) -> Error {
    match (err, code.origin) {
        (Error::MfaCode(_), Origin::Generated(_)) => Error::MfaCode(format!(
            "AWS rejected the code generated from the stored seed for {}: this clock may be off by more than about 30 s (sync it: timedatectl set-ntp true), or the seed is not this device's (`mfa-session seed set {}`)",
            cfg.mfa_serial, cfg.name
        )),
        (err, _) => err,
    }
}
