//! One lock file per cache key: concurrent callers share one MFA prompt and one STS call. The
//! kernel drops an flock when its process ends, however it ends.

use super::{Store, cache_error};
use crate::error::Error;
use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::time::{Duration, Instant};

/// Why the lock could not be taken.
#[derive(Debug)]
pub enum LockError {
    /// Another process held it for too long.
    Busy(Error),
    /// The cache directory cannot be used at all.
    Unusable(Error),
}

impl Store {
    /// Takes the exclusive lock of `key`, waiting up to `wait`. The kernel drops it when the
    /// process ends, however it ends, so a crash never leaves a lock behind.
    pub fn lock(&self, key: &str, wait: Duration) -> Result<File, LockError> {
        self.ensure_private(&self.dir)
            .map_err(LockError::Unusable)?;
        let path = self.dir.join(format!("{key}.lock"));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
            .map_err(|e| LockError::Unusable(cache_error(&self.dir, &e)))?;
        let start = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(file),
                Err(fs::TryLockError::WouldBlock) if start.elapsed() < wait => {
                    std::thread::sleep(Duration::from_millis(25));
                }
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(LockError::Busy(Error::Cache(format!(
                        "another mfa-session has held the lock {} for {}s: finish or cancel its MFA prompt, then retry",
                        path.display(),
                        wait.as_secs()
                    ))));
                }
                Err(fs::TryLockError::Error(e)) => {
                    return Err(LockError::Unusable(cache_error(&self.dir, &e)));
                }
            }
        }
    }
}
