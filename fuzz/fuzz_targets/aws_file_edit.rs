//! The edits of the user's AWS files on arbitrary text: `config_edit::upsert` and `strip_keys`
//! must keep every line outside the edited profile's sections (the oracle of the proptest in
//! src/user_file_tests.rs), and `user_file::plan_text` (the check every real edit goes through)
//! must either refuse or give that same text, which aws-config then reads. aws-config's parser
//! (`config::parse_one`) sees every text, as a config and as a credentials file.
//!
//! Input: one control byte (file kind, profile, edit), then the file's text (UTF-8 only: the
//! real reader refuses anything else).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_session::config::parse_one;
use mfa_session::config_edit::{Kind, strip_keys, upsert};
use mfa_session::user_file::{Change, plan_text};

const NAMES: [&str; 4] = ["work", "lt", "default", "a.b@c"];
/// What `add`/`enroll` set, as in src/user_file_tests.rs.
const SET: &[(&str, &str)] = &[
    (
        "credential_process",
        "/usr/bin/mfa-session credential-process --profile work",
    ),
    ("mfa_serial", "arn:aws:iam::123456789012:mfa/work"),
    ("mfa_session_access_key_id", "AKIAEXAMPLE"),
];
const REMOVE: &[&str] = &["mfa_session_source_profile", "region"];
/// What the plain-text removal takes out.
const STRIP: &[&str] = &["aws_access_key_id", "aws_secret_access_key"];

/// The lines outside every section of profile `name` (any header form): what must not change.
/// The same reading as `outside` in src/user_file_tests.rs.
fn outside(text: &str, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for l in text.split_inclusive('\n') {
        if l.starts_with('[') {
            let inner = l
                .trim_end()
                .trim_start_matches('[')
                .split([']', '#', ';'])
                .next()
                .unwrap_or("");
            let words: Vec<&str> = inner.split_whitespace().collect();
            inside = matches!(words.as_slice(), [n] | ["profile", n] if *n == name);
        }
        if !inside {
            out.push(l.trim_end_matches('\n').to_owned());
        }
    }
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let kind = if control & 1 == 0 {
        Kind::Config
    } else {
        Kind::Credentials
    };
    let name = NAMES[usize::from(control >> 1) % NAMES.len()];
    let _ = parse_one(text, Kind::Config);
    let _ = parse_one(text, Kind::Credentials);

    let names = [name.to_owned()];
    let (edited, change) = if control & 0x10 == 0 {
        let remove = if control & 0x20 == 0 {
            &REMOVE[..1]
        } else {
            REMOVE
        };
        (
            upsert(text, kind, name, SET, remove),
            Change::Upsert {
                name,
                set: SET,
                remove,
            },
        )
    } else {
        (
            strip_keys(text, kind, name, STRIP),
            Change::Strip {
                names: &names,
                keys: STRIP,
            },
        )
    };
    assert_eq!(
        outside(text, name),
        outside(&edited, name),
        "the edit changed a line outside profile {name}'s sections"
    );
    if let Ok(planned) = plan_text(text, kind, &change) {
        assert_eq!(planned, edited, "the plan is the edit");
        assert!(parse_one(&planned, kind).is_ok(), "a planned edit parses");
    }
});
