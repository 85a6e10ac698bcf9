//! The start of the last TOTP time step whose code AWS accepted, per device: AWS takes each code
//! once, so a code (generated, or printed by `mfa_process`) for a used step waits for the next
//! one. Kept in the cache directory (`steps/`, 0600, no secret in it) as Unix seconds.

use crate::cache::{self, Store};

/// The start (Unix seconds) of the last step used for this device, if recorded.
pub fn last_used(store: &Store, mfa_serial: &str) -> Option<u64> {
    let path = store.private_path("steps", &cache::key("step", mfa_serial));
    let bytes = crate::private_file::read_private_file(&path).ok()?;
    std::str::from_utf8(&bytes).ok()?.trim().parse().ok()
}

/// Remembers that a code of the step starting at `start` was used for this device; a failure
/// only costs a wait.
pub fn save_used(store: &Store, mfa_serial: &str, start: u64) {
    let name = cache::key("step", mfa_serial);
    if let Err(e) = store.write_private("steps", &name, start.to_string().as_bytes()) {
        eprintln!("mfa-session: warning: used-code record not written: {e}");
    }
}
