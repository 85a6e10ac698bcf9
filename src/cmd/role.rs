//! `role add`: a role profile served from mfa-session's cache, written with the safe edit.

use crate::config::{self, SOURCE_KEY};
use crate::config_edit::{self, Kind};
use crate::ctx::Ctx;
use crate::error::Error;
use crate::role::{ROLE_ARN_KEY, ROLE_SOURCE_KEY, ensure_role_arn};
use crate::user_file::{Change, UserFile};

/// Role profiles assumed from an mfa-session profile's MFA session.
#[derive(clap::Subcommand, Debug)]
pub enum RoleCmd {
    /// Write [profile NAME] assuming a role with another profile's credentials, served by
    /// `credential_process` from mfa-session's cache (one MFA code for every role).
    Add(AddArgs),
}

/// `role add` arguments.
#[derive(clap::Args, Debug)]
pub struct AddArgs {
    /// The role profile to write.
    #[arg(value_name = "NAME")]
    name: String,
    /// The role to assume.
    #[arg(long, value_name = "ARN")]
    role_arn: String,
    /// The profile whose credentials assume it: an mfa-session profile, or another role profile.
    #[arg(long = "from", value_name = "PROFILE")]
    from: String,
    /// ExternalId, when the role's trust policy asks for one.
    #[arg(long, value_name = "ID")]
    external_id: Option<String>,
    /// RoleSessionName (default: mfa-session-NAME).
    #[arg(long, value_name = "NAME")]
    session_name: Option<String>,
    /// How long the role's credentials last (900-43200; capped at 3600 when --from is a role).
    #[arg(long, value_name = "SECONDS")]
    duration_seconds: Option<u32>,
    /// The role profile's region (default: that of --from; the AWS CLI needs one).
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
}

/// A role's `--duration-seconds`: AWS's 900-43200, and at most an hour for a role assumed with
/// another role's credentials (role chaining), which AWS would cap silently. Under 15 minutes
/// of use between refreshes is said, not refused.
fn check_duration(d: u32, chained: bool, from: &str) -> Result<(), Error> {
    if !(900..=43_200).contains(&d) {
        return Err(Error::Config(format!(
            "--duration-seconds {d} is outside AWS's 900 to 43200: pick a value in that range"
        )));
    }
    if chained && d > crate::role::CHAIN_CAP {
        return Err(Error::Config(format!(
            "--duration-seconds {d}: '{from}' is a role, and AWS caps a role assumed with another role's credentials at {} seconds: pass {} or less, or --from the session profile",
            crate::role::CHAIN_CAP,
            crate::role::CHAIN_CAP
        )));
    }
    if d < 1800 {
        eprintln!(
            "mfa-session: note: the role's credentials last {} minutes, so they are assumed again that often (no new MFA code while the session below lives)",
            d / 60
        );
    }
    Ok(())
}

/// Runs `role add`.
pub fn run(cmd: &RoleCmd, ctx: &Ctx) -> Result<(), Error> {
    let RoleCmd::Add(args) = cmd;
    let name = args.name.as_str();
    config_edit::ensure_profile_name(name)?;
    config_edit::ensure_profile_name(&args.from)?;
    ensure_role_arn(&args.role_arn).map_err(Error::Config)?;
    let set = config::load_profiles(&ctx.env)?;
    if set
        .get_profile(name)
        .is_some_and(|p| p.get(SOURCE_KEY).is_some())
    {
        return Err(Error::Config(format!(
            "profile '{name}' is an mfa-session profile with its own keys: choose another name for the role profile"
        )));
    }
    let from = crate::profile::locate(&set, &ctx.env, &args.from)?;
    if let Some(d) = args.duration_seconds {
        check_duration(d, from.chain.is_some(), &args.from)?;
    }
    let region = args.region.clone().or(from.cfg.region);
    let process = config_edit::credential_process_line(crate::paths::front_path().as_deref(), name);
    let duration = args.duration_seconds.map(|d| d.to_string());
    let mut pairs = vec![
        ("credential_process", process.as_str()),
        (ROLE_ARN_KEY, args.role_arn.as_str()),
        (ROLE_SOURCE_KEY, args.from.as_str()),
    ];
    let optional = [
        ("external_id", args.external_id.as_deref()),
        ("role_session_name", args.session_name.as_deref()),
        ("duration_seconds", duration.as_deref()),
        ("region", region.as_deref()),
    ];
    pairs.extend(optional.iter().filter_map(|(k, v)| v.map(|v| (*k, v))));
    // The standard form's keys go: with them the AWS CLI would assume the role itself.
    let change = Change::Upsert {
        name,
        set: &pairs,
        remove: &["role_arn", "source_profile", "mfa_serial"],
    };
    let file = UserFile::load(&config::config_file_path(&ctx.env), Kind::Config)?;
    let planned = file.plan(&change)?;
    let check = config::parse_one(&planned, Kind::Config).map_err(Error::Config)?;
    crate::role::chain(&check, name)?;
    let saved = file.edit(&change, ctx.clock.now())?;
    eprintln!(
        "mfa-session: wrote role profile [profile {name}] ({} from '{}') in {}{}; try `aws sts get-caller-identity --profile {name}`",
        args.role_arn,
        args.from,
        saved.path.display(),
        saved.previous()
    );
    Ok(())
}
