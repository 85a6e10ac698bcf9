//! The safe edit, on real files: strict reads, symlinks, owner and mode, backups, and a
//! property test over generated AWS files that every byte outside the edited section is kept.

use super::*;
use proptest::prelude::*;
use std::os::unix::fs::PermissionsExt;

fn now() -> DateTime<Utc> {
    "2026-12-02T10:00:00Z".parse().unwrap()
}

const ADD: Change<'static> = Change::Upsert {
    name: "work",
    set: &[
        (
            "credential_process",
            "/usr/bin/mfa-session credential-process --profile work",
        ),
        ("mfa_serial", "arn:aws:iam::123456789012:mfa/work"),
        ("mfa_session_access_key_id", "AKIAEXAMPLE"),
    ],
    remove: &["mfa_session_source_profile"],
};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

#[test]
fn a_file_that_is_not_utf8_stops_the_edit_and_stays_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    let bytes = b"[profile a]\nregion = x\n# Configuraci\xf3n\n[profile b]\nregion = y\n";
    std::fs::write(&path, bytes).unwrap();
    let err = UserFile::load(&path, Kind::Config)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("line 3 is not UTF-8"), "{err}");
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn a_missing_file_is_created_private_and_needs_no_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new/config");
    let saved = UserFile::load(&path, Kind::Config)
        .unwrap()
        .edit(&ADD, now())
        .unwrap();
    assert!(saved.backup.is_none() && saved.changed);
    assert_eq!(mode(&path), 0o600);
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("[profile work]\n")
    );
}

#[test]
fn an_edit_writes_through_a_symlink_keeping_mode_and_backs_up_with_create_new() {
    let dir = tempfile::tempdir().unwrap();
    let dotfiles = dir.path().join("dotfiles");
    std::fs::create_dir(&dotfiles).unwrap();
    let target = dotfiles.join("aws-config");
    std::fs::write(&target, "[profile other]\nregion = x\n").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join("config");
    std::os::unix::fs::symlink(&target, &link).unwrap();

    let first = UserFile::load(&link, Kind::Config)
        .unwrap()
        .edit(&ADD, now())
        .unwrap();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(mode(&target), 0o640);
    let text = std::fs::read_to_string(&target).unwrap();
    assert!(
        text.starts_with("[profile other]\nregion = x\n\n[profile work]\n"),
        "{text}"
    );
    let b1 = first.backup.unwrap();
    assert_eq!(b1.parent(), link.parent(), "beside the path the user knows");
    assert_eq!(b1.file_name().unwrap(), "config.bak-20261202T100000Z");
    assert_eq!(mode(&b1), 0o600);
    assert_eq!(
        std::fs::read_to_string(&b1).unwrap(),
        "[profile other]\nregion = x\n"
    );

    // A second edit in the same second never overwrites the first backup.
    let unset = Change::Upsert {
        name: "work",
        set: &[],
        remove: &["mfa_serial"],
    };
    let second = UserFile::load(&link, Kind::Config)
        .unwrap()
        .edit(&unset, now())
        .unwrap();
    assert_eq!(
        second.backup.unwrap().file_name().unwrap(),
        "config.bak-20261202T100000Z-2"
    );
    assert_eq!(
        std::fs::read_to_string(&b1).unwrap(),
        "[profile other]\nregion = x\n"
    );
}

#[test]
fn a_dangling_symlink_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("config");
    std::os::unix::fs::symlink(dir.path().join("gone"), &link).unwrap();
    let err = UserFile::load(&link, Kind::Config)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("symlink to a file that does not exist"),
        "{err}"
    );
}

#[test]
fn a_text_the_parser_rejects_is_never_edited() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, "region = x\n[profile a]\n").unwrap();
    let err = UserFile::load(&path, Kind::Config)
        .unwrap()
        .edit(&ADD, now())
        .unwrap_err();
    assert!(err.to_string().contains("does not parse now"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "region = x\n[profile a]\n"
    );
}

#[test]
fn the_check_catches_an_edit_that_touches_another_profile() {
    let old = "[profile a]\nregion = x\n[profile work]\nregion = y\n";
    assert!(
        check(
            old,
            "[profile a]\nregion = z\n[profile work]\nregion = y\n",
            Kind::Config,
            &ADD
        )
        .is_err()
    );
    let unset = Change::Upsert {
        name: "work",
        set: &[("region", "q")],
        remove: &[],
    };
    assert!(
        check(old, old, Kind::Config, &unset).is_err(),
        "the change was not made"
    );
    let made = "[profile a]\nregion = x\n[profile work]\nregion = q\n";
    check(old, made, Kind::Config, &unset).unwrap();
}

/// The lines outside every section of profile `name` (any header form): what must not change.
#[test]
fn edits_keep_the_last_five_backups_and_never_touch_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, "[default]\nregion = x\n").unwrap();
    std::fs::write(dir.path().join("config.bak-mine"), "mine").unwrap();
    std::fs::write(dir.path().join("config.bak-20260101T000000Z.orig"), "mine").unwrap();
    let mut made = Vec::new();
    for i in 0..8 {
        let at = now() + chrono::TimeDelta::seconds(i);
        let value = format!("r{i}");
        let pairs = [("region", value.as_str())];
        let change = Change::Upsert {
            name: "work",
            set: &pairs,
            remove: &[],
        };
        let saved = UserFile::load(&path, Kind::Config)
            .unwrap()
            .edit(&change, at)
            .unwrap();
        made.push(saved.backup.unwrap());
    }
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("config.bak-"))
        .collect();
    left.sort();
    let mut want: Vec<String> = made[3..]
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_owned())
        .collect();
    want.push("config.bak-20260101T000000Z.orig".into());
    want.push("config.bak-mine".into());
    want.sort();
    assert_eq!(left, want);
    assert_eq!(
        backup_order("config", "config.bak-20261202T100000Z-3"),
        Some(("20261202T100000Z".into(), 3))
    );
    assert_eq!(
        backup_order("config", "config.bak-20261202T100000Z-1"),
        None
    );
    assert_eq!(
        backup_order("config", "credentials.bak-20261202T100000Z"),
        None
    );
}

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

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_]{1,12}".prop_map(|k| format!("{k} = v")),
        Just("region=eu-west-1".to_owned()),
        Just("region = us-east-1   # inline comment".to_owned()),
        Just("description = café ☕ naïve".to_owned()),
        Just("  continued = value".to_owned()),
        Just("\tsub = 1".to_owned()),
        Just("# comment ñ".to_owned()),
        Just("; other comment".to_owned()),
        Just(String::new()),
        Just("   ".to_owned()),
        Just("mfa_serial = arn:aws:iam::1:mfa/old".to_owned()),
        Just("aws_access_key_id = AKIAOLD".to_owned()),
        Just("aws_secret_access_key = SECRETOLD".to_owned()),
        Just("mfa_session_source_profile = lt".to_owned()),
    ]
}

fn header() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("[profile work]"),
        Just("[profile   work]"),
        Just("[work]"),
        Just("[default]"),
        Just("[profile default]"),
        Just("[profile lt]"),
        Just("[lt]"),
        Just("[profile other] # note"),
        Just("[sso-session corp]"),
        Just("[services local]"),
        Just("[profile ünïcode]"),
    ]
    .prop_map(str::to_owned)
}

fn file() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(line(), 0..3),
        proptest::collection::vec((header(), proptest::collection::vec(line(), 0..6)), 0..7),
        any::<bool>(),
    )
        .prop_map(|(preamble, sections, final_newline)| {
            let mut ls: Vec<String> = preamble
                .into_iter()
                .filter(|l| l.trim().is_empty() || l.starts_with(['#', ';']))
                .collect();
            for (h, body) in sections {
                ls.push(h);
                ls.extend(body);
            }
            let mut text = ls.join("\n");
            if final_newline && !text.is_empty() {
                text.push('\n');
            }
            text
        })
}

fn run_edit(
    text: &str,
    kind: Kind,
    change: &Change<'_>,
    name: &str,
    via_link: bool,
) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("real");
    std::fs::write(&target, text).unwrap();
    let path = if via_link {
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        link
    } else {
        target.clone()
    };
    let parses = crate::config::parse_one(text, kind).is_ok();
    let result = UserFile::load(&path, kind).unwrap().edit(change, now());
    let after = std::fs::read_to_string(&target).unwrap();
    match result {
        Ok(_) => {
            prop_assert!(parses);
            prop_assert_eq!(outside(text, name), outside(&after, name));
            if via_link {
                prop_assert!(
                    std::fs::symlink_metadata(&path)
                        .unwrap()
                        .file_type()
                        .is_symlink()
                );
            }
        }
        Err(_) => prop_assert_eq!(&after, text, "a refused edit leaves the file as it was"),
    }
    Ok(())
}

proptest! {
    /// `add` (set keys of [profile work] in the config) and the plain-text removal (strip keys of
    /// [lt] from the credentials and config files) keep every byte outside the edited section,
    /// directly and through a symlink; a file the parser rejects is left untouched.
    #[test]
    fn edits_keep_every_byte_outside_the_edited_section(text in file(), via_link in any::<bool>()) {
        run_edit(&text, Kind::Config, &ADD, "work", via_link)?;
        let names = ["lt".to_owned()];
        let strip = Change::Strip { names: &names, keys: &["aws_access_key_id", "aws_secret_access_key"] };
        run_edit(&text, Kind::Credentials, &strip, "lt", via_link)?;
        run_edit(&text, Kind::Config, &strip, "lt", via_link)?;
    }
}

#[test]
fn an_edit_keeps_the_owner_of_the_file() {
    use std::os::unix::fs::MetadataExt;
    if crate::private_file::euid() != 0 {
        return; // only root can give a file to another user; CI runs as root
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, "[profile other]\nregion = x\n").unwrap();
    std::os::unix::fs::chown(&path, Some(4242), Some(4243)).unwrap();
    UserFile::load(&path, Kind::Config)
        .unwrap()
        .edit(&ADD, now())
        .unwrap();
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (4242, 4243));
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("[profile work]")
    );
}
