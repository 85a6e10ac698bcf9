//! The `mfa-session` front: the two commands that run on every AWS call and every shell prompt,
//! served from the cache by a binary that links none of the AWS SDK, clap, TLS or tokio.
//!
//! Start-up cost grows with what a binary links (the loader relocates every pointer in it before
//! `main`): the full binary pays about 0.8 ms more than `cat` for that alone. So the front
//! recognises only the plain forms of `credential-process` and `prompt`, answers a cache hit
//! exactly as the full binary would, and otherwise execs `mfa-session-full` (beside it) with the
//! same arguments, which parses, checks, explains and prompts as usual. On a miss the front has
//! written nothing and said nothing; the full binary reads the config and the cache again (well
//! under a millisecond, on a path that waits for a person or for STS).

use crate::cache::Store;
use crate::cmd::credential_process::render;
use crate::cmd::prompt::{Color, show};
use crate::env::{Clock, Env};
use crate::error::Exit;
use crate::profile::selected as selected_profile;
use crate::session::from_cache;
use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

/// The full binary's file name, looked for beside the front.
pub const FULL: &str = "mfa-session-full";

/// What the front serves itself: a plain form, as `parse` read it.
#[derive(Debug, PartialEq, Eq)]
pub enum Fast<'a> {
    /// `credential-process [-p|--profile NAME]`.
    Process {
        /// `-p/--profile`, when given.
        profile: Option<&'a str>,
    },
    /// `prompt` with `-p/--profile`, `--format` and `--color`, each optional.
    Prompt {
        /// `-p/--profile`, when given.
        profile: Option<&'a str>,
        /// `--format`, when given.
        format: Option<&'a str>,
        /// `--color` (`auto` when not given).
        color: Color,
    },
}

/// Runs the front: a cache hit is printed here; anything else goes to the full binary.
pub fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    if let Some(code) = parse(&args).and_then(serve) {
        return code;
    }
    exec_full(&args)
}

fn serve(fast: Fast<'_>) -> Option<ExitCode> {
    let env = Env::real();
    let clock = Clock::from_env(&env).ok()?;
    let store = Store::new(&crate::paths::cache_dir(&env).ok()?);
    match fast {
        Fast::Process { profile } => {
            let name = selected_profile(profile, &env);
            let session = from_cache(&env, &clock, &store, &name)?;
            println!("{}", render(&session));
        }
        Fast::Prompt {
            profile,
            format,
            color,
        } => show(
            &env,
            &clock,
            &store,
            profile,
            format.unwrap_or(crate::cmd::prompt::DEFAULT_FORMAT),
            color,
        ),
    }
    Some(Exit::Ok.into())
}

/// The plain forms only: `credential-process [-p|--profile NAME]` and `prompt` with any of
/// `-p/--profile NAME`, `--format F`, `--color WHEN`, each at most once. Anything else (help,
/// `-v`, typos, repeated flags) is the full binary's to parse and explain. `args` are the
/// arguments after the program name.
pub fn parse(args: &[OsString]) -> Option<Fast<'_>> {
    let args: Vec<&str> = args.iter().map(|a| a.to_str()).collect::<Option<_>>()?;
    let (command, rest) = args.split_first()?;
    let mut profile = None;
    let mut format = None;
    let mut color = None;
    let mut i = 0;
    while i < rest.len() {
        let (flag, inline) = match rest[i].split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v)),
            _ => (rest[i], None),
        };
        let value = match inline {
            Some(v) => v,
            None => {
                i += 1;
                *rest.get(i)?
            }
        };
        i += 1;
        if value.is_empty() || value.starts_with('-') {
            return None;
        }
        let slot = match (*command, flag) {
            (_, "-p" | "--profile") => &mut profile,
            ("prompt", "--format") => &mut format,
            ("prompt", "--color") => &mut color,
            _ => return None,
        };
        if slot.replace(value).is_some() {
            return None;
        }
    }
    match *command {
        "credential-process" => Some(Fast::Process { profile }),
        "prompt" => Some(Fast::Prompt {
            profile,
            format,
            color: match color {
                None | Some("auto") => Color::Auto,
                Some("always") => Color::Always,
                Some("never") => Color::Never,
                Some(_) => return None,
            },
        }),
        _ => None,
    }
}

/// The full binary: beside this one (symlinks to the front resolved first).
fn full_path() -> std::io::Result<PathBuf> {
    Ok(std::env::current_exe()?.with_file_name(FULL))
}

fn exec_full(args: &[OsString]) -> ExitCode {
    let err = match full_path() {
        Ok(full) => {
            let err = Command::new(&full).arg0("mfa-session").args(args).exec();
            match err.kind() {
                std::io::ErrorKind::NotFound => format!("{} is missing", full.display()),
                _ => format!("cannot run {} ({err})", full.display()),
            }
        }
        Err(e) => format!("cannot find where mfa-session is installed ({e})"),
    };
    eprintln!(
        "mfa-session: error: {err} (mfa-session runs it for all but cache hits): install both binaries side by side with `cargo install --locked --path .`"
    );
    Exit::Config.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Option<Fast<'static>> {
        let owned: Vec<OsString> = args.iter().map(OsString::from).collect();
        let leaked: &'static [OsString] = Box::leak(owned.into_boxed_slice());
        parse(leaked)
    }

    #[test]
    fn plain_forms_are_served_here() {
        assert_eq!(
            p(&["credential-process"]),
            Some(Fast::Process { profile: None })
        );
        for args in [
            &["credential-process", "-p", "work"][..],
            &["credential-process", "--profile", "work"],
            &["credential-process", "--profile=work"],
        ] {
            assert_eq!(
                p(args),
                Some(Fast::Process {
                    profile: Some("work")
                }),
                "{args:?}"
            );
        }
        assert_eq!(
            p(&[
                "prompt",
                "--format",
                "{profile}",
                "--color=never",
                "-p",
                "w"
            ]),
            Some(Fast::Prompt {
                profile: Some("w"),
                format: Some("{profile}"),
                color: Color::Never
            })
        );
    }

    #[test]
    fn everything_else_goes_to_the_full_binary() {
        for args in [
            &[][..],
            &["credential-process", "-v"],
            &["-v", "credential-process"],
            &["credential-process", "--help"],
            &["credential-process", "-p"],
            &["credential-process", "-p", "a", "-p", "b"],
            &["credential-process", "-p", "-v"],
            &["credential-process", "--profile="],
            &["credential-process", "work"],
            &["credential-process", "--format", "x"],
            &["prompt", "--color", "sometimes"],
            &["prompt", "--formats", "x"],
            &["exec", "-p", "work", "--", "true"],
            &["status"],
            &["--version"],
        ] {
            assert_eq!(p(args), None, "{args:?}");
        }
    }
}
