//! Files only this user may read: atomic replacement (temp file, fsync, rename, directory
//! fsync), a reader that refuses anything odd, and private directories. Used by the session
//! cache, the encrypted secrets file and the edits of the user's AWS files.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Private files larger than this are not ours: refused without reading them.
pub const MAX_PRIVATE_BYTES: u64 = 64 * 1024;

/// The tag a directory mfa-session made carries (the Cache Directory Tagging standard, so
/// backup tools skip it); only a tagged directory is ever repaired.
pub const TAG_NAME: &str = "CACHEDIR.TAG";
const TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n# This directory holds mfa-session's cache; it is re-created as needed.\n";

/// Why a private file could not be read.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadError {
    /// There is no such file.
    Missing,
    /// A file that must not be trusted (symlink, not ours, open to others, huge, not a file).
    Refused(String),
    /// The file could not be read.
    Unreadable(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Missing => f.write_str("no such file"),
            ReadError::Refused(why) | ReadError::Unreadable(why) => f.write_str(why),
        }
    }
}

/// Reads a file only if it is a regular file, ours, private and small. Never follows a symlink.
pub fn read_private_file(path: &Path) -> Result<Vec<u8>, ReadError> {
    let refused = |why: &str| ReadError::Refused(format!("{} {why}: refused", path.display()));
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => ReadError::Missing,
            _ if e.raw_os_error() == Some(libc::ELOOP) => refused("is a symlink"),
            _ => ReadError::Unreadable(format!("cannot read {}: {}", path.display(), e.kind())),
        })?;
    let meta = file
        .metadata()
        .map_err(|e| ReadError::Unreadable(e.to_string()))?;
    if !meta.is_file() {
        return Err(refused("is not a regular file"));
    }
    if meta.uid() != euid() {
        return Err(refused("belongs to another user"));
    }
    if meta.mode() & 0o077 != 0 {
        return Err(refused("is readable by others"));
    }
    if meta.len() > MAX_PRIVATE_BYTES {
        return Err(refused("is too large to be ours"));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_PRIVATE_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::Unreadable(e.to_string()))?;
    Ok(bytes)
}

/// Atomically replaces `path` with `bytes`: a temp file of `mode` in the same directory `dir`
/// (created exclusively, never through a symlink), fsync, rename, fsync of the directory. A
/// crash at any point leaves the old file or the new one.
pub fn replace_file(dir: &Path, path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    replace_file_owned(dir, path, bytes, mode, None)
}

/// `replace_file`, also giving the new file `owner` (uid, gid) where it differs from ours.
pub fn replace_file_owned(
    dir: &Path,
    path: &Path,
    bytes: &[u8],
    mode: u32,
    owner: Option<(u32, u32)>,
) -> io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let write = || -> io::Result<()> {
        let _ = fs::remove_file(&tmp);
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode & 0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)?;
        if let Some((uid, gid)) = owner {
            let meta = f.metadata()?;
            if (meta.uid(), meta.gid()) != (uid, gid) {
                std::os::unix::fs::fchown(&f, Some(uid), Some(gid))?;
            }
        }
        // The umask narrowed the mode at creation (and the bytes were not there yet): set it now.
        f.set_permissions(fs::Permissions::from_mode(mode))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    };
    write().inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

/// Writes a new file that must not exist yet (`create_new`), `mode`, synced: for backups.
pub fn create_new_file(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    f.set_permissions(fs::Permissions::from_mode(mode))?;
    let done = f.write_all(bytes).and_then(|()| f.sync_all());
    if done.is_err() {
        let _ = fs::remove_file(path);
    }
    done
}

/// Why a directory cannot hold private files.
#[derive(Debug)]
pub enum DirError {
    /// It could not be created or inspected.
    Io(io::Error),
    /// It must not be used, and the sentence says why and what to do.
    Refused(String),
}

/// Makes `dir` a private (0700) directory of ours: creates it and missing parents 0700 (and tags
/// it as a cache when `tag`); an existing directory must be ours and not shared. One open to others is repaired only
/// when mfa-session made it (`made_by_us`), and `repaired` is told; otherwise it is refused,
/// never chmodded.
pub fn ensure_private_dir(
    dir: &Path,
    tag: bool,
    made_by_us: impl Fn(&Path) -> bool,
    repaired: impl Fn(u32),
) -> Result<(), DirError> {
    if let Some(parent) = dir.parent() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(DirError::Io)?;
    }
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) if !tag => return Ok(()),
        Ok(()) => {
            // Best effort: the tag only widens what a later run may repair.
            let _ = create_new_file(&dir.join(TAG_NAME), TAG.as_bytes(), 0o600);
            return Ok(());
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(DirError::Io(e)),
    }
    let meta = fs::symlink_metadata(dir).map_err(DirError::Io)?;
    let shown = dir.display();
    if !meta.is_dir() {
        return Err(DirError::Refused(format!(
            "{shown} is not a directory (a symlink?): remove it"
        )));
    }
    if meta.uid() != euid() {
        return Err(DirError::Refused(format!(
            "{shown} belongs to another user: use a directory of your own"
        )));
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o1000 != 0 {
        return Err(DirError::Refused(format!(
            "{shown} is a shared directory (mode {mode:o}): use a private directory of its own inside it"
        )));
    }
    if mode & 0o077 != 0 {
        if !made_by_us(dir) {
            return Err(DirError::Refused(format!(
                "{shown} is open to other users (mode {mode:o}) and mfa-session did not make it: `chmod 700 {shown}`, or use another directory"
            )));
        }
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(DirError::Io)?;
        repaired(mode);
    }
    Ok(())
}

/// Whether `dir` carries the tag of a directory mfa-session made.
pub fn is_tagged(dir: &Path) -> bool {
    fs::read(dir.join(TAG_NAME)).is_ok_and(|t| t == TAG.as_bytes())
}

/// The effective user id.
pub fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().mode() & 0o7777
    }

    #[test]
    fn only_a_directory_we_made_is_repaired_and_shared_ones_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let ours = tmp.path().join("a/ours");
        ensure_private_dir(&ours, true, is_tagged, |_| panic!("new")).unwrap();
        assert_eq!(mode(&ours), 0o700);
        assert_eq!(mode(&tmp.path().join("a")), 0o700);
        fs::set_permissions(&ours, fs::Permissions::from_mode(0o755)).unwrap();
        let told = std::cell::Cell::new(0);
        ensure_private_dir(&ours, true, is_tagged, |m| told.set(m)).unwrap();
        assert_eq!((mode(&ours), told.get()), (0o700, 0o755));

        let foreign = tmp.path().join("foreign");
        fs::create_dir(&foreign).unwrap();
        fs::set_permissions(&foreign, fs::Permissions::from_mode(0o755)).unwrap();
        let Err(DirError::Refused(why)) = ensure_private_dir(&foreign, true, is_tagged, |_| {})
        else {
            panic!("foreign dir accepted")
        };
        assert!(why.contains("did not make it"), "{why}");
        assert_eq!(mode(&foreign), 0o755);

        let shared = tmp.path().join("shared");
        fs::create_dir(&shared).unwrap();
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).unwrap();
        let Err(DirError::Refused(why)) = ensure_private_dir(&shared, false, |_| true, |_| {})
        else {
            panic!("sticky dir accepted")
        };
        assert!(why.contains("shared directory (mode 1777)"), "{why}");
        assert_eq!(mode(&shared), 0o1777);
    }

    #[test]
    fn replace_keeps_the_mode_asked_for_whatever_the_umask() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("f");
        replace_file(tmp.path(), &p, b"x", 0o640).unwrap();
        assert_eq!(mode(&p), 0o640);
        assert_eq!(fs::read(&p).unwrap(), b"x");
        create_new_file(&tmp.path().join("b"), b"y", 0o600).unwrap();
        assert!(create_new_file(&tmp.path().join("b"), b"z", 0o600).is_err());
        assert_eq!(fs::read(tmp.path().join("b")).unwrap(), b"y");
    }
}
