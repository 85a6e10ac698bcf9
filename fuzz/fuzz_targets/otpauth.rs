//! The TOTP seed parser on arbitrary text: base32 secrets and `otpauth://` URIs
//! (`mfa::totp::Seed::parse`, what `seed add` and every generated code read). No panic; a seed
//! that parses must survive its stored form (`to_stored`, what the keyring keeps) with the same
//! codes; and the step arithmetic the callers do (src/cmd/mfa.rs `two_codes`, src/cmd/seed.rs,
//! src/mfa/mod.rs `next_unused_step`) must not overflow at any time from 2001 to 2200.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_session::mfa::totp::Seed;

/// Unix times: 2001, 2026, 2200.
const TIMES: [u64; 3] = [1_000_000_000, 1_796_000_000, 7_258_118_400];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(seed) = Seed::parse(text) else {
        return;
    };
    let stored = seed.to_stored();
    let again = Seed::parse(stored.expose()).expect("the stored form parses");
    assert_eq!(again.period(), seed.period());
    let period = seed.period();
    assert!(period > 0);
    for now in TIMES {
        let step = seed.step_at(now);
        let code = seed.code_for_step(step);
        assert_eq!(
            code.expose(),
            again.code_for_step(again.step_at(now)).expose()
        );
        assert!(code.expose().bytes().all(|b| b.is_ascii_digit()));
        // two_codes: the previous step's code too.
        let _ = seed.code_for_step(step - 1);
        // seed code: seconds left in this step.
        let left = (step + 1) * period - now;
        assert!(left >= 1 && left <= period);
        // next_unused_step: the step after a used one.
        let last = now;
        let _ = last - last % period + period;
    }
});
