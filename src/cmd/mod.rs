//! One subcommand per file: its clap `Args` and `run`.

pub mod clear;
pub mod completions;
pub mod credential_process;
pub mod env;
pub mod exec;
pub mod keys;
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
