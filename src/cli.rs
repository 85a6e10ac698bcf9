//! The full command line (clap): every command, run by the `mfa-session-full` binary, which the
//! `mfa-session` front execs for anything its cache-hit path does not serve.

use crate::{cache, cmd, env, error, secret, secret_store, sts};
use clap::{CommandFactory, Parser, Subcommand};
use error::{Error, Exit};
use std::process::ExitCode;
use std::time::Duration;

/// This build's version, as `--version` prints it; a test build says so (`+test-hooks`).
#[cfg(not(feature = "test-hooks"))]
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("MFA_SESSION_COMMIT"),
    ")"
);
#[cfg(feature = "test-hooks")]
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("MFA_SESSION_COMMIT"),
    ") +test-hooks"
);

/// MFA-backed AWS session credentials for accounts that enforce MFA (the "Force_MFA" policy).
#[derive(Parser)]
#[command(
    name = "mfa-session",
    bin_name = "mfa-session",
    version = VERSION,
    about,
    propagate_version = true
)]
struct Cli {
    /// Print diagnostics on stderr (never secrets).
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    CredentialProcess(cmd::credential_process::Args),
    Exec(cmd::exec::Args),
    Env(cmd::env::Args),
    Clear(cmd::clear::Args),
    Server(cmd::server::Args),
    Prompt(cmd::prompt::Args),
    Add(cmd::keys::AddArgs),
    Remove(cmd::remove::RemoveArgs),
    #[command(visible_alias = "status")]
    List(cmd::list::ListArgs),
    /// Manage TOTP seeds in the OS keyring.
    #[command(subcommand)]
    Seed(cmd::seed::SeedCmd),
    Code(cmd::seed::CodeArgs),
    /// Role profiles on top of an MFA session.
    #[command(subcommand)]
    Role(cmd::role::RoleCmd),
    Enroll(cmd::mfa::EnrollArgs),
    Resync(cmd::mfa::ResyncArgs),
    Unenroll(cmd::mfa::UnenrollArgs),
    Policy(cmd::mfa::PolicyArgs),
    Doctor(cmd::doctor::Args),
    Rotate(cmd::rotate::Args),
    Completions(cmd::completions::Args),
    Init(cmd::init::Args),
    /// Print the man page (roff) on stdout.
    Man,
}

/// `--help`'s command list, in groups (as `git` and `gh` do): the first a new user needs, the
/// daily ones, then upkeep. Every visible command is in exactly one (a unit test holds it).
const GROUPS: &[(&str, &[&str])] = &[
    ("Start here", &["add", "enroll", "exec", "doctor"]),
    (
        "Every day",
        &[
            "list",
            "env",
            "credential-process",
            "prompt",
            "server",
            "clear",
            "code",
        ],
    ),
    (
        "Keys, devices and roles",
        &[
            "rotate", "seed", "resync", "role", "remove", "unenroll", "policy",
        ],
    ),
    ("Shell", &["init", "completions", "man"]),
];

/// The top-level help template with the commands in `GROUPS`.
fn grouped_help(cmd: &clap::Command) -> String {
    let mut out = String::from("{before-help}{about-with-newline}\n{usage-heading} {usage}\n");
    let width = GROUPS
        .iter()
        .flat_map(|(_, names)| names.iter())
        .map(|n| n.len())
        .max()
        .unwrap_or(0);
    for (group, names) in GROUPS {
        out += &format!("\n{group}:\n");
        for name in *names {
            let sub = cmd.find_subcommand(name);
            let mut about = sub
                .and_then(|s| s.get_about())
                .map(|a| a.to_string())
                .unwrap_or_default();
            for alias in sub.into_iter().flat_map(|s| s.get_visible_aliases()) {
                about += &format!(" (also: {alias})");
            }
            out += &format!("  {name:<width$}  {about}\n");
        }
    }
    out + "\nOptions:\n{options}\n\nEach command's own help: mfa-session COMMAND --help{after-help}"
}

/// The command line definition, with the grouped help.
fn command() -> clap::Command {
    let cmd = Cli::command();
    let template = grouped_help(&cmd);
    cmd.help_template(template)
}

/// The internal command the completion scripts run for profile names; kept out of clap so
/// that no completion or help ever offers it.
const PROFILES_COMMAND: &str = "__profiles";

/// The prompt timeout when `MFA_SESSION_PROMPT_TIMEOUT` does not set one (seconds).
const DEFAULT_PROMPT_TIMEOUT: u64 = 55;

/// Where secrets live: `MFA_SESSION_BACKEND=keyring` (default) or `file` (an age-encrypted file at
/// `MFA_SESSION_SECRETS_FILE`, else `$XDG_DATA_HOME/mfa-session/secrets.age`).
fn secret_store(env: &env::Env) -> Result<Box<dyn secret_store::SecretStore>, Error> {
    match env.get("MFA_SESSION_BACKEND").unwrap_or("keyring") {
        "keyring" => Ok(Box::new(secret_store::Keyring::platform())),
        "file" => {
            let source = match (
                env.get("MFA_SESSION_PASSPHRASE"),
                crate::paths::passphrase_file(env)?,
            ) {
                (Some(p), _) => secret_store::Passphrase::Value(secret::Secret::new(p)),
                (None, Some(f)) => secret_store::Passphrase::File(f),
                (None, None) => secret_store::Passphrase::Terminal,
            };
            Ok(Box::new(secret_store::EncryptedFile::new(
                crate::paths::secrets_file(env)?,
                source,
            )))
        }
        other => Err(Error::Config(format!(
            "MFA_SESSION_BACKEND '{other}' is not keyring or file: fix or unset it"
        ))),
    }
}

fn build_ctx(verbose: bool) -> Result<crate::ctx::Ctx, Error> {
    let env = env::Env::real();
    let clock = env::Clock::from_env(&env).map_err(Error::Config)?;
    let seconds = |var: &str, default: u64| match env.get(var) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .ok()
            .filter(|n| (1..=600).contains(n))
            .ok_or_else(|| {
                Error::Config(format!(
                    "{var} '{v}' is not a number of seconds from 1 to 600: fix or unset it"
                ))
            }),
    };
    let prompt_timeout = seconds("MFA_SESSION_PROMPT_TIMEOUT", DEFAULT_PROMPT_TIMEOUT)?;
    let process_timeout = seconds("MFA_SESSION_PROCESS_TIMEOUT", 30)?;
    Ok(crate::ctx::Ctx {
        store: cache::Store::new(&crate::paths::cache_dir(&env)?),
        clock,
        prompt_timeout: Duration::from_secs(prompt_timeout),
        process_timeout: Duration::from_secs(process_timeout),
        verbose,
        sts: Box::new(sts::AwsSts),
        codes: Box::new(crate::ctx::Terminal),
        secrets: secret_store(&env)?,
        sleep: std::thread::sleep,
        key_created: crate::iam::Iam::key_created,
        env,
    })
}

fn run(cli: &Cli) -> Result<(), Error> {
    match &cli.command {
        Command::Completions(a) => return cmd::completions::run(a, command()),
        Command::Man => return cmd::completions::man(command()),
        Command::Init(a) => return cmd::init::run(a),
        _ => {}
    }
    let ctx = build_ctx(cli.verbose)?;
    match &cli.command {
        Command::CredentialProcess(a) => cmd::credential_process::run(a, &ctx),
        Command::Exec(a) => cmd::exec::run(a, &ctx),
        Command::Env(a) => cmd::env::run(a, &ctx),
        Command::Clear(a) => cmd::clear::run(a, &ctx),
        Command::Server(a) => cmd::server::run(a, &ctx),
        Command::Prompt(a) => cmd::prompt::run(a, &ctx),
        Command::Add(a) => cmd::keys::add(a, &ctx),
        Command::Remove(a) => cmd::remove::remove(a, &ctx),
        Command::List(a) => cmd::list::list(a, &ctx),
        Command::Seed(c) => cmd::seed::run(c, &ctx),
        Command::Code(a) => cmd::seed::code(a, &ctx),
        Command::Role(c) => cmd::role::run(c, &ctx),
        Command::Enroll(a) => cmd::mfa::enroll(a, &ctx),
        Command::Resync(a) => cmd::mfa::resync(a, &ctx),
        Command::Unenroll(a) => cmd::mfa::unenroll(a, &ctx),
        Command::Policy(a) => cmd::mfa::policy(a, &ctx),
        Command::Doctor(a) => cmd::doctor::run(a, &ctx, VERSION),
        Command::Rotate(a) => cmd::rotate::run(a, &ctx),
        Command::Completions(_) | Command::Man | Command::Init(_) => unreachable!("handled above"),
    }
}

/// A clap usage error as one line, with the command whose `--help` to read: "unexpected argument
/// '--x' found (tip: ...): see 'mfa-session exec --help'".
fn usage_line(rendered: &str) -> String {
    let mut what = Vec::new();
    let mut usage = "mfa-session".to_owned();
    let mut in_error = true;
    for line in rendered.lines() {
        let line = line.trim();
        if let Some(u) = line.strip_prefix("Usage: ") {
            usage = u
                .split_whitespace()
                .take_while(|w| !w.starts_with(['[', '<', '-']) && *w == w.to_lowercase())
                .collect::<Vec<_>>()
                .join(" ");
        } else if line.is_empty() {
            in_error = false;
        } else if let Some(tip) = line.strip_prefix("tip: ") {
            what.push(format!("({tip})"));
        } else if in_error {
            what.push(line.strip_prefix("error: ").unwrap_or(line).to_owned());
        }
    }
    let what = what.join(" ").replace(": (", " (").replace(":  ", ": ");
    format!("{what}: see '{usage} --help'")
}

/// Parses the command line and runs the command.
pub fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.len() == 2 && args[1] == PROFILES_COMMAND {
        return finish(build_ctx(false).and_then(|ctx| cmd::completions::profiles(&ctx)));
    }
    let parsed = command()
        .try_get_matches_from(args)
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind as K;
            match e.kind() {
                K::DisplayHelp
                | K::DisplayVersion
                | K::DisplayHelpOnMissingArgumentOrSubcommand => e.exit(),
                _ => {
                    eprintln!(
                        "mfa-session: error: {}",
                        usage_line(&e.render().to_string())
                    );
                    return Exit::Usage.into();
                }
            }
        }
    };
    finish(run(&cli))
}

/// The exit code of a command's result, its error said in one line.
fn finish(result: Result<(), Error>) -> ExitCode {
    match result {
        Ok(()) => Exit::Ok.into(),
        Err(err) => {
            eprintln!("mfa-session: error: {err}");
            error::code_of(&err).into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_visible_command_is_in_exactly_one_help_group() {
        let cmd = Cli::command();
        let mut visible: Vec<&str> = cmd
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(|s| s.get_name())
            .collect();
        let mut grouped: Vec<&str> = GROUPS.iter().flat_map(|(_, n)| n.iter().copied()).collect();
        visible.sort_unstable();
        grouped.sort_unstable();
        assert_eq!(visible, grouped);
        let help = command().render_help().to_string();
        assert!(help.contains("Start here:\n  add "), "{help}");
    }
}
