//! The front's argv reader (`front::parse`, the first thing every AWS CLI call and shell prompt
//! runs) on arbitrary arguments: the input split on NUL bytes. No panic; and whatever it takes
//! as a plain form, the full binary's clap definitions (the same `Args` types) must read the
//! same way: same command, same profile, format and colour. Otherwise the front would answer
//! differently from the binary it stands in for.
#![no_main]

use clap::{Arg, ArgAction, Args, Command};
use libfuzzer_sys::fuzz_target;
use mfa_session::cmd::prompt::{Color, DEFAULT_FORMAT};
use mfa_session::front::{Fast, parse};
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

/// The full binary's command line for the two commands the front serves: the real `Args` of
/// each, under the global `-v/--verbose` of src/cli.rs.
fn full() -> Command {
    Command::new("mfa-session")
        .arg(
            Arg::new("verbose")
                .short('v')
                .long("verbose")
                .action(ArgAction::SetTrue)
                .global(true),
        )
        .subcommand_required(true)
        .subcommand(mfa_session::cmd::credential_process::Args::augment_args(
            Command::new("credential-process"),
        ))
        .subcommand(mfa_session::cmd::prompt::Args::augment_args(Command::new(
            "prompt",
        )))
}

fuzz_target!(|data: &[u8]| {
    let args: Vec<OsString> = if data.is_empty() {
        Vec::new()
    } else {
        data.split(|b| *b == 0)
            .map(|a| OsString::from_vec(a.to_vec()))
            .collect()
    };
    let Some(fast) = parse(&args) else {
        return;
    };
    let words: Vec<&str> = args.iter().map(|a| a.to_str().expect("UTF-8")).collect();
    let matches = full()
        .try_get_matches_from(std::iter::once("mfa-session").chain(words.iter().copied()))
        .unwrap_or_else(|e| panic!("the front took {words:?} but the full binary refuses it: {e}"));
    let (command, m) = matches.subcommand().expect("a subcommand");
    let profile = m.get_one::<String>("profile").map(String::as_str);
    match fast {
        Fast::Process { profile: p } => {
            assert_eq!(command, "credential-process");
            assert_eq!(p, profile, "{words:?}");
        }
        Fast::Prompt {
            profile: p,
            format,
            color,
        } => {
            assert_eq!(command, "prompt");
            assert_eq!(p, profile, "{words:?}");
            assert_eq!(
                format.unwrap_or(DEFAULT_FORMAT),
                m.get_one::<String>("format").expect("a default"),
                "{words:?}"
            );
            assert_eq!(Some(&color), m.get_one::<Color>("color"), "{words:?}");
        }
    }
    assert!(!m.get_flag("verbose"), "the front never serves -v");
});
