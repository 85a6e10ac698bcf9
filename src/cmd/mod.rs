//! One subcommand per file: its clap `Args` and `run`.

pub mod clear;
pub mod completions;
pub mod credential_process;
pub mod env;
pub mod exec;
pub mod keys;
pub mod mfa;
pub mod prompt;
pub mod role;
pub mod seed;
pub mod server;
pub mod status;

/// `--profile/-p`: the one declaration of the flag, shared by every command.
#[derive(clap::Args, Debug, Clone)]
pub struct ProfileArg {
    /// The AWS profile (default: $AWS_PROFILE).
    #[arg(short = 'p', long = "profile", value_name = "PROFILE")]
    pub profile: Option<String>,
}

impl ProfileArg {
    /// The profile named, else `AWS_PROFILE`, else `default`.
    pub fn name(&self, env: &crate::env::Env) -> Result<String, crate::error::Error> {
        let name = crate::profile::selected(self.profile.as_deref(), env);
        crate::config_edit::ensure_profile_name(&name)?;
        Ok(name)
    }
}

/// A profile given as `PROFILE` or `-p/--profile PROFILE`, else `$AWS_PROFILE`: for the
/// commands that manage one profile.
#[derive(clap::Args, Debug, Clone)]
pub struct ProfileSel {
    /// The profile (or -p PROFILE; default: $AWS_PROFILE).
    #[arg(value_name = "PROFILE", conflicts_with = "profile")]
    positional: Option<String>,
    #[command(flatten)]
    flag: ProfileArg,
}

impl ProfileSel {
    /// The profile named, or an error saying how to name one.
    pub fn resolve(&self, env: &crate::env::Env) -> Result<String, crate::error::Error> {
        let name = crate::profile::chosen(
            self.positional.as_deref().or(self.flag.profile.as_deref()),
            env,
        )
        .ok_or_else(|| {
            crate::error::Error::Config(
                "name the profile: `mfa-session COMMAND PROFILE` (or -p PROFILE, or set AWS_PROFILE)".into(),
            )
        })?;
        crate::config_edit::ensure_profile_name(&name)?;
        Ok(name)
    }
}
