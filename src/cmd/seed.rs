//! `seed set|remove` and `code`: TOTP seeds in the OS keyring, and codes made from them.

use crate::ctx::Ctx;
use crate::error::Error;
use crate::mfa::totp::Seed;
use crate::secret::Secret;
use crate::secret_store::Item;
use std::io::{IsTerminal, Read};

/// Manage the TOTP seed of a profile's virtual MFA device. (No `Debug`: nothing prints it, and
/// it should never hold a seed; the seed is read from the terminal, a file or stdin.)
#[derive(clap::Subcommand)]
pub enum SeedCmd {
    /// Store a seed (base32 or otpauth:// URI): typed hidden, --from-file, or piped on stdin.
    Set {
        /// The profile whose seed this is.
        #[command(flatten)]
        profile: super::ProfileSel,
        /// Read the seed from this file.
        #[arg(long, value_name = "FILE")]
        from_file: Option<std::path::PathBuf>,
    },
    /// Forget the seed.
    Remove {
        /// The profile whose seed this is.
        #[command(flatten)]
        profile: super::ProfileSel,
    },
}

/// Print the current MFA code of a profile's stored seed and the seconds it has left.
#[derive(clap::Args, Debug)]
pub struct CodeArgs {
    #[command(flatten)]
    profile: super::ProfileSel,
}

fn read_seed_input(profile: &str, from_file: Option<&std::path::Path>) -> Result<Secret, Error> {
    if let Some(path) = from_file {
        return std::fs::read_to_string(path)
            .map(Secret::new)
            .map_err(|e| Error::Config(format!("cannot read {}: {}", path.display(), e.kind())));
    }
    if !std::io::stdin().is_terminal() {
        let mut s = String::new();
        std::io::stdin()
            .take(4096)
            .read_to_string(&mut s)
            .map_err(|e| Error::Config(format!("cannot read the seed from stdin: {}", e.kind())))?;
        if !s.trim().is_empty() {
            return Ok(Secret::new(s));
        }
    }
    rpassword::prompt_password(format!("TOTP seed (base32 or otpauth:// URI) for profile {profile}: "))
        .map(Secret::new)
        .map_err(|_| {
            Error::Config(format!(
                "no terminal to type the seed on: use `mfa-session seed set {profile} --from-file FILE` or pipe it on stdin"
            ))
        })
}

/// Runs `seed set` / `seed remove`.
pub fn run(cmd: &SeedCmd, ctx: &Ctx) -> Result<(), Error> {
    match cmd {
        SeedCmd::Set { profile, from_file } => {
            let profile = &profile.resolve(&ctx.env)?;
            let input = read_seed_input(profile, from_file.as_deref())?;
            let seed = Seed::parse(input.expose())?;
            ctx.secrets.set(profile, Item::Seed, &seed.to_stored())?;
            eprintln!(
                "mfa-session: stored the TOTP seed of profile '{profile}' in {}; codes now come from it. A seed on the same machine as the keys is a weaker second factor than a phone or a YubiKey.",
                ctx.secrets.name()
            );
        }
        SeedCmd::Remove { profile } => {
            let profile = &profile.resolve(&ctx.env)?;
            let had = ctx.secrets.delete(profile, Item::Seed)?;
            eprintln!(
                "mfa-session: {} TOTP seed for profile '{profile}'",
                if had { "removed the" } else { "there was no" }
            );
        }
    }
    Ok(())
}

/// Prints `123456 (17s left)`.
pub fn code(args: &CodeArgs, ctx: &Ctx) -> Result<(), Error> {
    let name = &args.profile.resolve(&ctx.env)?;
    let stored = ctx.secrets.get(name, Item::Seed)?.ok_or_else(|| {
        Error::Config(format!(
            "no TOTP seed stored for profile '{name}': run `mfa-session seed set {name}`"
        ))
    })?;
    let seed = Seed::parse(stored.expose())?;
    let now = u64::try_from(ctx.clock.now().timestamp()).unwrap_or(0);
    let step = seed.step_at(now);
    let left = (step + 1) * seed.period() - now;
    println!("{} ({left}s left)", seed.code_for_step(step).expose());
    Ok(())
}
