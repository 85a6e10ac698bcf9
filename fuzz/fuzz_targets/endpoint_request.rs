//! The credential endpoint's request reader (`server::parse_request`, the request head as read
//! from the socket) on arbitrary bytes: it must not panic. Built only with the `endpoint`
//! feature: the function arrives with the endpoint's rewrite on another branch (run.sh turns the
//! feature on once src/server.rs has it).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mfa_session::server::parse_request(data);
});
