//! Unit tests of the text edits (table-driven); the property test over whole files is in
//! `user_file_tests.rs`, where the edits run through the file path.

use super::*;

const CONFIG: &str = "# my AWS config\n[default]\nregion = us-east-1 # home\n\n[profile work]\n# work account\nregion = eu-west-1\nmfa_serial = arn:aws:iam::1:mfa/old\noutput = json\n\n; trailing note\n[profile other]\nregion = x";

#[test]
fn upsert_changes_only_the_named_keys() {
    let out = upsert(
        CONFIG,
        Kind::Config,
        "work",
        &[
            ("mfa_serial", "arn:new"),
            (
                "credential_process",
                "mfa-session credential-process --profile work",
            ),
        ],
        &["output"],
    );
    assert_eq!(
        out,
        "# my AWS config\n[default]\nregion = us-east-1 # home\n\n[profile work]\n# work account\nregion = eu-west-1\nmfa_serial = arn:new\ncredential_process = mfa-session credential-process --profile work\n\n; trailing note\n[profile other]\nregion = x"
    );
}

#[test]
fn upsert_appends_a_missing_section_and_keeps_a_last_line_without_newline() {
    let out = upsert(CONFIG, Kind::Config, "new", &[("a", "1")], &[]);
    assert_eq!(out, format!("{CONFIG}\n\n[profile new]\na = 1\n"));
    assert_eq!(
        upsert("", Kind::Config, "p", &[("a", "1")], &[]),
        "[profile p]\na = 1\n"
    );
    assert_eq!(
        upsert("", Kind::Credentials, "p", &[("a", "1")], &[]),
        "[p]\na = 1\n"
    );
    let out = upsert(CONFIG, Kind::Config, "other", &[("b", "2")], &[]);
    assert!(
        out.ends_with("[profile other]\nregion = x\nb = 2\n"),
        "{out}"
    );
}

#[test]
fn a_config_section_without_the_profile_prefix_is_not_the_profile() {
    // The SDKs ignore `[work]` in the config file: the keys go into a new `[profile work]`.
    let out = upsert("[work]\na = 1\n", Kind::Config, "work", &[("a", "2")], &[]);
    assert_eq!(out, "[work]\na = 1\n\n[profile work]\na = 2\n");
}

#[test]
fn duplicate_sections_get_the_keys_in_the_last_one_and_lose_stale_copies() {
    let text = "[profile w]\na = 1\nb = 1\n[profile w]\nc = 1\n";
    assert_eq!(
        upsert(text, Kind::Config, "w", &[("a", "2")], &[]),
        "[profile w]\nb = 1\n[profile w]\nc = 1\na = 2\n"
    );
}

#[test]
fn continuation_lines_go_with_their_property() {
    let text = "[profile w]\ns3 =\n  max_concurrent_requests = 10\nregion = x\n";
    assert_eq!(
        upsert(text, Kind::Config, "w", &[], &["s3"]),
        "[profile w]\nregion = x\n"
    );
    assert_eq!(keys_of(text, Kind::Config, "w"), ["s3", "region"]);
}

#[test]
fn strip_keys_takes_the_keys_from_every_form_of_the_section() {
    let creds = "# keys\n[lt]\naws_access_key_id = A\naws_secret_access_key = S\n\n[other]\nx = 1\n[lt]\nregion = r\naws_access_key_id = A\n";
    let keys = ["aws_access_key_id", "aws_secret_access_key"];
    assert_eq!(
        strip_keys(creds, Kind::Credentials, "lt", &keys),
        "# keys\n[other]\nx = 1\n[lt]\nregion = r\n"
    );
    let config =
        "[profile lt]\naws_access_key_id = A\nregion = r\n[lt]\naws_secret_access_key = S\n";
    assert_eq!(
        strip_keys(config, Kind::Config, "lt", &keys),
        "[profile lt]\nregion = r\n"
    );
    assert_eq!(strip_keys(creds, Kind::Credentials, "none", &keys), creds);
}

#[test]
fn sections_holding_a_key_are_found_by_value() {
    let text = "[a]\naws_access_key_id = K1\n[profile b]\naws_access_key_id=K1 \n[c]\naws_access_key_id = K2\n";
    assert_eq!(
        sections_holding(text, "aws_access_key_id", "K1"),
        ["a", "b"]
    );
}

#[test]
fn profile_names_are_those_the_sdks_accept() {
    for ok in ["work", "a.b-c_d/e%f@g:h+i", "default", "123"] {
        ensure_profile_name(ok).unwrap();
    }
    for bad in ["", "a]b", "a\nb", "a b", "x]\n[profile evil", "é", "a=b"] {
        let err = ensure_profile_name(bad).unwrap_err().to_string();
        assert!(
            err.contains("is not one the AWS SDKs accept"),
            "{bad:?}: {err}"
        );
        assert!(!err.contains('\n'), "one line: {err}");
    }
}

#[test]
fn the_credential_process_path_is_quoted_for_sh_and_shlex() {
    assert_eq!(
        credential_process_line(Some(Path::new("/usr/bin/mfa-session")), "w"),
        "/usr/bin/mfa-session credential-process --profile w"
    );
    assert_eq!(
        credential_process_line(Some(Path::new("/home/a b/it's/mfa-session")), "w"),
        r"'/home/a b/it'\''s/mfa-session' credential-process --profile w"
    );
    assert_eq!(
        credential_process_line(None, "w"),
        "mfa-session credential-process --profile w"
    );
    // What sh makes of the quoted word is the path itself.
    let quoted = shell_quote("/x y/$HOME/`id`/it's");
    let out = std::process::Command::new("sh")
        .args(["-c", &format!("printf %s {quoted}")])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "/x y/$HOME/`id`/it's"
    );
}
