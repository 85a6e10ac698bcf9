//! Text edits of `~/.aws/config` and `~/.aws/credentials` that keep every other byte: comments,
//! order, blank lines and other keys stay as the user wrote them. Pure functions over text; the
//! file I/O and the check that the edit meant what it said are in `user_file`.
//!
//! Lines are read the way aws-config's parser reads them: `[` in column 0 opens a section,
//! `#`/`;` in column 0 is a comment, an indented line continues the property above it.

use crate::error::Error;
use std::path::Path;

/// Which of the two AWS files a text is: their section headers differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `~/.aws/config`: `[profile NAME]`, or `[default]`.
    Config,
    /// `~/.aws/credentials`: `[NAME]`.
    Credentials,
}

/// The characters the AWS SDKs accept in a profile name (aws-config's `validate_identifier`).
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c)
}

/// Checks a profile name before it is written anywhere: a name the SDKs would ignore, or one
/// holding `]` or a newline, would inject lines into the config file.
pub fn ensure_profile_name(name: &str) -> Result<(), Error> {
    if name.is_empty() || name.len() > 128 || !name.chars().all(is_name_char) {
        let shown: String = name.escape_debug().take(80).collect();
        return Err(Error::Config(format!(
            "profile name '{shown}' is not one the AWS SDKs accept: use letters, digits and _-/.%@:+ only"
        )));
    }
    Ok(())
}

/// The `credential_process` value for a profile: `exe` (the front's absolute path, since botocore
/// runs the line without a shell or PATH of its own), quoted for both `sh -c` (the SDKs) and
/// `shlex.split` (botocore); `mfa-session` when the path is unknown.
pub fn credential_process_line(exe: Option<&Path>, profile: &str) -> String {
    let exe = exe
        .and_then(Path::to_str)
        .filter(|p| !p.contains(['\n', '\r']))
        .map_or_else(|| "mfa-session".to_owned(), shell_quote);
    format!("{exe} credential-process --profile {profile}")
}

/// `s` as one word for `sh` and Python's `shlex`: as is when plain, else in single quotes.
pub fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%,=".contains(c));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// What a line is, for the parser.
#[derive(Debug, PartialEq, Eq)]
enum Line<'a> {
    /// Blank or a comment: belongs to nothing.
    Other,
    /// A section header, with its words (`["profile", "work"]`).
    Header(Vec<&'a str>),
    /// `key = value` (key lowercased by the caller when compared).
    Property(&'a str),
    /// An indented line: part of the property above it.
    Continuation,
}

fn classify(line: &str) -> Line<'_> {
    let body = line.trim_end_matches(['\n', '\r']);
    if body.trim_matches([' ', '\t']).is_empty() || body.starts_with(['#', ';']) {
        return Line::Other;
    }
    if let Some(rest) = body.strip_prefix('[') {
        let inner = rest.split(['#', ';']).next().unwrap_or("");
        let inner = inner.trim_end_matches([' ', '\t']);
        let inner = inner.strip_suffix(']').unwrap_or(inner);
        return Line::Header(inner.split_whitespace().collect());
    }
    if body.starts_with([' ', '\t']) {
        return Line::Continuation;
    }
    Line::Property(
        body.split('=')
            .next()
            .unwrap_or("")
            .trim_matches([' ', '\t']),
    )
}

/// Whether header `words` is the section of profile `name` in a file of `kind`: strictly as the
/// SDKs read it, or (`loose`) any header naming it, as the user may have written it.
fn names(words: &[&str], kind: Kind, name: &str, loose: bool) -> bool {
    match (words, kind) {
        ([n], _) if loose => *n == name,
        (["profile", n], _) if loose => *n == name,
        ([n], Kind::Credentials) => *n == name,
        ([n], Kind::Config) => *n == name && name == "default",
        (["profile", n], Kind::Config) => *n == name,
        _ => false,
    }
}

/// One section of a file: line range (header included) and its properties' line ranges.
struct Section {
    start: usize,
    end: usize,
    /// (lowercased key, first line, one past the last continuation line)
    props: Vec<(String, usize, usize)>,
}

fn sections(ls: &[&str], kind: Kind, name: &str, loose: bool) -> Vec<Section> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < ls.len() {
        let Line::Header(words) = classify(ls[i]) else {
            i += 1;
            continue;
        };
        let start = i;
        i += 1;
        let mut props: Vec<(String, usize, usize)> = Vec::new();
        while i < ls.len() && !matches!(classify(ls[i]), Line::Header(_)) {
            match classify(ls[i]) {
                Line::Property(k) => props.push((k.to_ascii_lowercase(), i, i + 1)),
                Line::Continuation => {
                    if let Some(last) = props.last_mut()
                        && last.2 == i
                    {
                        last.2 = i + 1;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        if names(&words, kind, name, loose) {
            out.push(Section {
                start,
                end: i,
                props,
            });
        }
    }
    out
}

/// The lines of `text`, each with its line ending.
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// The keys (lowercased) of every section of profile `name` (strict match), in order.
pub fn keys_of(text: &str, kind: Kind, name: &str) -> Vec<String> {
    let ls = lines(text);
    sections(&ls, kind, name, false)
        .into_iter()
        .flat_map(|s| s.props.into_iter().map(|p| p.0))
        .collect()
}

/// Sets `set` keys and deletes `remove` keys of profile `name`, creating its section at the end
/// when missing. Duplicate sections: the keys go into the last one (the one the SDKs read last)
/// and leave the others. Everything else is kept byte for byte.
pub fn upsert(text: &str, kind: Kind, name: &str, set: &[(&str, &str)], remove: &[&str]) -> String {
    let ls = lines(text);
    let found = sections(&ls, kind, name, false);
    let Some(last) = found.last() else {
        let mut out = text.to_owned();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        out += &match (kind, name) {
            (Kind::Config, n) if n != "default" => format!("[profile {n}]\n"),
            (_, n) => format!("[{n}]\n"),
        };
        for (k, v) in set {
            out += &format!("{k} = {v}\n");
        }
        return out;
    };
    let touched = |k: &str| remove.contains(&k) || set.iter().any(|(s, _)| *s == k);
    // Per line: Some(replacement) or None to drop it; untouched lines map to themselves.
    let mut out: Vec<Option<String>> = ls.iter().map(|l| Some((*l).to_owned())).collect();
    for s in &found {
        let is_last = s.start == last.start;
        for (k, from, to) in &s.props {
            if !touched(k) {
                continue;
            }
            let value = set.iter().find(|(sk, _)| sk == k).map(|(_, v)| *v);
            match value {
                Some(v) if is_last => {
                    let indent: String = ls[*from]
                        .chars()
                        .take_while(|c| c.is_whitespace())
                        .collect();
                    let eol = if ls[to - 1].ends_with('\n') { "\n" } else { "" };
                    out[*from] = Some(format!("{indent}{k} = {v}{eol}"));
                    (from + 1..*to).for_each(|i| out[i] = None);
                }
                _ => (*from..*to).for_each(|i| out[i] = None),
            }
        }
    }
    // Keys not yet in the last section go after its last property (or its header).
    let missing: Vec<String> = set
        .iter()
        .filter(|(k, _)| !last.props.iter().any(|p| p.0 == *k))
        .map(|(k, v)| format!("{k} = {v}\n"))
        .collect();
    if !missing.is_empty() {
        let mut at = last.props.last().map_or(last.start + 1, |p| p.2) - 1;
        while out[at].is_none() {
            at -= 1; // past dropped keys; the header itself is always kept
        }
        let line = out[at].get_or_insert_with(String::new);
        if !line.ends_with('\n') {
            line.push('\n');
        }
        line.push_str(&missing.concat());
    }
    out.into_iter().flatten().collect()
}

/// Removes `keys` from every section of profile `name`, as the SDKs read it or not (`[lt]` and
/// `[profile lt]` in either file). A section left with no property goes too, with its comments.
pub fn strip_keys(text: &str, kind: Kind, name: &str, keys: &[&str]) -> String {
    let ls = lines(text);
    let mut keep = vec![true; ls.len()];
    for s in sections(&ls, kind, name, true) {
        let mut left = 0;
        for (k, from, to) in &s.props {
            if keys.contains(&k.as_str()) {
                (*from..*to).for_each(|i| keep[i] = false);
            } else {
                left += 1;
            }
        }
        if left == 0 {
            (s.start..s.end).for_each(|i| keep[i] = false);
        }
    }
    ls.iter()
        .zip(keep)
        .filter_map(|(l, k)| k.then_some(*l))
        .collect()
}

/// The names of the sections (any header form) holding `key = value`.
pub fn sections_holding(text: &str, key: &str, value: &str) -> Vec<String> {
    let ls = lines(text);
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for l in &ls {
        match classify(l) {
            Line::Header(words) => current = words.last().map(|w| (*w).to_owned()),
            Line::Property(k) if k.eq_ignore_ascii_case(key) => {
                let v = l.split_once('=').map_or("", |(_, v)| v.trim());
                if v == value
                    && let Some(c) = &current
                    && !out.contains(c)
                {
                    out.push(c.clone());
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
#[path = "config_edit_tests.rs"]
mod tests;
