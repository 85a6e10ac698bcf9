//! `mfa-session`: the front. Serves cache hits itself; execs `mfa-session-full` for the rest.

fn main() -> std::process::ExitCode {
    mfa_session::error::install_panic_hook();
    mfa_session::front::main()
}
