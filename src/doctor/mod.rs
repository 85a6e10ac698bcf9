//! `doctor`'s checks: what breaks people's set-ups, each found and explained with its fix. The
//! checks read the AWS files, the environment, mfa-session's own files and the secrets store,
//! and call AWS only with calls the Force_MFA policy allows without MFA (GetCallerIdentity,
//! ListMFADevices); no code is ever asked for.

use crate::config::{self, KeySource, ProfileSet};
use crate::ctx::Ctx;
use crate::iam::Iam;
use crate::secret::mask_key_id;
use serde::Serialize;

mod local;
use local::{clock, environment, install, own_files, version_of};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Fine.
    Ok,
    /// Works, but something is likely to surprise.
    Warn,
    /// Broken: the message says how to fix it.
    Fail,
}

/// One check's result: what it looked at and what it found.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// ok, warn or fail.
    pub status: Status,
    /// What was checked: "install", "environment", "files", "profile work", "cache".
    pub subject: String,
    /// What was found, and for warn and fail, the fix.
    pub message: String,
}

/// Collects checks.
#[derive(Default)]
struct Report {
    checks: Vec<Check>,
    /// `PROGRAM --version` answers, so each program runs once however many profiles name it.
    versions: std::collections::HashMap<String, Option<String>>,
}

impl Report {
    fn version_of(&mut self, program: &str) -> Option<String> {
        self.versions
            .entry(program.to_owned())
            .or_insert_with(|| version_of(program))
            .clone()
    }

    fn add(&mut self, status: Status, subject: &str, message: impl Into<String>) {
        self.checks.push(Check {
            status,
            subject: subject.to_owned(),
            message: message.into(),
        });
    }
}

/// Every check, for profile `only` or every profile mfa-session serves. `version` is this
/// binary's, which the front beside it and every `credential_process` must report too.
pub fn run(ctx: &Ctx, only: Option<&str>, version: &str) -> Vec<Check> {
    let mut r = Report::default();
    install(&mut r, version);
    environment(&mut r, ctx);
    match config::load_profiles(&ctx.env) {
        Err(e) => r.add(Status::Fail, "files", e.to_string()),
        Ok(set) => {
            r.add(
                Status::Ok,
                "files",
                format!(
                    "{} and {} parse",
                    config::config_file_path(&ctx.env).display(),
                    config::credentials_file_path(&ctx.env).display()
                ),
            );
            let names: Vec<String> = match only {
                Some(name) => vec![name.to_owned()],
                None => config::session_profiles(&set)
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
            };
            if names.is_empty() {
                r.add(
                    Status::Warn,
                    "files",
                    "no profile uses mfa-session yet: run `mfa-session add PROFILE`",
                );
            }
            let mut clock_checked = false;
            for name in &names {
                profile(&mut r, ctx, &set, name, version, &mut clock_checked);
            }
        }
    }
    own_files(&mut r, ctx);
    r.checks
}

/// One profile: its credential_process line, static keys beside it, its resolution, its keys
/// (and AWS's clock, once), its MFA device and where its codes come from.
fn profile(
    r: &mut Report,
    ctx: &Ctx,
    set: &ProfileSet,
    name: &str,
    version: &str,
    clock_checked: &mut bool,
) {
    let subject = format!("profile {name}");
    let s = subject.as_str();
    let Some(p) = set.get_profile(name) else {
        r.add(
            Status::Fail,
            s,
            format!("profile '{name}' is not in the AWS config files: add [profile {name}] to ~/.aws/config, or run `mfa-session add {name}`"),
        );
        return;
    };
    let process = p.get("credential_process");
    if let Some(line) = process {
        credential_process(r, s, name, line, version);
        if p.get("aws_access_key_id").is_some() {
            r.add(
                Status::Fail,
                s,
                format!("profile '{name}' has static keys (aws_access_key_id, in [profile {name}] of the config file or [{name}] of the credentials file) beside credential_process: the AWS CLI uses them and never asks mfa-session; move them into {} with `mfa-session add {name} --from-profile {name} --remove-plaintext`", ctx.secrets.name()),
            );
        }
    }
    let located = match crate::profile::locate(set, &ctx.env, name) {
        Ok(l) => l,
        Err(e) => return r.add(Status::Fail, s, e.to_string()),
    };
    if let Some(chain) = &located.chain {
        let role = chain.roles.last().map_or("", |r| r.role_arn.as_str());
        return r.add(
            Status::Ok,
            s,
            format!(
                "role profile: assumes {role} with the session of '{}' (checked as its own profile)",
                chain.base.name
            ),
        );
    }
    if process.is_none() {
        r.add(
            Status::Warn,
            s,
            format!("no credential_process: the AWS CLI and SDKs do not use mfa-session for '{name}' (only `mfa-session exec`/`env` do): add `credential_process = mfa-session credential-process --profile {name}`"),
        );
    }
    let cfg = located.cfg;
    if cfg.duration_seconds < 3600 {
        r.add(
            Status::Warn,
            s,
            format!(
                "duration_seconds = {}: a new MFA code every {} minutes; raise it in [profile {name}] (43200, 12 hours, is the usual)",
                cfg.duration_seconds,
                cfg.duration_seconds / 60
            ),
        );
    }
    let keys = match crate::profile::long_term_keys(set, &cfg, ctx.secrets.as_ref()) {
        Ok(k) => k,
        Err(e) => return r.add(Status::Fail, s, e.to_string()),
    };
    let place = match &cfg.keys {
        KeySource::Profile(src) => format!("[{src}] of the AWS files"),
        KeySource::Keyring(_) => ctx.secrets.name().to_owned(),
    };
    let region = cfg.sts_region();
    let id = Iam::connect(name, region, &keys).and_then(|iam| Ok((iam.identity()?, iam)));
    let (identity, iam) = match id {
        Ok(v) => v,
        Err(e) => {
            return r.add(
                Status::Fail,
                s,
                format!(
                    "the keys in {place} ({}) do not work: {e}",
                    mask_key_id(&keys.access_key_id)
                ),
            );
        }
    };
    let user = identity.user.clone().unwrap_or_default();
    r.add(
        Status::Ok,
        s,
        format!(
            "keys in {place} ({}) work: {}",
            mask_key_id(&keys.access_key_id),
            identity.arn
        ),
    );
    if !*clock_checked && let Some(aws) = identity.aws_time {
        *clock_checked = true;
        clock(r, (ctx.clock.now() - aws).num_seconds());
    }
    match iam.list_mfa_devices(&user) {
        Ok(devices) if devices.contains(&cfg.mfa_serial) => r.add(
            Status::Ok,
            s,
            format!("MFA device {} is IAM user {user}'s, and a TOTP one", cfg.mfa_serial),
        ),
        Ok(devices) => r.add(
            Status::Fail,
            s,
            format!(
                "mfa_serial {} is not one of IAM user {user}'s MFA devices ({}): set mfa_serial to one of them, or `mfa-session enroll {name}`",
                cfg.mfa_serial,
                if devices.is_empty() { "none".into() } else { devices.join(", ") }
            ),
        ),
        Err(e) => r.add(Status::Warn, s, format!("the MFA device could not be checked: {e}")),
    }
    code_source(r, ctx, s, &cfg);
}

/// The `credential_process` line runs a working mfa-session for this very profile.
fn credential_process(r: &mut Report, s: &str, name: &str, line: &str, version: &str) {
    let words: Vec<&str> = line.split_whitespace().collect();
    let Some(program) = words.first().map(|w| w.trim_matches(['\'', '"'])) else {
        return;
    };
    if !program.ends_with("mfa-session") && !program.ends_with("mfa-session-full") {
        return r.add(
            Status::Ok,
            s,
            format!("credential_process runs {program}, not mfa-session"),
        );
    }
    let asks_for = words
        .windows(2)
        .find(|w| w[0] == "--profile" || w[0] == "-p")
        .map(|w| w[1].trim_matches(['\'', '"']));
    if asks_for.is_none() {
        r.add(
            Status::Fail,
            s,
            format!(
                "credential_process of '{name}' names no profile, so AWS_PROFILE in the caller's environment would pick another profile's credentials: add --profile {name}"
            ),
        );
    } else if asks_for.is_some_and(|p| p != name) {
        r.add(
            Status::Fail,
            s,
            format!(
                "credential_process of '{name}' asks for profile '{}': make it --profile {name}",
                asks_for.unwrap_or_default()
            ),
        );
    }
    match r.version_of(program) {
        Some(v) if v == version => r.add(
            Status::Ok,
            s,
            format!("credential_process runs {program} ({v})"),
        ),
        Some(v) => r.add(
            Status::Warn,
            s,
            format!("credential_process runs {program}, which is {v}, not this {version}: point it at the one you keep up to date"),
        ),
        None => r.add(
            Status::Fail,
            s,
            format!("credential_process runs {program}, which is not found or does not run: give the full path of the installed mfa-session (`mfa-session add {name}` writes it)"),
        ),
    }
}

/// Where the profile's codes come from: the very decision the real path makes
/// (`mfa::source_of`), so doctor fails exactly the set-ups whose calls would fail.
fn code_source(r: &mut Report, ctx: &Ctx, s: &str, cfg: &config::ProfileConfig) {
    use crate::mfa::source::Source;
    let (status, message) = match crate::mfa::source_of(ctx, cfg) {
        Err(e) => (Status::Fail, e.to_string()),
        Ok(Source::Seed) => (
            Status::Ok,
            format!(
                "codes generated from the TOTP seed in {}",
                ctx.secrets.name()
            ),
        ),
        Ok(Source::Process) => {
            let cmd = cfg.mfa_process.as_deref().unwrap_or_default();
            (
                Status::Ok,
                format!(
                    "codes from mfa_process ({})",
                    crate::mfa::process::program_name(cmd)
                ),
            )
        }
        Ok(Source::Terminal) => (
            Status::Ok,
            "codes typed at the terminal (a caller without one, such as an IDE, gets an error: `mfa-session seed set` or mfa_process serve those)".to_owned(),
        ),
    };
    r.add(status, s, message);
}
