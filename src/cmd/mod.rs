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
pub mod remove;
pub mod role;
pub mod rotate;
pub mod seed;
pub mod server;

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
    /// The profile given on the command line (positional or `-p`), if any.
    pub fn given(&self) -> Option<&str> {
        self.positional.as_deref().or(self.flag.profile.as_deref())
    }

    /// The profile named, else `AWS_PROFILE`, else `default`: for the commands that act on the
    /// profile the AWS CLI would use.
    pub fn name(&self, env: &crate::env::Env) -> Result<String, crate::error::Error> {
        let name = crate::profile::selected(self.given(), env);
        crate::config_edit::ensure_profile_name(&name)?;
        Ok(name)
    }

    /// The profile named, or an error saying how to name one.
    pub fn resolve(&self, env: &crate::env::Env) -> Result<String, crate::error::Error> {
        let name = crate::profile::chosen(self.given(), env).ok_or_else(|| {
            crate::error::Error::Config(
                "name the profile: `mfa-session COMMAND PROFILE` (or -p PROFILE, or set AWS_PROFILE)".into(),
            )
        })?;
        crate::config_edit::ensure_profile_name(&name)?;
        Ok(name)
    }
}

/// `--region`, shared by `add` and `enroll`.
#[derive(clap::Args, Debug, Clone)]
pub struct RegionArg {
    /// The region to write into the profile (default: the source profile's, [default]'s, or
    /// $AWS_REGION; asked on the terminal when none is known).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}

impl RegionArg {
    /// The region to write into profile `name`, or `None` when it has one and none is given:
    /// --region, else the region of `from` (the profile the keys came from), of [default], of
    /// the environment; else asked on the terminal (default `us-east-1`, said).
    pub fn to_write(
        &self,
        set: &crate::config::ProfileSet,
        env: &crate::env::Env,
        name: &str,
        from: Option<&str>,
    ) -> Result<Option<String>, crate::error::Error> {
        let of = |p: &str| {
            set.get_profile(p)
                .and_then(|p| p.get("region"))
                .map(str::to_owned)
        };
        let region = match &self.region {
            Some(r) => r.trim().to_owned(),
            None if of(name).is_some() => return Ok(None),
            None => match from.and_then(of).or_else(|| of("default")).or_else(|| {
                env.get("AWS_REGION")
                    .or(env.get("AWS_DEFAULT_REGION"))
                    .map(str::to_owned)
            }) {
                Some(r) => r,
                None => ask_region(name),
            },
        };
        if region.is_empty()
            || !region
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(crate::error::Error::Config(format!(
                "'{region}' is not an AWS region (such as us-east-1 or eu-west-2): check --region"
            )));
        }
        Ok(Some(region))
    }
}

/// Asks for a region on the terminal; `us-east-1` when nothing is typed or there is no terminal (said).
fn ask_region(name: &str) -> String {
    const DEFAULT: &str = "us-east-1";
    let typed = crate::tty::ask_line(&format!(
        "No region is known for profile '{name}'. AWS region [{DEFAULT}]: "
    ))
    .filter(|r| !r.is_empty());
    typed.unwrap_or_else(|| {
        eprintln!(
            "mfa-session: profile '{name}' gets region = {DEFAULT} (pass --region to choose another)"
        );
        DEFAULT.to_owned()
    })
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
