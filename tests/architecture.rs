//! The layering ARCHITECTURE.md draws, checked from the source on every CI run: no module of
//! logic imports a command, the CLI or the front, and no two modules import each other (no
//! cycle at all between the top-level modules of `src/`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The edge of the program: they may use anything below them.
const EDGE: &[&str] = &["cli", "cmd", "front", "main", "bin"];

/// Top-level module of each file under src/, and the `crate::NAME` modules its code names.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .into_owned();
        let mut module = first.trim_end_matches(".rs").to_owned();
        // `#[path]` test files belong to the module they test.
        if let Some(m) = module.strip_suffix("_tests") {
            module = m.to_owned();
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let deps = g.entry(module.clone()).or_default();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            let mut rest = code;
            while let Some(i) = rest.find("crate::") {
                rest = &rest[i + 7..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != module {
                    deps.insert(name);
                }
            }
            // `use crate::{a, b::c}` groups.
            if let Some(group) = code.trim_start().strip_prefix("use crate::{") {
                for part in group.split(',') {
                    let name: String = part
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() && name != module {
                        deps.insert(name);
                    }
                }
            }
        }
    }
    g
}

#[test]
fn no_module_of_logic_imports_a_command_the_cli_or_the_front() {
    let g = graph();
    let wrong: Vec<String> = g
        .iter()
        .filter(|(m, _)| !EDGE.contains(&m.as_str()) && m.as_str() != "lib")
        .flat_map(|(m, deps)| {
            deps.iter()
                .filter(|d| EDGE.contains(&d.as_str()))
                .map(move |d| format!("{m} -> {d}"))
        })
        .collect();
    assert!(wrong.is_empty(), "logic importing the edge: {wrong:?}");
    assert!(
        g.contains_key("session") && g.contains_key("cmd"),
        "the scan found the modules: {g:?}"
    );
}

#[test]
fn the_modules_import_each_other_in_no_cycle() {
    let g = graph();
    // Depth-first search for a back edge; report the cycle it closes.
    fn visit(
        m: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == m) {
            let mut cycle = path[i..].to_vec();
            cycle.push(m.to_owned());
            return Some(cycle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_owned());
        for d in g.get(m).into_iter().flatten() {
            if let Some(c) = visit(d, g, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for m in g.keys().filter(|m| m.as_str() != "lib") {
        if let Some(cycle) = visit(m, &g, &mut Vec::new(), &mut done) {
            panic!("import cycle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn no_source_file_is_over_about_400_lines_of_code() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut big = Vec::new();
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            // Code only: up to a module's unit tests, without blank and comment lines.
            let code = text.split("#[cfg(test)]\nmod tests {").next().unwrap_or("");
            let n = code
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with("//"))
                .count();
            if n > 420 {
                big.push(format!("{} ({n})", p.display()));
            }
        }
    }
    assert!(
        big.is_empty(),
        "files over about 400 lines of code: {big:?}"
    );
}
