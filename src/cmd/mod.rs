//! One subcommand per file: its clap `Args` and `run`.

pub mod clear;
pub mod completions;
pub mod credential_process;
pub mod env;
pub mod exec;
pub mod keys;
pub mod mfa;
pub mod prompt;
pub mod seed;
pub mod status;

/// `--profile/-p`, shared by every command that works on one profile.
#[derive(clap::Args, Debug, Clone)]
pub struct ProfileArg {
    /// The AWS profile (default: $AWS_PROFILE, else "default").
    #[arg(short = 'p', long = "profile", value_name = "PROFILE")]
    pub profile: Option<String>,
}

/// A profile given as `PROFILE` or `-p/--profile PROFILE`, else `$AWS_PROFILE`.
#[derive(clap::Args, Debug, Clone)]
pub struct ProfileSel {
    /// The profile (or -p PROFILE; default: $AWS_PROFILE).
    #[arg(value_name = "PROFILE")]
    positional: Option<String>,
    /// The profile.
    #[arg(
        short = 'p',
        long = "profile",
        value_name = "PROFILE",
        conflicts_with = "positional"
    )]
    flag: Option<String>,
}

impl ProfileSel {
    /// The profile named, or an error saying how to name one.
    pub fn resolve(&self, env: &crate::env::Env) -> Result<String, crate::error::Error> {
        self.positional
            .as_deref()
            .or(self.flag.as_deref())
            .or_else(|| env.get("AWS_PROFILE"))
            .map(str::to_owned)
            .ok_or_else(|| {
                crate::error::Error::Config(
                    "name the profile: `mfa-session COMMAND PROFILE` (or -p PROFILE, or set AWS_PROFILE)".into(),
                )
            })
            .and_then(|name| crate::config_edit::ensure_profile_name(&name).map(|()| name))
    }
}
