//! TOTP seeds (RFC 6238): parsed from base32 or an `otpauth://` URI, stored as an otpauth URI,
//! turned into codes for a given time step. totp-rs does the arithmetic.

use crate::error::Error;
use crate::secret::Secret;
use totp_rs::{Algorithm, Builder, Totp};

/// A TOTP seed and its parameters. No `Debug` derive: it is a secret.
pub struct Seed {
    totp: Totp,
}

impl std::fmt::Debug for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Seed(** redacted **)")
    }
}

/// Longest time step accepted, in seconds (AWS virtual MFA devices use 30).
pub const MAX_PERIOD: u64 = 300;

fn bad(why: &str) -> Error {
    Error::Config(format!(
        "{why}: give the base32 secret from the MFA set-up page (\"Show secret key\") or its otpauth:// URI"
    ))
}

impl Seed {
    /// Parses a base32 secret (spaces, dashes, lower case and padding allowed) or an
    /// `otpauth://totp/...` URI. Refuses seeds under 128 bits (RFC 4226).
    pub fn parse(input: &str) -> Result<Seed, Error> {
        let input = input.trim();
        if input.starts_with("otpauth://hotp") {
            return Err(bad(
                "the otpauth:// URI is for HOTP (counter-based codes), not TOTP, which AWS MFA devices use",
            ));
        }
        if input.starts_with("otpauth://") {
            let totp = Totp::from_url(input).map_err(|e| {
                bad(&format!(
                    "the otpauth:// URI is not valid ({})",
                    uri_problem(&e.to_string())
                ))
            })?;
            // Only what makes the codes is kept: the label (issuer, account) may be empty, and
            // then totp-rs could not write the stored form.
            return Self::from_parts(
                totp.algorithm(),
                totp.digits(),
                totp.step(),
                totp.secret().as_ref().to_vec(),
            );
        }
        let cleaned: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let cleaned = cleaned.trim_end_matches('=');
        if cleaned.is_empty() {
            return Err(bad("the seed is empty"));
        }
        if !cleaned
            .chars()
            .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c))
        {
            return Err(bad(
                "the seed is not base32 (letters A-Z and digits 2-7 only)",
            ));
        }
        let secret = totp_rs::Secret::try_from_base32(cleaned)
            .map_err(|_| bad("the seed is not valid base32"))?;
        if secret.as_ref().len() < 16 {
            return Err(bad(&format!(
                "the seed is too short ({} bits; at least 128 are needed)",
                secret.as_ref().len() * 8
            )));
        }
        Self::from_parts(Algorithm::SHA1, 6, 30, secret.as_ref().to_vec())
    }

    /// A seed from raw parts (RFC test vectors use 8 digits and other algorithms). Refuses a
    /// period over `MAX_PERIOD`: the step arithmetic assumes the clock is many steps past 1970.
    pub fn from_parts(
        algorithm: Algorithm,
        digits: u8,
        period: u64,
        secret: Vec<u8>,
    ) -> Result<Seed, Error> {
        if period > MAX_PERIOD {
            return Err(bad(&format!(
                "the seed's period is {period} seconds (AWS MFA devices use 30; at most {MAX_PERIOD} is accepted)"
            )));
        }
        let totp = Builder::new()
            .with_algorithm(algorithm)
            .with_digits(digits)
            .with_step_duration(period)
            .with_secret(secret)
            .with_account_name("mfa-session")
            .build()
            .map_err(|e| {
                bad(&format!(
                    "the seed is not usable ({})",
                    uri_problem(&e.to_string())
                ))
            })?;
        Ok(Seed { totp })
    }

    /// The form kept in the keyring: an otpauth URI (re-read by `parse`).
    pub fn to_stored(&self) -> Secret {
        Secret::new(self.totp.to_url().expect("account name is set"))
    }

    /// Seconds per step (30 for AWS virtual MFA devices).
    pub fn period(&self) -> u64 {
        self.totp.step()
    }

    /// The time step of a Unix time.
    pub fn step_at(&self, unix: u64) -> u64 {
        unix / self.period()
    }

    /// The code of a time step.
    pub fn code_for_step(&self, step: u64) -> Secret {
        Secret::new(self.totp.generate(step * self.period()).to_string())
    }
}

/// totp-rs errors can quote the input; keep only the part before any quoted value.
fn uri_problem(msg: &str) -> String {
    msg.split(['"', '\'', '`'])
        .next()
        .unwrap_or(msg)
        .trim()
        .trim_end_matches(':')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B: 8 digits, T0 = 0, X = 30, per algorithm its own ASCII key.
    #[test]
    fn rfc_6238_test_vectors() {
        let sha1 = b"12345678901234567890".to_vec();
        let sha256 = b"12345678901234567890123456789012".to_vec();
        let sha512 = b"1234567890123456789012345678901234567890123456789012345678901234".to_vec();
        let table: &[(u64, &str, &str, &str)] = &[
            (59, "94287082", "46119246", "90693936"),
            (1111111109, "07081804", "68084774", "25091201"),
            (1111111111, "14050471", "67062674", "99943326"),
            (1234567890, "89005924", "91819424", "93441116"),
            (2000000000, "69279037", "90698825", "38618901"),
            (20000000000, "65353130", "77737706", "47863826"),
        ];
        for (t, a, b, c) in table {
            for (alg, key, want) in [
                (Algorithm::SHA1, &sha1, a),
                (Algorithm::SHA256, &sha256, b),
                (Algorithm::SHA512, &sha512, c),
            ] {
                let seed = Seed::from_parts(alg, 8, 30, key.clone()).unwrap();
                assert_eq!(
                    seed.code_for_step(seed.step_at(*t)).expose(),
                    *want,
                    "{alg:?} T={t}"
                );
            }
        }
    }

    #[test]
    fn base32_and_otpauth_forms_agree_and_round_trip() {
        let b32 = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        let a = Seed::parse(b32).unwrap();
        let b = Seed::parse("jbsw y3dp-ehpk 3pxp jbsw y3dp ehpk 3pxp").unwrap();
        let c = Seed::parse(&format!("otpauth://totp/AWS:alice?secret={b32}&issuer=AWS")).unwrap();
        let d = Seed::parse(a.to_stored().expose()).unwrap();
        for s in [&b, &c, &d] {
            assert_eq!(
                s.code_for_step(1000).expose(),
                a.code_for_step(1000).expose()
            );
        }
        assert_eq!(a.code_for_step(1000).expose().len(), 6);
    }

    /// Found by fuzzing (fuzz/artifacts-regressions/otpauth/): a URI without a label parsed,
    /// then writing its stored form (`seed add`) panicked (totp-rs: no account name).
    #[test]
    fn a_uri_without_a_label_has_a_stored_form() {
        let b32 = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        let plain = Seed::parse(b32).unwrap();
        for uri in [
            format!("otpauth://totp?secret={b32}"),
            format!("otpauth://totp/?secret={b32}&period=30"),
            format!("otpauth://totp/AWS:?secret={b32}&issuer=AWS"),
        ] {
            let seed = Seed::parse(&uri).unwrap();
            let again = Seed::parse(seed.to_stored().expose()).unwrap();
            assert_eq!(
                again.code_for_step(1000).expose(),
                plain.code_for_step(1000).expose(),
                "{uri}"
            );
        }
    }

    /// Found by fuzzing (fuzz/artifacts-regressions/otpauth/period-*): a period of years made
    /// the current step 0, and `mfa resync`'s previous step (`step - 1`) overflowed.
    #[test]
    fn a_period_beyond_five_minutes_is_refused() {
        let b32 = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        for period in ["301", "99999999999", "18446744073709551615"] {
            let uri = format!("otpauth://totp/x?secret={b32}&period={period}");
            let err = Seed::parse(&uri).unwrap_err().to_string();
            assert!(err.contains("AWS MFA devices use 30"), "{err}");
        }
        let uri = format!("otpauth://totp/x?secret={b32}&period=300");
        assert_eq!(Seed::parse(&uri).unwrap().period(), 300);
    }

    /// An independent implementation: Debian's oathtool, for random seeds and times.
    #[test]
    fn codes_match_oathtool_for_random_seeds_and_times() {
        use std::io::Read;
        let mut random = [0u8; 20 * 40 + 8 * 40];
        std::fs::File::open("/dev/urandom")
            .unwrap()
            .read_exact(&mut random)
            .unwrap();
        let (seeds, times) = random.split_at(20 * 40);
        for (raw, t) in seeds.chunks(20).zip(times.chunks(8)) {
            let t = u64::from_le_bytes(t.try_into().unwrap()) % 4_000_000_000;
            let b32 = totp_rs::Secret::from(raw.to_vec()).to_base32();
            let seed = Seed::parse(&b32).unwrap();
            let out = std::process::Command::new("oathtool")
                .args(["--totp", "-b", &b32, "--now", &format!("@{t}")])
                .output()
                .expect("oathtool (Debian package oathtool) must be installed");
            let want = String::from_utf8(out.stdout).unwrap();
            assert_eq!(
                seed.code_for_step(seed.step_at(t)).expose(),
                want.trim(),
                "t={t}"
            );
        }
    }

    proptest::proptest! {
        /// Any input: no panic, and an error never repeats the input (it may be a secret).
        #[test]
        fn the_seed_parser_never_panics_or_echoes(input in "\\PC{0,80}", b32 in "[A-Z2-7]{0,64}") {
            for candidate in [input.clone(), b32.clone(), format!("otpauth://totp/x?secret={b32}"), format!("otpauth://{input}")] {
                if let Err(e) = Seed::parse(&candidate) {
                    let msg = e.to_string();
                    let t = candidate.trim();
                    proptest::prop_assert!(t.len() < 12 || !msg.contains(t), "{msg}");
                }
            }
        }
    }

    #[test]
    fn bad_seeds_say_why_without_echoing_the_seed() {
        let cases = [
            ("", "empty"),
            ("NOT-BASE32-!!", "not base32"),
            ("JBSWY3DP", "too short (40 bits"),
            (
                "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
                "the otpauth:// URI is for HOTP (counter-based codes), not TOTP, which AWS MFA devices use: give",
            ),
            (
                "otpauth://totp/x?secret=SECRETSEED1111",
                "otpauth:// URI is not valid",
            ),
        ];
        for (input, want) in cases {
            let err = Seed::parse(input).unwrap_err().to_string();
            assert!(err.contains(want), "{input}: {err}");
            if input.len() > 8 {
                assert!(
                    !err.contains("SECRETSEED") && !err.contains("JBSWY3DPEHPK"),
                    "{err}"
                );
            }
        }
        assert_eq!(
            format!(
                "{:?}",
                Seed::parse("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap()
            ),
            "Seed(** redacted **)"
        );
    }
}
