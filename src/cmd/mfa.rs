//! Self-service MFA: `enroll`, `resync`, `unenroll` a virtual MFA device with the profile's own
//! keys, and `policy`, the Force_MFA policy these commands need.

use crate::cmd::ProfileSel;
use crate::config::{self, GLOBAL_STS_REGION};
use crate::config_edit::{self, Kind};
use crate::ctx::Ctx;
use crate::error::Error;
use crate::iam::Iam;
use crate::mfa::totp::Seed;
use crate::secret::Secret;
use crate::secret_store::Item;
use crate::session;
use crate::user_file::{Change, UserFile};

/// Create, enable and store a virtual MFA device for the profile's IAM user, in one step.
#[derive(clap::Args, Debug)]
pub struct EnrollArgs {
    #[command(flatten)]
    profile: ProfileSel,
    #[command(flatten)]
    region: super::RegionArg,
    /// The device's name (default: the IAM user name, which the Force_MFA policy requires).
    #[arg(long, value_name = "NAME")]
    device_name: Option<String>,
    /// Add a device although the user already has one (AWS allows several).
    #[arg(long)]
    additional: bool,
    /// Also print the seed as a terminal QR code and otpauth:// URI, for a phone app.
    #[arg(long)]
    show_qr: bool,
}

/// Resynchronize the profile's virtual MFA device with two codes from its stored seed.
#[derive(clap::Args, Debug)]
pub struct ResyncArgs {
    #[command(flatten)]
    profile: ProfileSel,
}

/// Deactivate and delete the profile's virtual MFA device, and forget its seed and sessions.
#[derive(clap::Args, Debug)]
pub struct UnenrollArgs {
    #[command(flatten)]
    profile: ProfileSel,
    /// Do not ask for confirmation.
    #[arg(long)]
    yes: bool,
}

/// Print the Force_MFA IAM policy for mfa-session's users, as JSON.
#[derive(clap::Args, Debug)]
pub struct PolicyArgs {
    /// The account id to put in resource ARNs (default: any account, `*`).
    #[arg(long, value_name = "ID")]
    account_id: Option<String>,
    /// Only the statements that let users manage their own MFA device (no deny).
    #[arg(long)]
    self_manage_only: bool,
}

/// The profile's keys and an IAM client signing with them.
fn connect_with_keys(ctx: &Ctx, name: &str) -> Result<(Iam, config::ProfileSet), Error> {
    let set = config::load_profiles(&ctx.env)?;
    let keys = crate::profile::keys_of(&set, ctx.secrets.as_ref(), name)?;
    let region = config::profile_region(&set, name, &ctx.env);
    let iam = Iam::connect(name, region.as_deref().unwrap_or(GLOBAL_STS_REGION), &keys)?;
    Ok((iam, set))
}

/// Two consecutive codes ending with the current step's (AWS asks for two in a row; using the
/// previous one means nobody waits 30 seconds for the next).
fn two_codes(ctx: &Ctx, seed: &Seed) -> (u64, Secret, Secret) {
    let now = u64::try_from(ctx.clock.now().timestamp()).unwrap_or(0);
    let step = seed.step_at(now);
    (step, seed.code_for_step(step - 1), seed.code_for_step(step))
}

/// What `enroll` writes into [profile NAME]: `mfa_serial`, and `credential_process` unless the
/// profile already runs mfa-session.
struct ProfileEdit<'a> {
    name: &'a str,
    path: std::path::PathBuf,
    process: Option<String>,
    region: Option<String>,
}

impl<'a> ProfileEdit<'a> {
    fn new(ctx: &Ctx, set: &config::ProfileSet, name: &'a str, region: Option<String>) -> Self {
        let has_process = set
            .get_profile(name)
            .and_then(|p| p.get("credential_process"))
            .is_some_and(|c| c.contains("mfa-session"));
        ProfileEdit {
            name,
            path: config::config_file_path(&ctx.env),
            process: (!has_process).then(|| {
                config_edit::credential_process_line(crate::paths::front_path().as_deref(), name)
            }),
            region,
        }
    }

    /// Checks the edit for `serial` (`ctx` None: nothing written), or makes it.
    fn save(&self, serial: &str, ctx: Option<&Ctx>) -> Result<crate::user_file::Saved, Error> {
        let mut pairs = vec![("mfa_serial", serial)];
        if let Some(p) = &self.process {
            pairs.insert(0, ("credential_process", p.as_str()));
        }
        if let Some(r) = &self.region {
            pairs.push(("region", r.as_str()));
        }
        let change = Change::Upsert {
            name: self.name,
            set: &pairs,
            remove: &[],
        };
        let file = UserFile::load(&self.path, Kind::Config)?;
        match ctx {
            None => file.plan(&change).map(|_| crate::user_file::Saved {
                path: self.path.clone(),
                backup: None,
                changed: false,
            }),
            Some(ctx) => file.edit(&change, ctx.clock.now()),
        }
    }
}

/// Creates → stores the seed → enables → configures → proves it with a first session. Undoes
/// the device and the seed if enabling fails.
pub fn enroll(args: &EnrollArgs, ctx: &Ctx) -> Result<(), Error> {
    let name = args.profile.resolve(&ctx.env)?;
    let (iam, set) = connect_with_keys(ctx, &name)?;
    let user = iam.user_name()?;
    // A FIDO security key does not count: GetSessionToken cannot use it.
    let existing = iam.list_mfa_devices(&user)?;
    let totp = existing.iter().find(|s| crate::config::is_totp_serial(s));
    if let (Some(first), false) = (totp, args.additional) {
        return Err(Error::Config(format!(
            "IAM user {user} already has an MFA device ({first}): set `mfa_serial = {first}` in [profile {name}] to use it, or pass --additional to add another"
        )));
    }
    // The config edit is planned (file read strictly, change checked) before any device exists,
    // so a file mfa-session cannot edit stops here, not after the device is enabled.
    let region = args.region.to_write(&set, &ctx.env, &name, None)?;
    let edit = ProfileEdit::new(ctx, &set, &name, region);
    edit.save("arn:aws:iam::123456789012:mfa/planned", None)?;
    let device = args.device_name.clone().unwrap_or_else(|| user.clone());
    let (serial, seed_text) = iam.create_virtual_mfa_device(&device)?;
    // The seed goes last, and only once the device is gone: an enabled device whose seed is
    // lost locks its user out of MFA (AWS refuses to delete an assigned device, and under
    // Force_MFA long-term keys may not deactivate it).
    let undo = |enabled: bool| {
        let (iam, user, serial, name) = (&iam, &user, &serial, &name);
        move |err: Error| -> Error {
            let device_gone = (!enabled || iam.deactivate(user, serial).is_ok())
                && iam.delete_virtual(serial).is_ok();
            if device_gone {
                let _ = ctx.secrets.delete(name, Item::Seed);
                return err;
            }
            let kept = ctx.secrets.get(name, Item::Seed).is_ok_and(|s| s.is_some());
            Error::Config(if enabled && kept {
                format!(
                    "{err}; the new device {serial} is enabled and could not be removed, so its seed is kept in {} (profile '{name}'): set `mfa_serial = {serial}` in [profile {name}] to use it, or deactivate and delete the device in the IAM console, then `mfa-session seed remove {name}`",
                    ctx.secrets.name()
                )
            } else {
                format!(
                    "{err}; and the new device {serial} could not be deleted: delete it in the IAM console"
                )
            })
        }
    };
    let seed = Seed::parse(seed_text.expose()).map_err(undo(false))?;
    ctx.secrets
        .set(&name, Item::Seed, &seed.to_stored())
        .map_err(undo(false))?;
    let (step, c1, c2) = two_codes(ctx, &seed);
    iam.enable(&user, &serial, (&c1, &c2), false)
        .map_err(undo(false))?;
    crate::mfa::steps::save_used(&ctx.store, &serial, step * seed.period());

    let saved = ctx
        .fail_at("enroll-config")
        .and_then(|()| edit.save(&serial, Some(ctx)))
        .map_err(undo(true))?;
    eprintln!(
        "mfa-session: enrolled {serial} for IAM user {user}; its seed is in {}; updated [profile {name}] in {}{}",
        ctx.secrets.name(),
        saved.path.display(),
        saved.previous()
    );
    if args.show_qr {
        print_qr(&seed)?;
    }
    let first = session::obtain(ctx, &name)?;
    eprintln!(
        "mfa-session: first MFA session for profile '{name}' is valid until {}",
        crate::env::rfc3339(first.session.expiration)
    );
    Ok(())
}

fn print_qr(seed: &Seed) -> Result<(), Error> {
    let uri = seed.to_stored();
    let code = qrcode::QrCode::new(uri.expose().as_bytes())
        .map_err(|e| Error::Config(format!("cannot draw the QR code: {e}")))?;
    let art = code
        .render::<qrcode::render::unicode::Dense1x2>()
        .quiet_zone(true)
        .build();
    println!("{art}\n{}", uri.expose());
    Ok(())
}

/// Resynchronizes the device with two codes from the stored seed.
pub fn resync(args: &ResyncArgs, ctx: &Ctx) -> Result<(), Error> {
    let name = args.profile.resolve(&ctx.env)?;
    let (iam, set) = connect_with_keys(ctx, &name)?;
    let cfg = config::resolve_profile(&set, &name, &ctx.env)?;
    let stored = ctx.secrets.get(&name, Item::Seed)?.ok_or_else(|| {
        Error::Config(format!("no TOTP seed stored for profile '{name}': resync needs it (`mfa-session seed set {name}`)"))
    })?;
    let seed = Seed::parse(stored.expose())?;
    let user = iam.user_name()?;
    let (step, c1, c2) = two_codes(ctx, &seed);
    iam.enable(&user, &cfg.mfa_serial, (&c1, &c2), true)?;
    crate::mfa::steps::save_used(&ctx.store, &cfg.mfa_serial, step * seed.period());
    eprintln!(
        "mfa-session: resynchronized {} for IAM user {user}",
        cfg.mfa_serial
    );
    Ok(())
}

/// Deactivates and deletes the device (with an MFA session: the policy denies it otherwise),
/// then forgets its seed, sessions and `mfa_serial`.
pub fn unenroll(args: &UnenrollArgs, ctx: &Ctx) -> Result<(), Error> {
    let name = args.profile.resolve(&ctx.env)?;
    let set = config::load_profiles(&ctx.env)?;
    let cfg = config::resolve_profile(&set, &name, &ctx.env)?;
    if !args.yes {
        let q = format!(
            "Deactivate and delete MFA device {} of profile '{name}'?",
            cfg.mfa_serial
        );
        let yes = crate::tty::confirm(&q).ok_or_else(|| {
            Error::Config(format!(
                "no terminal to confirm on: pass --yes to unenroll profile '{name}'"
            ))
        })?;
        if !yes {
            return Err(Error::Config("not confirmed: nothing changed".into()));
        }
    }
    let config_path = config::config_file_path(&ctx.env);
    let change = Change::Upsert {
        name: &name,
        set: &[],
        remove: &["mfa_serial"],
    };
    UserFile::load(&config_path, Kind::Config)?.plan(&change)?;
    // Who the user is, from the long-term keys (sts:GetCallerIdentity needs no permission).
    let user = connect_with_keys(ctx, &name)?.0.user_name()?;
    let s = session::obtain(ctx, &name)?.session;
    let iam = Iam::connect_session(&name, cfg.sts_region(), &s)?;
    iam.deactivate(&user, &cfg.mfa_serial)?;
    iam.delete_virtual(&cfg.mfa_serial)?;
    ctx.secrets.delete(&name, Item::Seed)?;
    // The device is gone: its sessions are of no further use, and a cache that cannot be read
    // must not stop the config edit that follows.
    for (key, entry) in ctx.store.entries().unwrap_or_default() {
        if entry.profile == name || entry.mfa_serial == cfg.mfa_serial {
            let _ = ctx.store.remove(&key);
        }
    }
    let saved = UserFile::load(&config_path, Kind::Config)?.edit(&change, ctx.clock.now())?;
    eprintln!(
        "mfa-session: removed MFA device {} of IAM user {user}, its seed and sessions, and mfa_serial from [profile {name}] in {}{}",
        cfg.mfa_serial,
        saved.path.display(),
        saved.previous()
    );
    Ok(())
}

/// Prints the policy.
pub fn policy(args: &PolicyArgs, _ctx: &Ctx) -> Result<(), Error> {
    let account = match &args.account_id {
        Some(id) if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) => id.as_str(),
        Some(id) => {
            return Err(Error::Config(format!(
                "--account-id '{id}' is not a 12-digit AWS account id"
            )));
        }
        None => "*",
    };
    let doc = crate::policy::document(account, args.self_manage_only);
    println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
    Ok(())
}
