//! The checks that need no AWS call: the install, the environment, the clock (given AWS's
//! time) and mfa-session's own files.

use super::{Report, Status};
use crate::ctx::Ctx;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Both binaries side by side, of the same build.
pub fn install(r: &mut Report, version: &str) {
    let Some(front) = crate::paths::front_path().filter(|p| p.ends_with("mfa-session")) else {
        r.add(
            Status::Fail,
            "install",
            "mfa-session (the front) is not beside mfa-session-full: install both binaries in one directory",
        );
        return;
    };
    match r.version_of(&front.to_string_lossy()) {
        Some(v) if v == version => r.add(
            Status::Ok,
            "install",
            format!(
                "mfa-session and mfa-session-full side by side in {} ({v})",
                front.parent().unwrap_or(Path::new("/")).display()
            ),
        ),
        Some(v) => r.add(
            Status::Fail,
            "install",
            format!(
                "{} is {v}, but mfa-session-full beside it is {version}: install both from one build",
                front.display()
            ),
        ),
        None => r.add(
            Status::Fail,
            "install",
            format!("{} does not run: reinstall both binaries", front.display()),
        ),
    }
}

/// `PROGRAM --version`'s version, if it is an mfa-session.
pub(super) fn version_of(program: &str) -> Option<String> {
    let out = crate::env::child(program)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .strip_prefix("mfa-session ")
        .filter(|_| out.status.success())
        .map(str::to_owned)
}

/// Variables that override profiles, and an `AWS_PROFILE` that names none.
pub fn environment(r: &mut Report, ctx: &Ctx) {
    let mut clean = true;
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ] {
        if ctx.env.get(var).is_some() && ctx.env.get(crate::env::PROFILE_VAR).is_none() {
            clean = false;
            r.add(
                Status::Warn,
                "environment",
                format!("{var} is set: AWS calls without --profile use it, not any profile's credential_process: unset it"),
            );
        }
    }
    if let Some(p) = ctx.env.get("AWS_PROFILE") {
        clean = false;
        r.add(
            Status::Ok,
            "environment",
            format!("AWS_PROFILE={p}: calls without --profile use profile '{p}'"),
        );
    }
    if clean {
        r.add(
            Status::Ok,
            "environment",
            "no AWS_ACCESS_KEY_ID, AWS_SESSION_TOKEN or AWS_PROFILE overrides",
        );
    }
}

/// This clock against AWS's (TOTP codes fail beyond about 30 s).
pub fn clock(r: &mut Report, skew: i64) {
    let how = |s: i64| {
        format!(
            "this clock is {}s {} AWS's",
            s.abs(),
            if s > 0 { "ahead of" } else { "behind" }
        )
    };
    match skew.abs() {
        0..=10 => r.add(
            Status::Ok,
            "clock",
            format!("within {}s of AWS's (the Date of STS's reply)", skew.abs()),
        ),
        11..=30 => r.add(
            Status::Warn,
            "clock",
            format!(
                "{}: TOTP codes fail beyond about 30 s; sync it (timedatectl set-ntp true)",
                how(skew)
            ),
        ),
        _ => r.add(
            Status::Fail,
            "clock",
            format!(
                "{}: TOTP codes fail beyond about 30 s; sync it (timedatectl set-ntp true)",
                how(skew)
            ),
        ),
    }
}

/// The cache directory and the encrypted secrets file: ours, and closed to others.
pub fn own_files(r: &mut Report, ctx: &Ctx) {
    let uid = crate::private_file::euid();
    let mut paths = Vec::new();
    if let Ok(dir) = crate::paths::cache_dir(&ctx.env) {
        for sub in ["", "sessions", "profiles", "steps"] {
            let d = if sub.is_empty() {
                dir.clone()
            } else {
                dir.join(sub)
            };
            if let Ok(entries) = std::fs::read_dir(&d) {
                paths.push((d.clone(), 0o700));
                for e in entries.flatten() {
                    let p = e.path();
                    if p.is_file() && !p.ends_with("CACHEDIR.TAG") {
                        paths.push((p, 0o600));
                    }
                }
            }
        }
    }
    if ctx.secrets.label() != "keyring"
        && let Ok(file) = crate::paths::secrets_file(&ctx.env)
        && file.exists()
    {
        paths.push((file, 0o600));
    }
    let bad: Vec<String> = paths
        .iter()
        .filter_map(|(p, want)| {
            let m = std::fs::symlink_metadata(p).ok()?;
            let mode = m.mode() & 0o777;
            (m.uid() != uid || mode & 0o077 != 0 || m.file_type().is_symlink()).then(|| {
                format!(
                    "{} (mode {mode:o}, owner {}; want {want:o}, yours)",
                    p.display(),
                    m.uid()
                )
            })
        })
        .collect();
    if bad.is_empty() {
        r.add(
            Status::Ok,
            "files",
            format!(
                "mfa-session's own files are yours and private ({} checked)",
                paths.len()
            ),
        );
    } else {
        r.add(
            Status::Fail,
            "files",
            format!("open to others or not yours: {}: chmod them (700 directories, 600 files) or `mfa-session clear --all`", bad.join(", ")),
        );
    }
}
