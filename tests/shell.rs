//! Shell integration: the prompt segment, completions and the shell/ snippets, in real bash, zsh
//! and fish, against sessions made through the local emulator.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;
#[allow(clippy::disallowed_methods)] // PATH from the real environment
fn real_path() -> String {
    std::env::var("PATH").unwrap_or_default()
}

fn warm(t: &TestEnv, profile: &str, code: &str) -> chrono::DateTime<chrono::FixedOffset> {
    let out = run(&mut t.with_tty(&[code], BIN, &["credential-process", "-p", profile]));
    let v = parse_process_output(&ok(&out));
    chrono::DateTime::parse_from_rfc3339(v["Expiration"].as_str().unwrap()).unwrap()
}

fn before(exp: chrono::DateTime<chrono::FixedOffset>, secs: i64) -> String {
    (exp - chrono::TimeDelta::seconds(secs)).to_rfc3339()
}

/// A shell with the test's environment and the binary's directory first on PATH.
fn shell(t: &TestEnv, sh: &str, script: &str) -> Command {
    let dir = Path::new(BIN).parent().unwrap();
    let path = format!("{}:{}", dir.display(), real_path());
    let mut cmd = t.no_tty(sh, &["-c", script]);
    cmd.env("PATH", path).env(
        "SNIPPETS",
        Path::new(env!("CARGO_MANIFEST_DIR")).join("shell"),
    );
    cmd
}

#[test]
fn prompt_shows_live_near_expiry_expired_and_absent_sessions() {
    let t = TestEnv::new("promptforms");
    let exp = warm(&t, "work", "123456");
    let prompt = |now: String, extra: &[(&str, &str)]| {
        let mut cmd = t.mfa(&["prompt"]);
        cmd.env("MFA_SESSION_PROFILE", "work")
            .env("MFA_SESSION_TEST_NOW", now);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        ok(&run(&mut cmd))
    };
    assert_eq!(prompt(before(exp, 3 * 3600 + 12 * 60), &[]), "work 3h12m\n");
    assert_eq!(prompt(before(exp, 12 * 60), &[]), "work 12m!\n");
    assert_eq!(prompt(before(exp, -1), &[]), "work expired\n");
    let custom = ok(&run(t
        .mfa(&["prompt", "--format", "<{profile}|{expiration}>"])
        .env("AWS_PROFILE", "work")));
    assert_eq!(
        custom,
        format!("<work|{}>\n", exp.format("%Y-%m-%dT%H:%M:%SZ"))
    );
    // Colours only when asked or on a terminal, and never with NO_COLOR.
    let coloured = ok(&run(t
        .mfa(&["prompt", "--color", "always"])
        .env("AWS_PROFILE", "work")));
    assert!(coloured.starts_with("\x1b[32mwork "), "{coloured:?}");
    let plain = ok(&run(t
        .mfa(&["prompt", "--color", "always"])
        .env("AWS_PROFILE", "work")
        .env("NO_COLOR", "1")));
    assert!(!plain.contains('\x1b'));
    // No profile, or a profile without a session: nothing at all.
    assert_eq!(ok(&run(&mut t.mfa(&["prompt"]))), "");
    assert_eq!(ok(&run(t.mfa(&["prompt"]).env("AWS_PROFILE", "other"))), "");
}

#[test]
fn profiles_sharing_a_session_both_show_it_once_used() {
    let t = TestEnv::new("promptshared");
    t.write_config(&format!(
        "[profile twin]\nmfa_serial = {}\nmfa_session_source_profile = work-lt\n",
        t.serial
    ));
    warm(&t, "work", "123456");
    assert_eq!(ok(&run(t.mfa(&["prompt"]).env("AWS_PROFILE", "twin"))), "");
    ok(&run(&mut t.mfa(&["credential-process", "-p", "twin"])));
    assert_eq!(sts_calls(&t.key_id), 1, "twin shares work's session");
    assert!(ok(&run(t.mfa(&["prompt"]).env("AWS_PROFILE", "twin"))).starts_with("twin 11h"));
    ok(&run(&mut t.mfa(&["clear", "-p", "work"])));
    assert_eq!(
        ok(&run(t.mfa(&["prompt"]).env("AWS_PROFILE", "twin"))),
        "",
        "cleared with the session"
    );
}

#[test]
fn completions_load_and_complete_profile_names_in_bash_zsh_and_fish() {
    let t = TestEnv::new("completions");
    t.write_config("[profile other]\nmfa_serial = arn:aws:iam::123456789012:mfa/o\nmfa_session_source_profile = work-lt\n");
    let bash = r#"source <(mfa-session completions bash)
        COMP_WORDS=(mfa-session exec -p o); COMP_CWORD=3; _mfa_session_with_profiles mfa-session o -p
        echo "${COMPREPLY[*]}"
        COMP_WORDS=(mfa-session st); COMP_CWORD=1; _mfa_session_with_profiles mfa-session st mfa-session
        echo "${COMPREPLY[*]}""#;
    assert_eq!(ok(&run(&mut shell(&t, "bash", bash))), "other\nstatus\n");
    let zsh = "autoload -Uz compinit && compinit -i -D -d $HOME/.zcompdump; source <(mfa-session completions zsh); \
               print $+functions[_mfa-session] $+functions[_mfa_session_profiles]; mfa-session __profiles";
    assert_eq!(ok(&run(&mut shell(&t, "zsh", zsh))), "1 1\nother\nwork\n");
    let fish = "mfa-session completions fish | source; complete -C 'mfa-session exec -p '";
    let out = ok(&run(&mut shell(&t, "fish", fish)));
    assert_eq!(
        out.lines()
            .map(|l| l.split('\t').next().unwrap())
            .collect::<Vec<_>>(),
        ["other", "work"]
    );
    for sh in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = ok(&run(&mut t.mfa(&["completions", sh])));
        // The internal command is run by the scripts, never offered by them.
        let offered = script.replace("mfa-session __profiles", "");
        assert!(!offered.contains("__profiles"), "{sh} offers __profiles");
    }
    for other in ["powershell", "elvish"] {
        assert!(ok(&run(&mut t.mfa(&["completions", other]))).contains("mfa-session"));
    }
    let man = ok(&run(&mut t.mfa(&["man"])));
    assert!(
        man.starts_with(".ie") && man.contains(".TH mfa-session 1"),
        "{man}"
    );
}

#[test]
fn init_prints_the_shell_snippets_through_the_front() {
    let t = TestEnv::new("init");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("shell");
    for (sh, file) in [
        ("bash", "mfa-session.bash"),
        ("zsh", "mfa-session.zsh"),
        ("fish", "mfa-session.fish"),
    ] {
        // BIN is the front, which hands `init` to mfa-session-full.
        let printed = ok(&run(&mut t.mfa(&["init", sh])));
        assert_eq!(printed, std::fs::read_to_string(dir.join(file)).unwrap());
    }
}

#[test]
fn the_shell_snippets_show_the_segment_and_load_sessions_in_real_shells() {
    let t = TestEnv::new("snippets");
    // work2 shares work's keys and device, so its session too.
    t.write_config(&format!(
        "[profile work2]\ncredential_process = {BIN} credential-process --profile work2\n\
         mfa_serial = {}\nmfa_session_source_profile = work-lt\nregion = eu-west-1\n",
        t.serial
    ));
    let exp = warm(&t, "work", "123456");
    let now = before(exp, 3 * 3600 + 12 * 60);
    // After `mfa work`: another profile's one command still runs (the shell holds work's
    // session, which is not an `exec` to exit), and `mfa off` puts back what `mfa work` replaced.
    // `mfa work` and `mfa off` succeed (status 0), so `&&` / `; and` go on.
    let cases = [
        (
            "bash",
            r#"eval "$(mfa-session init bash)"
            echo "[$(__mfa_session_ps1)]"
            mfa work && echo next; echo "[$(__mfa_session_ps1)] ${AWS_ACCESS_KEY_ID:0:4} ${AWS_PROFILE-unset} $AWS_REGION"
            mfa work2 sh -c 'echo "child $MFA_SESSION_PROFILE"'
            mfa off && echo next; echo "[$(__mfa_session_ps1)] $AWS_PROFILE $AWS_REGION ${AWS_DEFAULT_REGION-unset} ${AWS_ACCESS_KEY_ID-unset}""#,
        ),
        (
            "zsh",
            r#"eval "$(mfa-session init zsh)"
            echo "[$(__mfa_session_ps1)]"
            mfa work && echo next; echo "[$(__mfa_session_ps1)] ${AWS_ACCESS_KEY_ID[1,4]} ${AWS_PROFILE-unset} $AWS_REGION"
            mfa work2 sh -c 'echo "child $MFA_SESSION_PROFILE"'
            mfa off && echo next; echo "[$(__mfa_session_ps1)] $AWS_PROFILE $AWS_REGION ${AWS_DEFAULT_REGION-unset} ${AWS_ACCESS_KEY_ID-unset}""#,
        ),
        (
            "fish",
            r#"mfa-session init fish | source
            set p (__mfa_session_prompt); echo "[$p]"
            mfa work; and echo next; set p (__mfa_session_prompt); set k (string sub -l 4 $AWS_ACCESS_KEY_ID)
            set -q AWS_PROFILE; and set a set; or set a unset; echo "[$p] $k $a $AWS_REGION"
            mfa work2 sh -c 'echo "child $MFA_SESSION_PROFILE"'
            mfa off; and echo next; set p (__mfa_session_prompt)
            set -q AWS_DEFAULT_REGION; and set d set; or set d unset
            set -q AWS_ACCESS_KEY_ID; and set k set; or set k unset
            echo "[$p] $AWS_PROFILE $AWS_REGION $d $k""#,
        ),
    ];
    for (sh, script) in cases {
        let out = run(shell(&t, sh, script)
            .env("AWS_PROFILE", "nothing here")
            .env("AWS_REGION", "us-west-2")
            .env("MFA_SESSION_TEST_NOW", &now));
        assert_eq!(
            ok(&out),
            "[]\nnext\n[ (work 3h12m)] AKIA unset us-west-2\nchild work2\nnext\n\
             [] nothing here us-west-2 unset unset\n",
            "{sh}: {}",
            stderr(&out)
        );
    }
    // `env --format fish` sourced on its own succeeds too, whatever it erases that was not set.
    let fish = "mfa-session env -p work --format fish | source; and echo $MFA_SESSION_PROFILE";
    assert_eq!(ok(&run(&mut shell(&t, "fish", fish))), "work\n");
    assert_eq!(sts_calls(&t.key_id), 1);
}

#[test]
fn the_fish_prompt_of_the_snippet_keeps_the_prompt_without_a_session() {
    let t = TestEnv::new("fishprompt");
    let exp = warm(&t, "work", "123456");
    let snippet = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("shell/mfa-session.fish"),
    )
    .unwrap();
    // The example in the snippet's own comment, as a user copies it.
    let example = snippet
        .lines()
        .find_map(|l| l.strip_prefix("#   function fish_prompt"))
        .expect("the snippet shows a fish_prompt");
    let script = format!(
        "mfa-session init fish | source\nfunction fish_prompt{example}\ncd ~\n\
         fish_prompt; echo\nset -gx AWS_PROFILE work; fish_prompt; echo\n\
         set -e AWS_PROFILE; echo (prompt_pwd)(__mfa_session_prompt)'> '"
    );
    let out = run(shell(&t, "fish", &script).env("MFA_SESSION_TEST_NOW", before(exp, 3600)));
    // The last line is the idiom the comment warns about: with no session it prints nothing.
    assert_eq!(ok(&out), "~> \n~ (work 1h00m)> \n\n", "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
}

/// PATH without any directory holding an `mfa-session`: the binary uninstalled.
#[allow(clippy::disallowed_methods)] // PATH from the real environment
fn path_without_the_binary() -> String {
    let dirs = std::env::var("PATH").unwrap_or_default();
    let kept: Vec<&str> = dirs
        .split(':')
        .filter(|d| !Path::new(d).join("mfa-session").exists())
        .collect();
    kept.join(":")
}

#[test]
fn the_shell_snippets_stay_quiet_once_the_binary_is_gone() {
    let t = TestEnv::new("snippetsgone");
    let loads = [
        ("bash", "mfa-session.bash", "__mfa_session_ps1", "$?"),
        ("zsh", "mfa-session.zsh", "__mfa_session_ps1", "$?"),
        (
            "fish",
            "mfa-session.fish",
            "__mfa_session_prompt",
            "$status",
        ),
    ];
    for (sh, file, prompt, status) in loads {
        let load = format!("source \"$SNIPPETS/{file}\"");
        let script = format!("{load}\ncommand -v mfa-session && exit 9\n{prompt}");
        let mut cmd = shell(&t, sh, &script);
        cmd.env("PATH", path_without_the_binary())
            .env("AWS_PROFILE", "work");
        let out = run(&mut cmd);
        assert_eq!(
            (out.status.code(), stdout(&out), stderr(&out)),
            (Some(0), String::new(), String::new()),
            "{sh}: the prompt says nothing"
        );
        // `mfa off` needs no binary; `mfa work` says why it cannot.
        let script = format!("{load}\nmfa off; echo off {status}\nmfa work");
        let mut cmd = shell(&t, sh, &script);
        cmd.env("PATH", path_without_the_binary());
        let out = run(&mut cmd);
        assert_eq!(
            (out.status.code(), stdout(&out), stderr(&out)),
            (
                Some(127),
                "off 0\n".to_owned(),
                "mfa-session is not installed\n".to_owned()
            ),
            "{sh}"
        );
    }
}
