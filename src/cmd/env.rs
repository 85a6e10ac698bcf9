//! `env`: the session as shell assignments, for `eval "$(mfa-session env -p work)"`.

use crate::cmd::ProfileSel;
use crate::ctx::Ctx;
use crate::env::rfc3339;
use crate::error::Error;
use crate::session::{Resolved, obtain};

use crate::env::PROFILE_VAR;

/// Variables removed from a session's environment: each would override or confuse it.
pub const CLEARED: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
];

/// Output formats of `env`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// POSIX shells: `export K='v'`.
    Sh,
    /// fish: `set -gx K 'v'`.
    Fish,
    /// A JSON object of the variables to set.
    Json,
}

/// Print the session as environment variables for a shell to evaluate.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    profile: ProfileSel,
    /// Output format.
    #[arg(long, value_enum, default_value = "sh")]
    format: Format,
}

/// The variables a session sets, in a stable order.
pub fn session_vars(r: &Resolved) -> Vec<(&'static str, String)> {
    let s = &r.session;
    let mut vars = vec![
        ("AWS_ACCESS_KEY_ID", s.access_key_id.clone()),
        (
            "AWS_SECRET_ACCESS_KEY",
            s.secret_access_key.expose().to_owned(),
        ),
        ("AWS_SESSION_TOKEN", s.session_token.expose().to_owned()),
        ("AWS_CREDENTIAL_EXPIRATION", rfc3339(s.expiration)),
    ];
    if let Some(region) = &r.cfg.region {
        vars.push(("AWS_REGION", region.clone()));
        vars.push(("AWS_DEFAULT_REGION", region.clone()));
    }
    vars.push((PROFILE_VAR, r.cfg.name.clone()));
    vars
}

/// Renders the assignments in `format`.
pub fn render(vars: &[(&str, String)], format: Format) -> String {
    let mut out = String::new();
    match format {
        Format::Sh => {
            for (k, v) in vars {
                out += &format!("export {k}={}\n", sh_quote(v));
            }
            out += &format!("unset {}\n", CLEARED.join(" "));
        }
        Format::Fish => {
            for (k, v) in vars {
                out += &format!("set -gx {k} {};\n", fish_quote(v));
            }
            // `set -e` of an unset variable fails (status 4), and the last line's status is what
            // `... | source` returns: an `if` that runs no branch succeeds.
            for k in CLEARED {
                out += &format!("if set -q {k}; set -e {k}; end;\n");
            }
        }
        Format::Json => {
            let map: serde_json::Map<String, serde_json::Value> = vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone().into()))
                .collect();
            out = serde_json::to_string_pretty(&map).expect("strings serialize") + "\n";
        }
    }
    out
}

fn sh_quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', r"'\''"))
}

fn fish_quote(v: &str) -> String {
    format!("'{}'", v.replace('\\', r"\\").replace('\'', r"\'"))
}

/// Prints the assignments on stdout.
pub fn run(args: &Args, ctx: &Ctx) -> Result<(), Error> {
    let name = args.profile.name(&ctx.env)?;
    let resolved = obtain(ctx, &name)?;
    print!("{}", render(&session_vars(&resolved), args.format));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_hostile_values() {
        let vars = [("K", "a'b\\c $x".to_owned())];
        assert_eq!(
            render(&vars, Format::Sh).lines().next().unwrap(),
            r"export K='a'\''b\c $x'"
        );
        assert_eq!(
            render(&vars, Format::Fish).lines().next().unwrap(),
            r"set -gx K 'a\'b\\c $x';"
        );
        assert_eq!(
            render(&vars, Format::Fish).lines().last().unwrap(),
            "if set -q AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE; set -e AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE; end;"
        );
        let json: serde_json::Value = serde_json::from_str(&render(&vars, Format::Json)).unwrap();
        assert_eq!(json["K"], "a'b\\c $x");
    }
}
