//! The README tells the truth: its own examples and tables, read from README.md, run against the
//! real binaries (and the real AWS CLI, boto3, bash, zsh and fish). A README change that stops
//! being true fails here, and so does a row added to a table without a scenario that produces it.

mod common;
use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The first fenced block of `lang` after the line starting with `marker`.
fn block_after(marker: &str, lang: &str) -> String {
    let text = readme();
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("README has no {marker:?}"));
    let rest = &text[at..];
    let open = format!("```{lang}\n");
    let start = rest.find(&open).expect("a fenced block") + open.len();
    let len = rest[start..].find("```").expect("a closed block");
    rest[start..start + len].to_owned()
}

/// The cells of the markdown table after `heading` (header and separator dropped). Cells are
/// split on `|` outside code spans; `\|` is a `|` in the cell, in code spans too (as GitHub reads it).
fn table_after(heading: &str) -> Vec<Vec<String>> {
    let text = readme();
    let at = text
        .find(heading)
        .unwrap_or_else(|| panic!("README has no {heading:?}"));
    text[at..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|line| {
            let (mut cells, mut cell, mut in_code) = (Vec::new(), String::new(), false);
            let mut chars = line.trim().trim_matches('|').chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '\\' if chars.peek() == Some(&'|') => cell.push(chars.next().unwrap()),
                    '`' => {
                        in_code = !in_code;
                        cell.push(c);
                    }
                    '|' if !in_code => cells.push(std::mem::take(&mut cell).trim().to_owned()),
                    c => cell.push(c),
                }
            }
            cells.push(cell.trim().to_owned());
            cells
        })
        .collect()
}

/// The code spans of a cell: the messages a row promises.
fn spans(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// True when `text` holds the parts of `pattern` (split at `…`) in order.
fn matches(text: &str, pattern: &str) -> bool {
    let mut rest = text;
    for part in pattern.split('…') {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

fn bin_dir() -> String {
    Path::new(BIN).parent().unwrap().display().to_string()
}

#[allow(clippy::disallowed_methods)] // PATH from the real environment
fn path_with_bin() -> String {
    format!(
        "{}:{}",
        bin_dir(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn the_configure_block_works_pasted_as_written_with_the_aws_cli_and_boto3() {
    let block = block_after("## Configure", "ini");
    let (creds, config) = block
        .split_once("# ~/.aws/config\n")
        .expect("the block has a config part");
    assert!(creds.contains("# ~/.aws/credentials"), "{block}");
    let t = TestEnv::new("readmeconfigure");
    // Only the placeholders a user fills in: the long-term keys.
    let filled = creds.replace("AKIA...", &t.key_id).replace(
        "aws_secret_access_key = ...",
        &format!("aws_secret_access_key = {LONG_TERM_SECRET}"),
    );
    assert!(
        filled.contains(&t.key_id) && filled.contains(LONG_TERM_SECRET),
        "{creds}"
    );
    t.write_credentials(&filled);
    t.write_config_raw(config);
    // `credential_process = mfa-session ...` as written: the binary found on PATH.
    let args = aws_identity_args("work");
    let out = run(t
        .with_tty(&["246810"], python(), &args)
        .env("PATH", path_with_bin()));
    let id: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(id["Account"], "123456789012");
    assert!(t.tty_log().contains("MFA code for"), "{}", t.tty_log());
    // boto3, with no terminal: the cached session, and the block's values as the SDK reads them.
    let script = "import boto3; s = boto3.Session(profile_name='work'); \
                  c = s.get_credentials().get_frozen_credentials(); \
                  print(s.region_name, c.token[:47], s.client('sts').get_caller_identity()['Account'])";
    let out = run(t
        .no_tty(python(), &["-c", script])
        .env("PATH", path_with_bin()));
    assert_eq!(
        ok(&out).trim(),
        format!("eu-west-1 {MOTO_SESSION_TOKEN_PREFIX} 123456789012")
    );
    assert_eq!(sts_calls(&t.key_id), 1);
}

#[test]
fn the_completion_and_man_page_lines_work_in_a_fresh_home() {
    let block = block_after("Completions and the man page on their own", "bash");
    let t = TestEnv::new("readmecompletions");
    let shell = |sh: &str, script: &str| {
        let mut cmd = t.no_tty(sh, &["-c", script]);
        cmd.env("PATH", path_with_bin());
        ok(&run(&mut cmd))
    };
    // Exactly as written, in bash (the README's shell), in a home that has only ~/.aws.
    shell("bash", &format!("set -e\n{block}"));
    let bash = shell(
        "bash",
        "source ~/.local/share/bash-completion/completions/mfa-session; complete -p mfa-session",
    );
    assert!(bash.contains("_mfa_session_with_profiles"), "{bash}");
    let zsh = shell(
        "zsh",
        "fpath=(~/.zfunc $fpath); autoload -Uz compinit && compinit -i -d ~/.zcompdump; print ${_comps[mfa-session]}",
    );
    assert_eq!(zsh.trim(), "_mfa-session");
    let fish = shell("fish", "complete -C 'mfa-session sta'");
    assert!(fish.contains("status"), "{fish}");
    let man =
        std::fs::read_to_string(t.home().join(".local/share/man/man1/mfa-session.1")).unwrap();
    assert!(man.contains(".TH mfa-session 1"), "{man}");
    assert!(man.contains("mfa\\-session exec"), "{man}");
    assert!(
        !man.contains("mfa\\-session\\-exec(1)"),
        "no page per command is installed"
    );
}

#[test]
fn the_shell_snippet_lines_of_the_readme_work_in_their_shells() {
    let rows = table_after("Ready-made snippets in `shell/`");
    let t = TestEnv::new("readmesnippets");
    let snippets = Path::new(env!("CARGO_MANIFEST_DIR")).join("shell");
    let mut seen = BTreeSet::new();
    for row in rows {
        let (sh, how) = (row[0].as_str(), row[1].as_str());
        seen.insert(sh.to_owned());
        let lines: Vec<String> = spans(how)
            .into_iter()
            .filter(|s| !s.starts_with('~') && !s.ends_with(".toml") && !s.contains("config.fish"))
            .collect();
        let check = match sh {
            "bash" => "echo \"[${PS1}]\"; __mfa_session_ps1 '<%s>'; type mfa >/dev/null && echo ok",
            "zsh" => {
                "echo \"[${RPROMPT}]\"; [[ -o PROMPT_SUBST ]] && type mfa >/dev/null && echo ok"
            }
            "fish" => {
                "functions -q __mfa_session_prompt mfa; and test (fish_prompt) = '/> '; and echo ok"
            }
            "starship" => {
                let toml = std::fs::read_to_string(snippets.join("starship.toml")).unwrap();
                assert!(
                    toml.contains("[custom.mfa_session]") && toml.contains("mfa-session prompt"),
                    "{toml}"
                );
                continue;
            }
            other => panic!("a README row for shell {other} with no check here"),
        };
        // The snippet comes from the binary the test built, found on PATH as the line says.
        assert!(
            lines
                .first()
                .is_some_and(|l| l.contains(&format!("mfa-session init {sh}"))),
            "{sh}: {lines:?}"
        );
        let script = format!("cd /\n{}\n{check}", lines.join("\n"));
        let mut cmd = t.no_tty(sh, &["-c", &script]);
        cmd.env("PATH", path_with_bin());
        let out = ok(&run(&mut cmd));
        assert!(out.trim_end().ends_with("ok"), "{sh}: {script}\n{out}");
    }
    assert_eq!(
        seen,
        BTreeSet::from(["bash", "zsh", "fish", "starship"].map(String::from))
    );
}

/// The world the table scenarios run in: `work` as the README configures it, a source profile
/// `x` where a row needs one, and a fake `ykman` on PATH.
struct World {
    t: TestEnv,
    bin: tempfile::TempDir,
}

impl World {
    fn new(name: &str) -> Self {
        let bin = tempfile::tempdir().unwrap();
        let ykman = bin.path().join("ykman");
        std::fs::write(
            &ykman,
            "#!/bin/sh\ncase \"$YKMAN_MODE\" in\n fail) exit 3;;\n hang) sleep 20;;\n *) echo garbage;;\nesac\n",
        )
        .unwrap();
        std::fs::set_permissions(&ykman, std::fs::Permissions::from_mode(0o755)).unwrap();
        World {
            t: TestEnv::new(name),
            bin,
        }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = self.t.mfa(args);
        cmd.env(
            "PATH",
            format!("{}:{}", self.bin.path().display(), path_with_bin()),
        );
        cmd
    }

    /// `credential-process -p work` with no terminal, after writing `[profile work]` as `lines`.
    fn profile(&self, lines: &str) -> Output {
        self.t.write_config_raw(&format!(
            "[profile work]\ncredential_process = {BIN} credential-process --profile work\n{lines}"
        ));
        run(&mut self.cmd(&["credential-process", "-p", "work"]))
    }

    /// The same with `[profile work]` as TestEnv writes it plus `extra`.
    fn work(&self, extra: &str) -> Output {
        self.t.write_config(extra);
        run(&mut self.cmd(&["credential-process", "-p", "work"]))
    }

    /// `work` taking its keys from `[x]` of the credentials file, which holds `x`.
    fn source_x(&self, x: &str) -> Output {
        self.t.write_credentials(x);
        self.profile(&format!(
            "mfa_serial = {}\nmfa_session_source_profile = x\n",
            self.t.serial
        ))
    }
}

/// What a row's scenario gives: each run's output, and what its terminal showed.
type Runs = Vec<(Output, String)>;

/// A row's scenario.
type Scenario = Box<dyn Fn(&World) -> Runs>;

fn plain(outs: Vec<Output>) -> Runs {
    outs.into_iter().map(|o| (o, String::new())).collect()
}

/// One scenario per row of "Bad input", keyed by the row's first cell as the README writes it.
fn bad_input_scenarios() -> BTreeMap<&'static str, Scenario> {
    let mut m: BTreeMap<&'static str, Scenario> = BTreeMap::new();
    m.insert(
        "`duration_seconds = 12h`",
        Box::new(|w| plain(vec![w.work("duration_seconds = 12h\n")])),
    );
    m.insert(
        "`duration_seconds = 600` / `200000`",
        Box::new(|w| {
            plain(vec![
                w.work("duration_seconds = 600\n"),
                w.work("duration_seconds = 200000\n"),
            ])
        }),
    );
    m.insert(
        "malformed `mfa_serial` (`arn:aws:iam::1234:mfa/a`, `my-device-name`)",
        Box::new(|w| {
            plain(vec![
                w.profile(
                    "mfa_serial = arn:aws:iam::1234:mfa/a\nmfa_session_source_profile = work-lt\n",
                ),
                w.profile("mfa_serial = my-device-name\nmfa_session_source_profile = work-lt\n"),
            ])
        }),
    );
    m.insert(
        "a FIDO security key as `mfa_serial` (`…:u2f/…`)",
        Box::new(|w| {
            plain(vec![w.profile(
                "mfa_serial = arn:aws:iam::123456789012:u2f/user/alice/fido-ABCDEFGHIJ\nmfa_session_source_profile = work-lt\n",
            )])
        }),
    );
    m.insert(
        "no `mfa_serial`",
        Box::new(|w| plain(vec![w.profile("mfa_session_source_profile = work-lt\n")])),
    );
    m.insert(
        "source profile missing / without keys",
        Box::new(|w| {
            plain(vec![
                w.source_x("[other]\nregion = us-east-1\n"),
                w.source_x("[x]\nregion = us-east-1\n"),
            ])
        }),
    );
    m.insert(
        "half a key pair",
        Box::new(|w| {
            plain(vec![
                w.source_x("[x]\naws_access_key_id = AKIAHALFAPAIR0000000\n"),
            ])
        }),
    );
    m.insert(
        "source profile that runs mfa-session",
        Box::new(|w| {
            w.t.write_credentials("");
            w.t.write_config_raw(&format!(
                "[profile work]\ncredential_process = {BIN} credential-process --profile work\n\
                 mfa_serial = {}\nmfa_session_source_profile = x\n\
                 [profile x]\ncredential_process = mfa-session credential-process --profile x\n",
                w.t.serial
            ));
            plain(vec![run(&mut w.cmd(&["credential-process", "-p", "work"]))])
        }),
    );
    m.insert(
        "unknown profile",
        Box::new(|w| plain(vec![run(&mut w.cmd(&["credential-process", "-p", "nope"]))])),
    );
    m.insert(
        "config file that does not parse (`[broken` on line 3)",
        Box::new(|w| {
            plain(vec![
                w.profile(&format!("[broken\nmfa_serial = {}\n", w.t.serial)),
            ])
        }),
    );
    m.insert(
        "MFA code `12345`, `1234567`, `12a456`",
        Box::new(|w| {
            w.t.write_config("");
            let mut cmd = w.t.with_tty(
                &["12345", "1234567", "12a456"],
                BIN,
                &["credential-process", "-p", "work"],
            );
            let out = run(&mut cmd);
            vec![(out, w.t.tty_log())]
        }),
    );
    m.insert(
        "no terminal, no seed, no `mfa_process`",
        Box::new(|w| plain(vec![w.work("")])),
    );
    m.insert(
        "seed not base32 / under 128 bits / an `otpauth://hotp` URI",
        Box::new(|w| {
            w.t.write_config("");
            [
                "NOT-BASE32-!!",
                "JBSWY3DP",
                "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
            ]
            .into_iter()
            .map(|seed| {
                let out = with_stdin(w.cmd(&["seed", "set", "work"]), seed);
                assert!(!stderr(&out).contains(seed), "the seed echoed");
                (out, String::new())
            })
            .collect()
        }),
    );
    m.insert(
        "`mfa_process` fails / hangs / prints garbage",
        Box::new(|w| {
            w.t.write_config("mfa_process = ykman oath accounts code -s aws\n");
            ["fail", "hang", "garbage"]
                .into_iter()
                .map(|mode| {
                    let out = run(w
                        .cmd(&["credential-process", "-p", "work"])
                        .env("YKMAN_MODE", mode)
                        .env("MFA_SESSION_PROCESS_TIMEOUT", "2"));
                    (out, String::new())
                })
                .collect()
        }),
    );
    m.insert(
        "`mfa_code_source = phone`",
        Box::new(|w| plain(vec![w.work("mfa_code_source = phone\n")])),
    );
    m.insert(
        "temporary keys given to `add`",
        Box::new(|w| {
            w.t.write_config("");
            w.t.write_credentials(&format!(
                "[tmp]\naws_access_key_id = ASIATEMPORARYKEY0000\naws_secret_access_key = {LONG_TERM_SECRET}\n"
            ));
            plain(vec![run(&mut w.cmd(&["add", "work2", "--from-profile", "tmp"]))])
        }),
    );
    m.insert(
        "an unknown flag (`mfa-session list --bogus`)",
        Box::new(|w| plain(vec![run(&mut w.cmd(&["list", "--bogus"]))])),
    );
    m.insert(
        "no Secret Service (SSH, container)",
        Box::new(|w| {
            w.t.write_config("");
            plain(vec![run(&mut w.cmd(&["seed", "remove", "work"]))])
        }),
    );
    m
}

#[test]
fn every_row_of_the_bad_input_table_is_what_the_binary_says() {
    let rows = table_after("## Bad input, and what you are told");
    let scenarios = bad_input_scenarios();
    let inputs: BTreeSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        inputs,
        scenarios.keys().copied().collect::<BTreeSet<_>>(),
        "each README row needs a scenario here, and each scenario its row"
    );
    for row in &rows {
        let (input, message, exit) = (&row[0], &row[1], row[2].parse::<i32>().unwrap());
        let patterns = spans(message);
        assert!(!patterns.is_empty(), "{input}: no message in the row");
        let world = World::new("readmebadinput");
        let runs = scenarios[input.as_str()](&world);
        let mut matched = BTreeSet::new();
        for (out, tty) in &runs {
            let err = stderr(out);
            assert_eq!(out.status.code(), Some(exit), "{input}: {err}");
            assert_eq!(err.lines().count(), 1, "{input}: one line: {err}");
            assert!(err.starts_with("mfa-session: error: "), "{input}: {err}");
            assert_eq!(stdout(out), "", "{input}: nothing on stdout");
            assert_no_secret(&err);
            let said = format!("{err}{tty}");
            let hits: Vec<&String> = patterns.iter().filter(|p| matches(&said, p)).collect();
            assert!(
                !hits.is_empty(),
                "{input}: none of {patterns:?} in what it said: {said}"
            );
            matched.extend(hits);
        }
        for p in &patterns {
            assert!(matched.contains(p), "{input}: no run said {p:?}");
        }
    }
}

/// One scenario per row of "Exit codes and errors": the run, and what its one line must say.
fn exit_scenarios(w: &World) -> Vec<(&'static str, Output, &'static str)> {
    let t = &w.t;
    let mut out = Vec::new();
    t.write_config("");
    out.push(("0", run(&mut w.cmd(&["status"])), ""));
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    out.push((
        "1",
        run(w
            .cmd(&["policy", "--account-id", "123456789012"])
            .stdout(full)),
        "cannot write to standard output",
    ));
    out.push((
        "2",
        run(&mut w.cmd(&["list", "--bogus"])),
        "unexpected argument '--bogus' found",
    ));
    out.push((
        "3",
        run(&mut w.cmd(&["credential-process", "-p", "nope"])),
        "is not in the AWS config files",
    ));
    out.push((
        "4",
        run(&mut w.cmd(&["credential-process", "-p", "work"])),
        "no terminal to ask for the MFA code",
    ));
    configure(&t.key_id, serde_json::json!({"invalid": true}));
    out.push((
        "5",
        run(&mut t.with_tty(&["135790"], BIN, &["credential-process", "-p", "work"])),
        "(InvalidClientTokenId)",
    ));
    configure(&t.key_id, serde_json::json!({}));
    out.push((
        "6",
        run(t
            .with_tty(&["135791"], BIN, &["credential-process", "-p", "work"])
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")),
        "cannot reach STS",
    ));
    let not_a_dir = t.tmp.path().join("a-file");
    std::fs::write(&not_a_dir, "").unwrap();
    out.push((
        "7",
        run(w
            .cmd(&["clear", "--all"])
            .env("MFA_SESSION_CACHE_DIR", &not_a_dir)),
        "cannot use the cache directory",
    ));
    out.push((
        "8",
        run(&mut w.cmd(&["seed", "remove", "work"])),
        "no OS keyring is reachable",
    ));
    ok(&run(&mut t.with_tty(
        &["135792"],
        BIN,
        &["credential-process", "-p", "work"],
    )));
    out.push((
        "127",
        run(&mut w.cmd(&["exec", "-p", "work", "--", "/nonexistent/tool"])),
        "command '/nonexistent/tool' not found",
    ));
    out.push((
        "other",
        run(&mut w.cmd(&["exec", "-p", "work", "--", "sh", "-c", "exit 42"])),
        "",
    ));
    out
}

#[test]
fn every_exit_code_of_the_table_is_produced() {
    let rows = table_after("## Exit codes and errors");
    let w = World::new("readmeexits");
    let runs = exit_scenarios(&w);
    assert_eq!(
        rows.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(),
        runs.iter().map(|r| r.0).collect::<Vec<_>>(),
        "each README row needs a scenario here, and each scenario its row"
    );
    for (code, out, want) in &runs {
        let err = stderr(out);
        let expected = match *code {
            "other" => 42,
            c => c.parse().unwrap(),
        };
        assert_eq!(out.status.code(), Some(expected), "exit {code}: {err}");
        if expected == 0 || *code == "other" {
            assert_eq!(err, "", "exit {code}");
            continue;
        }
        assert_eq!(err.lines().count(), 1, "exit {code}: one line: {err}");
        assert!(
            err.starts_with("mfa-session: error: "),
            "exit {code}: {err}"
        );
        assert!(err.contains(want), "exit {code}: want {want:?} in {err}");
        assert_no_secret(&err);
    }
}
