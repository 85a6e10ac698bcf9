//! MFA code sources, in the documented order: the TOTP seed in the keyring, then the profile's
//! `mfa_process`, then the terminal prompt. `mfa_code_source` forces one.

use crate::config::ProfileConfig;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::secret::Secret;
use crate::secret_store::Item;
use crate::tty::PromptInfo;
use source::{Choice, SeedLookup, Source};
use std::time::Duration;
use totp::Seed;

pub mod process;
pub mod source;
pub mod steps;
pub mod totp;

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

/// An MFA code and its origin. `Debug` shows the origin only.
pub struct OneTimeCode {
    /// The six digits.
    pub value: Secret,
    /// Where they came from.
    pub origin: Origin,
}

impl std::fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OneTimeCode")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

/// Gets a code for the profile's device from the first source that has one (`source::choose`).
pub fn get_code(ctx: &Ctx, cfg: &ProfileConfig) -> Result<OneTimeCode, Error> {
    let forced = cfg.code_source;
    let name = &cfg.name;
    let (lookup, seed) = if source::looks_up_seed(forced) {
        match ctx.secrets.get(name, Item::Seed) {
            Ok(Some(stored)) => (Some(SeedLookup::Stored), Some(Ok(stored))),
            Ok(None) => (Some(SeedLookup::Missing), None),
            Err(e) => (Some(SeedLookup::Failed), Some(Err(e))),
        }
    } else {
        (None, None)
    };
    let choice = source::choose(forced, lookup, cfg.mfa_process.is_some());
    match (lookup, &seed) {
        (Some(SeedLookup::Missing), _) => ctx.log("no TOTP seed stored"),
        (_, Some(Err(e))) => ctx.log(format_args!("no TOTP seed: {e}")),
        _ => {}
    }
    match choice {
        Choice::Use(Source::Seed) => {
            let stored = seed.expect("a stored seed").expect("a stored seed");
            generated(ctx, cfg, &Seed::parse(stored.expose())?)
        }
        Choice::Use(Source::Process) => {
            let cmd = cfg.mfa_process.as_deref().expect("chosen with a command");
            process::run_process(cmd, ctx.process_timeout)
        }
        Choice::Use(Source::Terminal) => {
            let info = PromptInfo {
                profile: name,
                mfa_serial: &cfg.mfa_serial,
                timeout: ctx.prompt_timeout,
            };
            Ok(OneTimeCode {
                value: ctx.codes.code(&info)?,
                origin: Origin::Typed,
            })
        }
        Choice::SeedFailed => Err(seed.expect("failed").expect_err("failed")),
        Choice::NoSeed => Err(Error::MfaCode(format!(
            "profile '{name}' has mfa_code_source = seed but no seed is stored: run `mfa-session seed set {name}`"
        ))),
        Choice::NoProcess => Err(Error::Config(format!(
            "profile '{name}' has mfa_code_source = process but no mfa_process: add `mfa_process = COMMAND` printing the code"
        ))),
    }
}

/// The code of the current step, unless that step's code was already used for this device:
/// AWS accepts each code once, so then the next step's code, after waiting for it.
fn generated(ctx: &Ctx, cfg: &ProfileConfig, seed: &Seed) -> Result<OneTimeCode, Error> {
    let now = u64::try_from(ctx.clock.now().timestamp()).unwrap_or(0);
    let mut step = seed.step_at(now);
    if let Some(last) = steps::last_step(&ctx.store, &cfg.mfa_serial)
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
        (ctx.sleep)(Duration::from_secs(wait));
        step = last + 1;
    }
    Ok(OneTimeCode {
        value: seed.code_for_step(step),
        origin: Origin::Generated(step),
    })
}

/// After AWS accepted a generated code: remember its step so it is never sent again.
pub fn record_use(ctx: &Ctx, cfg: &ProfileConfig, code: &OneTimeCode) {
    if let Origin::Generated(step) = code.origin {
        steps::save_step(&ctx.store, &cfg.mfa_serial, step);
    }
}

/// AWS's refusal of a generated code most often means clock skew; say so.
pub fn explain_rejection(err: Error, cfg: &ProfileConfig, code: &OneTimeCode) -> Error {
    match (err, code.origin) {
        (Error::MfaRejected(_), Origin::Generated(_)) => Error::MfaRejected(format!(
            "AWS rejected the code generated from the stored seed for {}: this clock may be off by more than about 30 s (sync it: timedatectl set-ntp true), or the seed is not this device's (`mfa-session seed set {}`)",
            cfg.mfa_serial, cfg.name
        )),
        (err, _) => err,
    }
}
