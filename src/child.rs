//! Child processes that must not outlive us: `mfa_process` (an orphan could still touch a
//! YubiKey or a counter) and the command of `exec --server` (an orphan would hold the
//! endpoint's token while another local user could bind the port it used).

use std::process::Command;

/// Makes `command`'s process receive SIGKILL when we die, however we die (SIGKILL included).
/// Linux only (PR_SET_PDEATHSIG); elsewhere it does nothing. The signal follows the *thread*
/// that spawns: spawn from a thread that lives as long as the process (the main thread).
#[cfg(target_os = "linux")]
pub fn die_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    let parent = i32::try_from(std::process::id()).unwrap_or(0);
    // SAFETY: the closure runs in the child between fork and exec and calls only prctl(2) and
    // getppid(2), both async-signal-safe; it allocates nothing and touches no shared state.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl: then nobody is left to serve.
            if libc::getppid() != parent {
                return Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
            }
            Ok(())
        });
    }
}

/// Makes `command`'s process receive SIGKILL when we die: not available here.
#[cfg(not(target_os = "linux"))]
pub fn die_with_parent(_command: &mut Command) {}
