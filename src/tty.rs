//! The MFA code typed at the controlling terminal (`/dev/tty`), never stdin or stderr: the AWS
//! CLI runs a credential process with stderr captured and stdin not always a terminal.

use crate::error::Error;
use crate::secret::Secret;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// How many malformed codes are tolerated before giving up.
const ATTEMPTS: usize = 3;

/// What to show at the prompt.
pub struct PromptInfo<'a> {
    /// The profile the code is for.
    pub profile: &'a str,
    /// The MFA device.
    pub mfa_serial: &'a str,
    /// How long the user has.
    pub timeout: Duration,
}

/// Checks an MFA code: exactly six ASCII digits.
pub fn parse_code(input: &str) -> Result<Secret, &'static str> {
    let code = input.trim();
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(Secret::new(code))
    } else if code.is_empty() {
        Err("no code was entered")
    } else {
        Err("an MFA code is 6 digits")
    }
}

/// Asks for the code on the controlling terminal, re-asking on a malformed one, within the
/// timeout. Fails at once when the process has no terminal.
pub fn ask_code(info: &PromptInfo<'_>) -> Result<Secret, Error> {
    let tty = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|_| {
            Error::MfaCode(format!(
                "no terminal to ask for the MFA code of profile '{}': run `mfa-session exec -p {} -- true` in a terminal first, or run this from a terminal",
                info.profile, info.profile
            ))
        })?;
    let mut out = &tty;
    let deadline = Instant::now() + info.timeout;
    for attempt in 0..ATTEMPTS {
        let left = deadline.saturating_duration_since(Instant::now());
        // One write, so the terminal never shows half a prompt (or typed text inside one).
        let prompt = format!(
            "MFA code for {} (profile {}, {}s left): ",
            info.mfa_serial,
            info.profile,
            left.as_secs_f64().ceil() as u64
        );
        let _ = out.write_all(prompt.as_bytes());
        let _ = out.flush();
        let line = match read_line(&tty, deadline) {
            Ok(line) => line,
            Err(NoLine::Closed) => {
                return Err(Error::MfaCode(
                    "the terminal closed before an MFA code was entered".into(),
                ));
            }
            Err(NoLine::TimedOut) => {
                let _ = writeln!(out);
                return Err(Error::MfaCode(format!(
                    "no MFA code entered within {}s: run the command again and type the code from your device",
                    info.timeout.as_secs()
                )));
            }
        };
        match parse_code(line.expose()) {
            Ok(code) => return Ok(code),
            Err(why) if attempt + 1 < ATTEMPTS => {
                let _ = writeln!(out, "{why}, try again");
            }
            Err(why) => {
                return Err(Error::MfaCode(format!(
                    "{why}: type the 6 digits your MFA device shows"
                )));
            }
        }
    }
    unreachable!("the loop returns on its last attempt")
}

/// Writes one line of progress on the controlling terminal; with none, on stderr only when
/// `or_stderr` (botocore shows stderr only on failure, so routine progress stays off it).
pub fn note(msg: &str, or_stderr: bool) {
    match OpenOptions::new().write(true).open("/dev/tty") {
        Ok(mut tty) => {
            let _ = writeln!(tty, "{msg}");
        }
        Err(_) if or_stderr => eprintln!("mfa-session: {msg}"),
        Err(_) => {}
    }
}

/// Asks `question` on the controlling terminal and reads one visible line; `None` with no
/// terminal or no answer.
pub fn ask_line(question: &str) -> Option<String> {
    let mut tty = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok()?;
    write!(tty, "{question}").ok()?;
    tty.flush().ok()?;
    let mut line = String::new();
    BufReader::new(tty).read_line(&mut line).ok()?;
    Some(line.trim().to_owned())
}

/// Asks a yes/no question on the terminal, the answer shown as it is typed: `Some(true)` for
/// y/yes, `None` with no terminal to ask on.
pub fn confirm(question: &str) -> Option<bool> {
    ask_line(&format!("{question} [y/N] "))
        .map(|a| a.eq_ignore_ascii_case("y") || a.eq_ignore_ascii_case("yes"))
}

/// Why no line came.
enum NoLine {
    /// The deadline passed.
    TimedOut,
    /// The terminal closed (or failed).
    Closed,
}

/// Longest line kept; the rest of a longer one is read and dropped, so it reaches nobody.
const MAX_LINE: usize = 256;

/// Reads one line from the terminal by the deadline, on this thread: poll(2) for the time left,
/// then read(2), which on a terminal in canonical mode returns at most one line. Nothing is
/// left reading once the question is answered, so the next line typed (the `yes` a child
/// of `exec --server` waits for) goes to whoever asks for it next.
fn read_line(tty: &File, deadline: Instant) -> Result<Secret, NoLine> {
    use std::os::fd::AsRawFd;
    let mut line = Zeroizing::new(Vec::with_capacity(MAX_LINE));
    let mut buf = Zeroizing::new([0u8; MAX_LINE]);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(NoLine::TimedOut);
        }
        let mut fds = libc::pollfd {
            fd: tty.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = libc::c_int::try_from(left.as_millis().max(1)).unwrap_or(libc::c_int::MAX);
        // SAFETY: one valid pollfd, for the length given; the fd stays open for the call.
        match unsafe { libc::poll(&mut fds, 1, ms) } {
            0 => continue,
            n if n < 0 => match std::io::Error::last_os_error().kind() {
                std::io::ErrorKind::Interrupted => continue,
                _ => return Err(NoLine::Closed),
            },
            _ => {}
        }
        // SAFETY: reads at most buf.len() bytes into buf, which outlives the call.
        let n = unsafe { libc::read(fds.fd, buf.as_mut_ptr().cast(), buf.len()) };
        let n = match usize::try_from(n) {
            Ok(0) => return Err(NoLine::Closed),
            Ok(n) => n,
            Err(_) if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted => {
                continue;
            }
            Err(_) => return Err(NoLine::Closed),
        };
        let got = &buf[..n];
        if line.len() + n <= MAX_LINE {
            line.extend_from_slice(got);
        }
        // A read short of the buffer without a newline is a line ended by Ctrl-D.
        if got.ends_with(b"\n") || n < buf.len() {
            return Ok(Secret::new(String::from_utf8_lossy(&line).into_owned()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits() {
        assert_eq!(parse_code("123456\n").unwrap().expose(), "123456");
        assert_eq!(parse_code("  000001 ").unwrap().expose(), "000001");
        for bad in ["12345", "1234567", "12a456", "12 456", "", "１２３４５６"] {
            assert!(parse_code(bad).is_err(), "{bad:?}");
        }
    }
}
