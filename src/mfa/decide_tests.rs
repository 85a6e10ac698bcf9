//! `decide` (via `source_of`) against `get_code`: doctor and `list` say what a call does.
use super::*;
use crate::config::ForcedSource;
use crate::secret_store::SecretStore;

/// A secrets store that cannot be reached (no keyring on the machine).
struct Unreachable;
impl SecretStore for Unreachable {
    fn get(&self, _: &str, _: Item) -> Result<Option<Secret>, Error> {
        Err(Error::Keyring("no OS keyring is reachable".into()))
    }
    fn set(&self, _: &str, _: Item, _: &Secret) -> Result<(), Error> {
        Err(Error::Keyring("no OS keyring is reachable".into()))
    }
    fn delete(&self, _: &str, _: Item) -> Result<bool, Error> {
        Err(Error::Keyring("no OS keyring is reachable".into()))
    }
    fn name(&self) -> &'static str {
        "the OS keyring"
    }
}

/// STS is never reached here: only codes are got.
struct NoSts;
impl crate::sts::AssumeRole for NoSts {
    fn assume_role(
        &self,
        _: &crate::cache::Session,
        _: &crate::role::RoleConfig,
        _: u32,
        _: &str,
    ) -> Result<crate::cache::Session, Error> {
        unreachable!("no STS call in these tests")
    }
}
impl crate::sts::Exchange for NoSts {
    fn get_session_token(
        &self,
        _: &ProfileConfig,
        _: &crate::config::LongTermKeys,
        _: &Secret,
    ) -> Result<crate::cache::Session, Error> {
        unreachable!("no STS call in these tests")
    }
}

/// Types a code when asked.
struct Typist;
impl crate::ctx::CodeSource for Typist {
    fn code(&self, _: &PromptInfo<'_>) -> Result<Secret, Error> {
        Ok(Secret::new("135790"))
    }
}

/// doctor's verdict (`source_of`) is the real outcome (`get_code`) for every combination of
/// forced source, seed (stored, missing, store unreachable) and `mfa_process`.
#[test]
fn the_verdict_doctor_and_list_give_is_what_getting_a_code_does() {
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for forced in [
        None,
        Some(ForcedSource::Seed),
        Some(ForcedSource::Process),
        Some(ForcedSource::Prompt),
    ] {
        for seed in ["stored", "missing", "unreachable"] {
            for process in [None, Some("printf 246810".to_owned())] {
                let mut ctx = crate::ctx::for_tests(
                    dir.path(),
                    "2026-01-01T10:00:10Z",
                    Box::new(NoSts),
                    Box::new(Typist),
                );
                if seed == "unreachable" {
                    ctx.secrets = Box::new(Unreachable);
                } else if seed == "stored" {
                    ctx.secrets
                        .set(
                            "work",
                            Item::Seed,
                            &Secret::new("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
                        )
                        .unwrap();
                }
                let set = crate::config::load_profiles(&ctx.env).unwrap();
                let mut cfg = crate::config::resolve_profile(&set, "work", &ctx.env).unwrap();
                cfg.code_source = forced;
                cfg.mfa_process = process.clone();
                let verdict = source_of(&ctx, &cfg);
                let outcome = get_code(&ctx, &cfg);
                let case = format!("{forced:?} seed {seed} process {process:?}");
                assert_eq!(verdict.is_ok(), outcome.is_ok(), "{case}");
                if let (Ok(source), Ok(code)) = (&verdict, &outcome) {
                    let from = match code.origin {
                        Origin::Generated(_) => Source::Seed,
                        Origin::Process(_) => Source::Process,
                        Origin::Typed(_) => Source::Terminal,
                    };
                    assert_eq!(*source, from, "{case}");
                }
                // A healthy set-up without a keyring: typed codes work, and doctor says so.
                if seed == "unreachable" && forced.is_none() {
                    assert!(verdict.is_ok(), "{case}");
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 24);
}
