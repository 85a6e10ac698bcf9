//! The credential endpoint's request reader (`server::parse_request`, the request head as read
//! from the socket) on arbitrary bytes: it must not panic; what it accepts has a method, and a
//! Host it accepts as loopback never names another machine.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(head) = mfa_session::server::parse_request(data) {
        assert!(!head.method.is_empty());
        if let Some(host) = &head.host
            && mfa_session::server::is_loopback_host(host)
        {
            let name = host.rsplit_once(':').map_or(host.as_str(), |(h, p)| {
                if p.bytes().all(|b| b.is_ascii_digit()) && !h.ends_with(':') { h } else { host }
            });
            assert!(
                name.eq_ignore_ascii_case("localhost") || name == "[::1]" || name.starts_with("127."),
                "{host:?}"
            );
        }
    }
});
