//! Which MFA code source a profile uses: a closed set, chosen by one pure function in the
//! documented order (seed → `mfa_process` → terminal), or forced by `mfa_code_source`.

use crate::config::ForcedSource;

/// Where a code can come from. A name only: it holds no seed or code (see its `Debug`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Generated from the TOTP seed in the secrets store.
    Seed,
    /// Printed by the profile's `mfa_process` command.
    Process,
    /// Typed at the terminal.
    Terminal,
}

/// What looking up the seed found: whether there is one, never the seed (see its `Debug`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SeedLookup {
    /// A seed is stored.
    Stored,
    /// None is stored.
    Missing,
    /// The store failed (locked, unreachable).
    Failed,
}

// Written out rather than derived, to show these print only a name.
impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Source::Seed => "Seed",
            Source::Process => "Process",
            Source::Terminal => "Terminal",
        })
    }
}

impl std::fmt::Debug for SeedLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SeedLookup::Stored => "Stored",
            SeedLookup::Missing => "Missing",
            SeedLookup::Failed => "Failed",
        })
    }
}

/// The decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Use this source.
    Use(Source),
    /// Forced to the seed, and none is stored.
    NoSeed,
    /// Forced to the seed, and the store failed: its error is the answer.
    SeedFailed,
    /// Forced to `mfa_process`, and the profile has none.
    NoProcess,
}

/// Whether the seed is looked up at all (not when another source is forced: the keyring is
/// then never opened).
pub fn looks_up_seed(forced: Option<ForcedSource>) -> bool {
    matches!(forced, None | Some(ForcedSource::Seed))
}

/// The source to use. `seed` is what the lookup found (`None` when it was not made).
pub fn choose(forced: Option<ForcedSource>, seed: Option<SeedLookup>, has_process: bool) -> Choice {
    match (forced, seed, has_process) {
        (Some(ForcedSource::Prompt), _, _) => Choice::Use(Source::Terminal),
        (Some(ForcedSource::Process), _, true) => Choice::Use(Source::Process),
        (Some(ForcedSource::Process), _, false) => Choice::NoProcess,
        (_, Some(SeedLookup::Stored), _) => Choice::Use(Source::Seed),
        (Some(ForcedSource::Seed), Some(SeedLookup::Failed), _) => Choice::SeedFailed,
        (Some(ForcedSource::Seed), _, _) => Choice::NoSeed,
        (None, _, true) => Choice::Use(Source::Process),
        (None, _, false) => Choice::Use(Source::Terminal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ForcedSource as F;
    use SeedLookup as L;

    #[test]
    fn the_documented_order_and_every_forced_source() {
        let t = Choice::Use(Source::Terminal);
        let p = Choice::Use(Source::Process);
        let s = Choice::Use(Source::Seed);
        let table: &[(Option<ForcedSource>, Option<SeedLookup>, bool, Choice)] = &[
            // seed → mfa_process → terminal
            (None, Some(L::Stored), true, s),
            (None, Some(L::Stored), false, s),
            (None, Some(L::Missing), true, p),
            (None, Some(L::Failed), true, p),
            (None, Some(L::Missing), false, t),
            (None, Some(L::Failed), false, t),
            // forced
            (Some(F::Seed), Some(L::Stored), true, s),
            (Some(F::Seed), Some(L::Missing), true, Choice::NoSeed),
            (Some(F::Seed), Some(L::Failed), true, Choice::SeedFailed),
            (Some(F::Process), None, true, p),
            (Some(F::Process), None, false, Choice::NoProcess),
            (Some(F::Prompt), None, true, t),
        ];
        for (forced, seed, process, want) in table {
            assert_eq!(
                choose(*forced, *seed, *process),
                *want,
                "{forced:?} {seed:?} {process}"
            );
            assert_eq!(looks_up_seed(*forced), seed.is_some(), "{forced:?}");
        }
    }
}
