//! `doctor`: one line per check, ok / warn / fail, each failure with its fix.

use crate::ctx::Ctx;
use crate::doctor::{self, Status};
use crate::error::Error;

/// Check the install, the AWS files, each profile's keys, MFA device and code source, this
/// clock against AWS's, and mfa-session's own files; exit 3 if any check fails.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Check only this profile (PROFILE or -p PROFILE; default: every profile mfa-session serves).
    #[command(flatten)]
    profile: super::ProfileSel,
    /// Print the checks as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs the checks and prints them; an error (exit 3) when any failed.
pub fn run(args: &Args, ctx: &Ctx, version: &str) -> Result<(), Error> {
    let checks = doctor::run(ctx, args.profile.given(), version);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&checks).expect("checks serialize")
        );
    } else {
        for c in &checks {
            let tag = match c.status {
                Status::Ok => "ok  ",
                Status::Warn => "warn",
                Status::Fail => "FAIL",
            };
            println!("{tag}  {}: {}", c.subject, c.message);
        }
    }
    let failed = checks.iter().filter(|c| c.status == Status::Fail).count();
    if failed > 0 {
        return Err(Error::Config(format!(
            "doctor: {} failed: see the FAIL lines above for the fix",
            super::count(failed, "check")
        )));
    }
    Ok(())
}
