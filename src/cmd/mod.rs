//! One subcommand per file: its clap `Args` and `run`.

pub mod clear;
pub mod completions;
pub mod credential_process;
pub mod doctor;
pub mod env;
pub mod exec;
pub mod init;
pub mod keys;
pub mod list;
pub mod mfa;
pub mod prompt;
pub mod role;
pub mod rotate;
pub mod seed;
pub mod server;
pub mod status;

/// `--profile/-p`: the one declaration of the flag, shared by every command.
#[derive(clap::Args, Debug, Clone)]
pub struct ProfileArg {
    /// The AWS profile (default: $AWS_PROFILE).
    #[arg(short = 'p', long = "profile", value_name = "PROFILE")]
    pub profile: Option<String>,
}

impl ProfileArg {
    /// The profile named, else `AWS_PROFILE`, else `default`.
    pub fn name(&self, env: &crate::env::Env) -> Result<String, crate::error::Error> {
        let name = crate::profile::selected(self.profile.as_deref(), env);
        crate::config_edit::ensure_profile_name(&name)?;
        Ok(name)
    }
}

/// A profile given as `PROFILE` or `-p/--profile PROFILE`, else `$AWS_PROFILE`: for the
/// commands that manage one profile.
#[derive(clap::Args, Debug, Clone)]
pub struct ProfileSel {
    /// The profile (or -p PROFILE; default: $AWS_PROFILE).
    #[arg(value_name = "PROFILE", conflicts_with = "profile")]
    positional: Option<String>,
    #[command(flatten)]
    flag: ProfileArg,
}

impl ProfileSel {
    /// The profile named, or an error saying how to name one.
    pub fn resolve(&self, env: &crate::env::Env) -> Result<String, crate::error::Error> {
        let name = crate::profile::chosen(
            self.positional.as_deref().or(self.flag.profile.as_deref()),
            env,
        )
        .ok_or_else(|| {
            crate::error::Error::Config(
                "name the profile: `mfa-session COMMAND PROFILE` (or -p PROFILE, or set AWS_PROFILE)".into(),
            )
        })?;
        crate::config_edit::ensure_profile_name(&name)?;
        Ok(name)
    }
}

/// "1 cached session", "2 cached sessions", "no cached sessions".
pub fn count(n: usize, noun: &str) -> String {
    match n {
        0 => format!("no {noun}s"),
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// Left-aligned columns as wide as their widest cell (in characters), two spaces apart.
pub fn columns<const N: usize>(header: &[&str; N], rows: &[[&str; N]]) -> String {
    let mut width = header.map(|h| h.chars().count());
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in std::iter::once(header).chain(rows) {
        let mut line = String::new();
        for (i, (c, w)) in r.iter().zip(width).enumerate() {
            if i + 1 == N {
                line += c;
            } else {
                line += &format!("{c:<w$}  ");
            }
        }
        out += line.trim_end();
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_line_up_whatever_the_width_of_a_cell() {
        let out = super::columns(
            &["A", "B", "C"],
            &[["a-long-profile-name", "é", "x"], ["b", "bb", "y"]],
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "A                    B   C");
        assert_eq!(lines[1], "a-long-profile-name  é   x");
        assert_eq!(lines[2], "b                    bb  y");
    }
}
