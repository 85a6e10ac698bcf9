//! A new user's first hour (issue 21), walked through the real binary: the profile named the
//! aws-vault way, one table with roles as roles, `add`'s region, `remove` that asks and can
//! keep the keys, and a standard output that stops being read.

mod common;
use common::*;

fn file_backend(mut cmd: std::process::Command, t: &TestEnv) -> std::process::Command {
    cmd.env("MFA_SESSION_BACKEND", "file")
        .env(
            "MFA_SESSION_SECRETS_FILE",
            t.tmp.path().join("store/secrets.age"),
        )
        .env("MFA_SESSION_PASSPHRASE", "correct horse");
    cmd
}

#[test]
fn exec_takes_the_profile_first_as_in_aws_vault_and_every_command_takes_it_the_same_way() {
    let t = TestEnv::new("profilefirst");
    let show = "echo $MFA_SESSION_PROFILE";
    let out = run(&mut t.with_tty(&["123456"], BIN, &["exec", "work", "--", "sh", "-c", show]));
    assert_eq!(ok(&out).trim(), "work");
    // Cached now: without `--`, and with -p, no terminal needed.
    for args in [
        &["exec", "work", "sh", "-c", show][..],
        &["exec", "-p", "work", "sh", "-c", show],
        &["exec", "-p", "work", "--", "sh", "-c", show],
    ] {
        assert_eq!(ok(&run(&mut t.mfa(args))).trim(), "work", "{args:?}");
    }
    // A name that is no profile: said, with the profiles there are.
    fails(
        &run(&mut t.mfa(&["exec", "wrok", "--", "true"])),
        3,
        "profile 'wrok' is not in the AWS config files (they have work, work-lt): check the name",
    );
    // The same profile, positional or -p, for the other one-profile commands.
    for args in [
        &["list", "work", "--json"][..],
        &["status", "-p", "work", "--json"],
    ] {
        let rows: serde_json::Value = serde_json::from_str(&ok(&run(&mut t.mfa(args)))).unwrap();
        assert_eq!(rows.as_array().unwrap().len(), 1, "{args:?}");
        assert_eq!(rows[0]["state"], "valid", "{args:?}");
    }
    for args in [
        &["env", "work", "--format", "json"][..],
        &["credential-process", "work"],
        &["prompt", "work"],
    ] {
        let out = ok(&run(&mut t.mfa(args)));
        assert!(!out.is_empty(), "{args:?}");
    }
    ok(&run(&mut t.mfa(&["clear", "work"])));
    fails(
        &run(&mut t.mfa(&["list", "nope"])),
        3,
        "profile 'nope' is not in the AWS config files",
    );
}

#[test]
fn list_is_one_table_with_role_profiles_shown_as_roles() {
    let t = TestEnv::new("onetable");
    t.write_config(
        "[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = work\n",
    );
    let rows: serde_json::Value =
        serde_json::from_str(&ok(&run(&mut t.mfa(&["list", "--json"])))).unwrap();
    let admin = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["profile"] == "admin")
        .unwrap();
    assert_eq!(admin["kind"], "role", "{rows}");
    assert_eq!(admin["role_of"], "work", "{rows}");
    assert_eq!(admin["state"], "none", "{rows}");
    assert_eq!(admin["code_source"], "prompt", "{rows}");
    let table = ok(&run(&mut t.mfa(&["list"])));
    assert!(table.starts_with("PROFILE"), "{table}");
    assert!(
        table.contains("admin (role)") && !table.contains("misconfigured"),
        "{table}"
    );
}

#[test]
fn add_writes_a_region_and_remove_asks_then_can_keep_the_keys_in_the_file() {
    let t = TestEnv::new("addremove");
    let add = |name: &str, extra: &[&str]| {
        let mut args = vec!["add", name, "--from-profile", "work-lt", "--keep-plaintext"];
        args.extend(["--mfa-serial", t.serial.as_str()]);
        args.extend(extra);
        run(&mut file_backend(t.mfa(&args), &t))
    };
    // No region anywhere and no terminal to ask on: us-east-1, said.
    let out = add("work2", &[]);
    ok(&out);
    assert!(
        stderr(&out).contains("profile 'work2' gets region = us-east-1"),
        "{}",
        stderr(&out)
    );
    ok(&add("work3", &["--region", "eu-central-1"]));
    let config = std::fs::read_to_string(t.config_path()).unwrap();
    let section = |name: &str| {
        let start = config.find(&format!("[profile {name}]")).unwrap();
        let rest = &config[start + 1..];
        rest[..rest.find("\n[").unwrap_or(rest.len())].to_owned()
    };
    assert!(section("work2").contains("region = us-east-1"), "{config}");
    assert!(
        section("work3").contains("region = eu-central-1"),
        "{config}"
    );
    fails(
        &add("work4", &["--region", "Not A Region"]),
        3,
        "is not an AWS region",
    );

    // remove: refused with no terminal to confirm on, and nothing changed.
    fails(
        &run(&mut file_backend(t.mfa(&["remove", "work2"]), &t)),
        3,
        "no terminal to confirm on: pass --yes",
    );
    let list = |name: &str| -> serde_json::Value {
        serde_json::from_str(&ok(&run(&mut file_backend(
            t.mfa(&["list", name, "--json"]),
            &t,
        ))))
        .unwrap()
    };
    assert!(
        list("work2")[0]["keys"]
            .as_str()
            .unwrap()
            .starts_with("encrypted file (****")
    );
    // --keep-in-file: the keys go to the credentials file and the profile points there.
    let out = run(&mut file_backend(
        t.mfa(&["remove", "work2", "--yes", "--keep-in-file"]),
        &t,
    ));
    ok(&out);
    assert!(
        stderr(&out).contains("[profile work2] now takes its keys from [work2-long-term]"),
        "{}",
        stderr(&out)
    );
    let creds = std::fs::read_to_string(t.home().join(".aws/credentials")).unwrap();
    assert!(
        creds.contains("[work2-long-term]") && creds.contains(&t.key_id),
        "{creds}"
    );
    assert_eq!(
        list("work2")[0]["keys"],
        "credentials file [work2-long-term]"
    );
    // Without it: the profile is said to have no keys now.
    let out = run(&mut file_backend(t.mfa(&["remove", "work3", "--yes"]), &t));
    ok(&out);
    assert!(stderr(&out).contains("[profile work3] in the config file has no keys now"));
    assert!(
        list("work3")[0]["keys"]
            .as_str()
            .unwrap()
            .starts_with("missing from the encrypted file")
    );
    // A wrong passphrase is an error, after the table, not "unavailable" and exit 0.
    let out = run(t
        .mfa(&["list"])
        .env("MFA_SESSION_BACKEND", "file")
        .env(
            "MFA_SESSION_SECRETS_FILE",
            t.tmp.path().join("store/secrets.age"),
        )
        .env("MFA_SESSION_PASSPHRASE", "wrong"));
    assert_eq!(out.status.code(), Some(8), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the passphrase does not open"),
        "{}",
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("encrypted file unavailable"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_reader_that_stops_reading_ends_us_quietly() {
    let t = TestEnv::new("stdoutclosed");
    // A reader that stopped reading (`| head`): quiet, with SIGPIPE's status.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = t.mfa(&["policy"]).stdout(writer).output().unwrap();
    assert_eq!(out.status.code(), Some(141));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
