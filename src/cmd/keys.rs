//! `add`: long-term keys into the OS keyring, and the profile that uses them.

use crate::config::{self, KEY_ID_KEY, KeySource, LongTermKeys, SOURCE_KEY};
use crate::config_edit::{self, Kind};
use crate::ctx::Ctx;
use crate::error::Error;
use crate::plaintext;
use crate::profile::stored_keys;
use crate::secret::{Secret, mask_key_id};
use crate::secret_store::Item;
use crate::user_file::{Change, UserFile};

/// Store a profile's long-term keys in the OS keyring and set up [profile PROFILE].
#[derive(clap::Args, Debug)]
pub struct AddArgs {
    /// The profile to set up (created in ~/.aws/config if missing).
    #[command(flatten)]
    profile: super::ProfileSel,
    /// Import the keys from this profile of the credentials file instead of typing them.
    #[arg(long, value_name = "PROFILE")]
    from_profile: Option<String>,
    #[command(flatten)]
    region: super::RegionArg,
    /// The MFA device's ARN (default: the profile's or the source profile's mfa_serial).
    #[arg(long, value_name = "ARN")]
    mfa_serial: Option<String>,
    /// Remove the plain-text keys of --from-profile from the AWS files once the stored keys work (a backup is kept).
    #[arg(long, requires = "from_profile", conflicts_with = "keep_plaintext")]
    remove_plaintext: bool,
    /// Keep the plain-text keys of --from-profile without asking.
    #[arg(long, requires = "from_profile")]
    keep_plaintext: bool,
    /// With --remove-plaintext: delete the backup (it holds the keys in plain text) without asking.
    #[arg(long, requires = "remove_plaintext")]
    delete_backup: bool,
}

fn ensure_key_pair(id: &str, secret: &Secret) -> Result<(), Error> {
    if id.starts_with("ASIA") {
        return Err(Error::Config(
            "that is a temporary access key (ASIA...): store your long-term keys (AKIA...)".into(),
        ));
    }
    if !(16..=128).contains(&id.len()) || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::Config(
            "that is not an access key id (16 or more letters and digits, e.g. AKIA...): check what you pasted".into(),
        ));
    }
    let s = secret.expose();
    if s.len() < 16 || s.chars().any(char::is_whitespace) {
        return Err(Error::Config(
            "that is not a secret access key (40 characters, no spaces): check what you pasted"
                .into(),
        ));
    }
    Ok(())
}

fn read_typed_keys(profile: &str) -> Result<LongTermKeys, Error> {
    let no_tty = |_: std::io::Error| {
        Error::Config(format!(
            "no terminal to type the keys on: run `mfa-session add {profile}` in a terminal, or use --from-profile"
        ))
    };
    let id = rpassword::prompt_password(format!("Access key id for profile {profile}: "))
        .map_err(no_tty)?;
    let secret = Secret::new(
        rpassword::prompt_password(format!("Secret access key for profile {profile}: "))
            .map_err(no_tty)?,
    );
    Ok(LongTermKeys {
        access_key_id: id.trim().to_owned(),
        secret_access_key: Secret::new(secret.expose().trim()),
    })
}

fn read_file_keys(
    set: &config::ProfileSet,
    profile: &str,
    src: &str,
) -> Result<LongTermKeys, Error> {
    let cfg = config::ProfileConfig::keys_only(profile, KeySource::Profile(src.to_owned()));
    config::load_long_term_keys(set, &cfg)
}

fn ask_yes_no(question: &str) -> bool {
    crate::tty::confirm(question).unwrap_or(false)
}

/// The user's one MFA device, found with iam:ListMFADevices (allowed without MFA by the
/// Force_MFA policy) for the user GetCallerIdentity names.
fn discover_serial(
    set: &config::ProfileSet,
    name: &str,
    keys: &LongTermKeys,
    ctx: &Ctx,
) -> Result<Option<String>, Error> {
    let region = config::profile_region(set, name, &ctx.env);
    let iam = crate::iam::Iam::connect(
        name,
        region.as_deref().unwrap_or(config::GLOBAL_STS_REGION),
        keys,
    )?;
    let user = iam.user_name()?;
    let (totp, fido): (Vec<String>, Vec<String>) = iam
        .list_mfa_devices(&user)?
        .into_iter()
        .partition(|s| config::is_totp_serial(s));
    for f in &fido {
        eprintln!(
            "mfa-session: skipping FIDO security key {f}: GetSessionToken takes only TOTP codes"
        );
    }
    match totp.as_slice() {
        [one] => {
            eprintln!("mfa-session: found MFA device {one} of IAM user {user}");
            Ok(Some(one.clone()))
        }
        [] => {
            eprintln!(
                "mfa-session: IAM user {user} has no TOTP MFA device yet: run `mfa-session enroll {name}` next"
            );
            Ok(None)
        }
        many => pick_device(&user, many).map(Some),
    }
}

/// Asks which of several TOTP devices to use; with no terminal, says to pass --mfa-serial.
fn pick_device(user: &str, devices: &[String]) -> Result<String, Error> {
    let choices = devices
        .iter()
        .enumerate()
        .map(|(i, d)| format!("  {}) {d}\n", i + 1))
        .collect::<String>();
    let question = format!(
        "IAM user {user} has {} TOTP MFA devices:\n{choices}Which one? [1-{}] ",
        devices.len(),
        devices.len()
    );
    let answer = crate::tty::ask_line(&question).ok_or_else(|| {
        Error::Config(format!(
            "IAM user {user} has {} TOTP MFA devices ({}): pick one with --mfa-serial",
            devices.len(),
            devices.join(", ")
        ))
    })?;
    answer
        .parse::<usize>()
        .ok()
        .and_then(|n| devices.get(n.wrapping_sub(1)))
        .cloned()
        .ok_or_else(|| {
            Error::Config(format!(
                "'{answer}' is not one of 1 to {}: run again and pick a number, or pass --mfa-serial",
                devices.len()
            ))
        })
}

/// Stores the keys and writes the profile; with --from-profile, then removes the plain-text
/// copy once the stored keys are proven to work.
pub fn add(args: &AddArgs, ctx: &Ctx) -> Result<(), Error> {
    let name = &args.profile.resolve(&ctx.env)?;
    let set = config::load_profiles(&ctx.env)?;
    // Read the config file strictly before anything is stored or asked.
    let config_file = UserFile::load(&config::config_file_path(&ctx.env), Kind::Config)?;
    let keys = match &args.from_profile {
        Some(src) => read_file_keys(&set, name, src)?,
        None => read_typed_keys(name)?,
    };
    ensure_key_pair(&keys.access_key_id, &keys.secret_access_key)?;
    let existing = set.get_profile(name);
    let from = args
        .from_profile
        .as_deref()
        .and_then(|s| set.get_profile(s));
    let serial = args
        .mfa_serial
        .as_deref()
        .or_else(|| existing.and_then(|p| p.get("mfa_serial")))
        .or_else(|| from.and_then(|p| p.get("mfa_serial")))
        .map(|s| s.trim().to_owned());
    let serial = match serial {
        Some(s) => Some(s),
        None => discover_serial(&set, name, &keys, ctx)?,
    };
    if let Some(serial) = &serial {
        config::ensure_mfa_serial(serial)?;
    }
    let process = config_edit::credential_process_line(crate::paths::front_path().as_deref(), name);
    let region = args
        .region
        .to_write(&set, &ctx.env, name, args.from_profile.as_deref())?;
    let mut pairs = profile_pairs(existing, &process, serial.as_deref(), &keys.access_key_id);
    if let Some(r) = &region {
        pairs.push(("region", r));
    }
    let change = Change::Upsert {
        name,
        set: &pairs,
        remove: &[SOURCE_KEY],
    };
    config_file.plan(&change)?;
    ctx.secrets.set(name, Item::Keys, &stored_keys(&keys))?;
    let saved = config_file.edit(&change, ctx.clock.now())?;
    eprintln!(
        "mfa-session: stored key {} of profile '{name}' in {}; updated [profile {name}] in {}{}",
        mask_key_id(&keys.access_key_id),
        ctx.secrets.name(),
        saved.path.display(),
        saved.previous()
    );
    if let Some(src) = &args.from_profile {
        let remove = args.remove_plaintext
            || (!args.keep_plaintext
                && ask_yes_no(&format!(
                    "Remove the plain-text keys of [{src}] from the AWS files? A backup is kept."
                )));
        if remove {
            remove_plaintext(args, ctx, name, src, &keys, saved.backup.as_deref())?;
        } else {
            eprintln!("mfa-session: the plain-text keys of [{src}] stay in the credentials file");
        }
    }
    Ok(())
}

/// The keys `add` sets in [profile NAME].
fn profile_pairs<'a>(
    existing: Option<&config::Profile>,
    process: &'a str,
    serial: Option<&'a str>,
    key_id: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let has_process = existing
        .and_then(|p| p.get("credential_process"))
        .is_some_and(|c| c.contains("mfa-session"));
    let mut pairs = Vec::new();
    if !has_process {
        pairs.push(("credential_process", process));
    }
    if let Some(serial) = serial {
        pairs.push(("mfa_serial", serial));
    }
    pairs.push((KEY_ID_KEY, key_id));
    pairs
}

/// Proves the stored keys work (sts:GetCallerIdentity), removes every plain-text copy, and says
/// where the backups holding them are, offering to delete them.
fn remove_plaintext(
    args: &AddArgs,
    ctx: &Ctx,
    name: &str,
    src: &str,
    keys: &LongTermKeys,
    earlier_backup: Option<&std::path::Path>,
) -> Result<(), Error> {
    let set = config::load_profiles(&ctx.env)?;
    let stored = crate::profile::keys_of(&set, ctx.secrets.as_ref(), name)?;
    let region = config::profile_region(&set, name, &ctx.env);
    crate::iam::Iam::connect(
        name,
        region.as_deref().unwrap_or(config::GLOBAL_STS_REGION),
        &stored,
    )?
    .user_name()
    .map_err(|e| {
        Error::Config(format!(
            "the keys stored in {} do not work ({e}): the plain-text keys of [{src}] were left where they are",
            ctx.secrets.name()
        ))
    })?;
    let mut removed = plaintext::remove(&ctx.env, src, keys, ctx.clock.now())?;
    // The backup `add` made of the config before its own edit holds the keys too when they
    // were in the config: every backup holding the secret is named and deleted alike.
    if let Some(b) = earlier_backup
        && std::fs::read_to_string(b)
            .is_ok_and(|text| text.contains(keys.secret_access_key.expose()))
        && !removed.backups.iter().any(|x| x == b)
    {
        removed.backups.insert(0, b.to_owned());
    }
    for (path, sections) in &removed.edited {
        eprintln!(
            "mfa-session: removed the plain-text keys of [{}] from {}",
            sections.join("], ["),
            path.display()
        );
    }
    if removed.backups.is_empty() {
        return Ok(());
    }
    let shown: Vec<String> = removed
        .backups
        .iter()
        .map(|b| b.display().to_string())
        .collect();
    let delete = args.delete_backup
        || ask_yes_no(&format!(
            "{} the keys in plain text. Delete {} now?",
            backups_hold(&shown, "The"),
            if shown.len() == 1 { "it" } else { "them" }
        ));
    if delete {
        for b in &removed.backups {
            std::fs::remove_file(b).map_err(|e| {
                Error::Config(format!(
                    "cannot delete {} ({}): delete it by hand",
                    b.display(),
                    e.kind()
                ))
            })?;
        }
        eprintln!("mfa-session: deleted {}", shown.join(" and "));
    } else {
        eprintln!(
            "mfa-session: {} the keys in plain text (0600): delete {} once the profile works",
            backups_hold(&shown, "the"),
            if shown.len() == 1 { "it" } else { "them" }
        );
    }
    Ok(())
}

/// "the backup X holds" / "the backups X and Y hold".
fn backups_hold(shown: &[String], the: &str) -> String {
    if shown.len() == 1 {
        format!("{the} backup {} holds", shown[0])
    } else {
        format!("{the} backups {} hold", shown.join(" and "))
    }
}
