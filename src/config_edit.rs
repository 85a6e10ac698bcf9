//! Edits to `~/.aws/config` and `~/.aws/credentials` that keep every other byte: comments,
//! order, blank lines and other keys stay as the user wrote them. Reading is aws-config's job;
//! this only finds section headers and `key = value` lines.

use crate::env::Env;
use crate::error::Error;
use std::path::{Path, PathBuf};

/// The `credential_process` value for a profile: the `mfa-session` front's absolute path (botocore runs
/// it without a shell and a PATH of its own), falling back to `mfa-session`.
pub fn credential_process_line(profile: &str) -> String {
    let exe = crate::fast::front_path()
        .and_then(|p| p.to_str().map(str::to_owned))
        .filter(|p| !p.contains(char::is_whitespace))
        .unwrap_or_else(|| "mfa-session".into());
    format!("{exe} credential-process --profile {profile}")
}

/// Applies `upsert` to `[profile NAME]` (or `[default]`) in the config file, atomically and
/// keeping the file's permissions. Returns the file's path.
pub fn save_profile(
    env: &Env,
    name: &str,
    set: &[(&str, &str)],
    remove: &[&str],
) -> Result<PathBuf, Error> {
    let path = crate::config::config_file_path(env);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let header = if name == "default" {
        "default".to_owned()
    } else {
        format!("profile {name}")
    };
    let updated = upsert(&text, &header, set, remove);
    let dir = path.parent().unwrap_or(Path::new("."));
    let fail = |e: std::io::Error| Error::Config(format!("cannot write {}: {e}", path.display()));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let mode = std::fs::metadata(&path)
        .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o777)
        .unwrap_or(0o600);
    crate::cache::replace_file(dir, &path, updated.as_bytes(), mode).map_err(fail)?;
    Ok(path)
}

/// Whether `line` is the header of section `name` (`[name]`, `[profile name]`, any spacing).
fn is_header(line: &str, name: &str) -> bool {
    let t = line.trim();
    let Some(inner) = t.strip_prefix('[').and_then(|r| r.split(']').next()) else {
        return false;
    };
    let words: Vec<&str> = inner.split_whitespace().collect();
    match words.as_slice() {
        [n] => *n == name,
        ["profile", n] => *n == name,
        _ => false,
    }
}

fn is_any_header(line: &str) -> bool {
    line.trim_start().starts_with('[')
}

/// The key of a `key = value` line, if it is one.
fn key_of(line: &str) -> Option<&str> {
    let t = line.trim_start();
    if t.starts_with('#') || t.starts_with(';') {
        return None;
    }
    let (k, _) = t.split_once('=')?;
    Some(k.trim())
}

/// The lines of `text`, each with its line ending.
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// The half-open line range of section `name` (header included), if present.
fn section(ls: &[&str], name: &str) -> Option<(usize, usize)> {
    let start = ls.iter().position(|l| is_header(l, name))?;
    let end = ls[start + 1..]
        .iter()
        .position(|l| is_any_header(l))
        .map_or(ls.len(), |i| start + 1 + i);
    Some((start, end))
}

/// Sets `set` keys and deletes `remove` keys in section `header` (`profile work`, `default`),
/// creating the section at the end when missing. Everything else is kept byte for byte.
pub fn upsert(text: &str, header: &str, set: &[(&str, &str)], remove: &[&str]) -> String {
    let name = header.strip_prefix("profile ").unwrap_or(header);
    let mut ls: Vec<String> = lines(text).into_iter().map(str::to_owned).collect();
    let refs: Vec<&str> = ls.iter().map(String::as_str).collect();
    let Some((start, mut end)) = section(&refs, name) else {
        let mut out = text.to_owned();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        out += &format!("[{header}]\n");
        for (k, v) in set {
            out += &format!("{k} = {v}\n");
        }
        return out;
    };
    let mut i = start + 1;
    while i < end {
        if key_of(&ls[i]).is_some_and(|k| remove.contains(&k)) {
            ls.remove(i);
            end -= 1;
        } else {
            i += 1;
        }
    }
    for (k, v) in set {
        let found = (start + 1..end).find(|&i| key_of(&ls[i]) == Some(k));
        match found {
            Some(i) => {
                let indent: String = ls[i].chars().take_while(|c| c.is_whitespace()).collect();
                let eol = if ls[i].ends_with('\n') { "\n" } else { "" };
                ls[i] = format!("{indent}{k} = {v}{eol}");
            }
            None => {
                // After the section's last key, before any trailing blank or comment lines.
                let mut at = end;
                while at > start + 1 && key_of(&ls[at - 1]).is_none() {
                    at -= 1;
                }
                if !ls[at - 1].ends_with('\n') {
                    ls[at - 1].push('\n');
                }
                ls.insert(at, format!("{k} = {v}\n"));
                end += 1;
            }
        }
    }
    ls.concat()
}

/// Removes section `name` (header, keys and the comments inside it).
pub fn remove_section(text: &str, name: &str) -> String {
    let ls = lines(text);
    match section(&ls, name) {
        Some((start, end)) => ls[..start].concat() + &ls[end..].concat(),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "# my AWS config\n[default]\nregion = us-east-1 # home\n\n[profile work]\n# work account\nregion = eu-west-1\n   mfa_serial = arn:aws:iam::1:mfa/old\noutput = json\n\n; trailing note\n[profile other]\nregion = x";

    #[test]
    fn upsert_changes_only_the_named_keys() {
        let out = upsert(
            CONFIG,
            "profile work",
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
            "# my AWS config\n[default]\nregion = us-east-1 # home\n\n[profile work]\n# work account\nregion = eu-west-1\n   mfa_serial = arn:new\ncredential_process = mfa-session credential-process --profile work\n\n; trailing note\n[profile other]\nregion = x"
        );
    }

    #[test]
    fn upsert_appends_a_missing_section_and_keeps_a_last_line_without_newline() {
        let out = upsert(CONFIG, "profile new", &[("a", "1")], &[]);
        assert_eq!(out, format!("{CONFIG}\n\n[profile new]\na = 1\n"));
        assert_eq!(
            upsert("", "profile p", &[("a", "1")], &[]),
            "[profile p]\na = 1\n"
        );
        let out = upsert(CONFIG, "profile other", &[("b", "2")], &[]);
        assert!(
            out.ends_with("[profile other]\nregion = x\nb = 2\n"),
            "{out}"
        );
    }

    #[test]
    fn remove_section_takes_exactly_one_section() {
        let creds =
            "# keys\n[lt]\naws_access_key_id = A\naws_secret_access_key = S\n\n[other]\nx = 1\n";
        assert_eq!(remove_section(creds, "lt"), "# keys\n[other]\nx = 1\n");
        assert_eq!(remove_section(creds, "none"), creds);
    }

    #[test]
    fn headers_match_with_any_spacing_but_not_prefixes() {
        assert!(is_header("[profile   work]", "work"));
        assert!(is_header("  [work] ", "work"));
        assert!(!is_header("[profile workshop]", "work"));
        assert!(!is_header("[sso-session work]", "work"));
    }
}
