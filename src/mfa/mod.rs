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

/// Where a code came from, and the start (Unix seconds) of the TOTP time step it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Typed at the terminal.
    Typed(u64),
    /// Printed by `mfa_process`.
    Process(u64),
    /// Generated from the seed for this time step.
    Generated(u64),
}

impl Origin {
    /// The start of the code's time step, in Unix seconds.
    pub fn step_start(self) -> u64 {
        match self {
            Origin::Typed(s) | Origin::Process(s) | Origin::Generated(s) => s,
        }
    }
}

/// The TOTP period AWS's devices use (seconds).
const PERIOD: u64 = 30;

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

/// The seed lookup `decide` made: `None` when another source was forced (the store is then
/// never opened).
type SeedFound = Option<Result<Option<Secret>, Error>>;

/// Where `cfg`'s codes come from, decided once for every caller (`get_code`, `doctor`, `list`):
/// the seed looked up unless another source is forced, then `source::choose`.
fn decide(ctx: &Ctx, cfg: &ProfileConfig) -> (Result<Source, Error>, SeedFound) {
    let forced = cfg.code_source;
    let name = &cfg.name;
    let mut seed = source::looks_up_seed(forced).then(|| ctx.secrets.get(name, Item::Seed));
    let lookup = seed.as_ref().map(|s| match s {
        Ok(Some(_)) => SeedLookup::Stored,
        Ok(None) => SeedLookup::Missing,
        Err(_) => SeedLookup::Failed,
    });
    match &seed {
        Some(Ok(None)) => ctx.log("no TOTP seed stored"),
        Some(Err(e)) => ctx.log(format_args!("no TOTP seed: {e}")),
        _ => {}
    }
    let source = match source::choose(forced, lookup, cfg.mfa_process.is_some()) {
        // A stored seed that does not parse fails every call: the verdict says so too.
        Choice::Use(Source::Seed) => match &seed {
            Some(Ok(Some(stored))) => Seed::parse(stored.expose()).map(|_| Source::Seed),
            _ => unreachable!("the seed source is chosen only with a stored seed"),
        },
        Choice::Use(s) => Ok(s),
        Choice::SeedFailed => match seed.take() {
            Some(Err(e)) => Err(e),
            _ => unreachable!("SeedFailed comes from a failed lookup"),
        },
        Choice::NoSeed => Err(Error::MfaCode(format!(
            "profile '{name}' has mfa_code_source = seed but no seed is stored: run `mfa-session seed set {name}`"
        ))),
        Choice::NoProcess => Err(Error::Config(format!(
            "profile '{name}' has mfa_code_source = process but no mfa_process: add `mfa_process = COMMAND` printing the code"
        ))),
    };
    (source, seed)
}

/// Where `cfg`'s codes would come from, or why none can be had: the same decision `get_code`
/// makes (doctor's verdict and `list`'s column), without getting a code.
pub fn source_of(ctx: &Ctx, cfg: &ProfileConfig) -> Result<Source, Error> {
    decide(ctx, cfg).0
}

/// `source_of`, and what the seed lookup found (`None`: not made, another source is forced):
/// for `list`, which shows both.
pub fn source_and_seed(
    ctx: &Ctx,
    cfg: &ProfileConfig,
) -> (Result<Source, Error>, Option<Result<bool, Error>>) {
    let (source, seed) = decide(ctx, cfg);
    (source, seed.map(|s| s.map(|found| found.is_some())))
}

/// Gets a code for the profile's device from the first source that has one (`decide`).
pub fn get_code(ctx: &Ctx, cfg: &ProfileConfig) -> Result<OneTimeCode, Error> {
    let name = &cfg.name;
    let (source, seed) = decide(ctx, cfg);
    match source? {
        Source::Seed => {
            let Some(Ok(Some(stored))) = seed else {
                unreachable!("the seed source is chosen only with a stored seed")
            };
            generated(ctx, cfg, &Seed::parse(stored.expose())?)
        }
        Source::Process => {
            let cmd = cfg.mfa_process.as_deref().expect("chosen with a command");
            // The command prints the code of the current step (a YubiKey's may wait for a
            // touch): a step already used would give a code AWS refuses, so wait it out first.
            let start = next_unused_step(ctx, cfg, PERIOD)?;
            ctx.codes.progress(
                &format!(
                    "running mfa_process for profile '{name}' ({}): touch your security key if it asks",
                    process::program_name(cmd)
                ),
                false,
            );
            process::run_process(cmd, ctx.process_timeout, start)
        }
        Source::Terminal => {
            let info = PromptInfo {
                profile: name,
                mfa_serial: &cfg.mfa_serial,
                timeout: ctx.prompt_timeout,
            };
            let value = ctx.codes.code(&info)?;
            Ok(OneTimeCode {
                value,
                origin: Origin::Typed(current_step_start(ctx, PERIOD)),
            })
        }
    }
}

/// The start of the current time step, for a device of `period` seconds.
fn current_step_start(ctx: &Ctx, period: u64) -> u64 {
    let now = unix_now(ctx);
    now - now % period
}

fn unix_now(ctx: &Ctx) -> u64 {
    u64::try_from(ctx.clock.now().timestamp()).unwrap_or(0)
}

/// The start of the current step, unless a code of that step was already used for this device:
/// AWS accepts each code once, so then the next step, after waiting for it (said on the
/// terminal).
fn next_unused_step(ctx: &Ctx, cfg: &ProfileConfig, period: u64) -> Result<u64, Error> {
    let start = current_step_start(ctx, period);
    match steps::last_used(&ctx.store, &cfg.mfa_serial) {
        Some(last) if start <= last => {
            let next = last - last % period + period;
            let wait = next.saturating_sub(unix_now(ctx));
            if wait > 2 * period {
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
            Ok(next)
        }
        _ => Ok(start),
    }
}

/// The code of the next unused step.
fn generated(ctx: &Ctx, cfg: &ProfileConfig, seed: &Seed) -> Result<OneTimeCode, Error> {
    let start = next_unused_step(ctx, cfg, seed.period())?;
    Ok(OneTimeCode {
        value: seed.code_for_step(seed.step_at(start)),
        origin: Origin::Generated(start),
    })
}

/// After AWS accepted a code: remember its step so that no source sends a code of it again.
pub fn record_use(ctx: &Ctx, cfg: &ProfileConfig, code: &OneTimeCode) {
    steps::save_used(&ctx.store, &cfg.mfa_serial, code.origin.step_start());
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

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
