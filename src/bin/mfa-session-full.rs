//! `mfa-session-full`: every command (the `mfa-session` front execs it with the same arguments).

fn main() -> std::process::ExitCode {
    mfa_session::error::install_panic_hook();
    mfa_session::cli::main()
}
