//! The cache reader on arbitrary bytes: `sessions/<key>.json` entries (`cache::parse_entry`, what
//! `Store::load` uses) and `profiles/<name>.json` prompt indexes (`cache::parse_index`, what
//! `Store::load_index` uses). Neither may panic; whatever one accepts must survive
//! parse → serialize → parse unchanged (what `Store::save` writes is what the next read gets).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_session::cache::{parse_entry, parse_index};

fuzz_target!(|data: &[u8]| {
    if let Ok(entry) = parse_entry(data) {
        assert_eq!(entry.version, 1, "only version 1 is a hit");
        let bytes = serde_json::to_vec(&entry).expect("entries serialize");
        let again = parse_entry(&bytes).expect("a written entry reads back");
        let twice = serde_json::to_vec(&again).expect("entries serialize");
        assert_eq!(bytes, twice, "parse → serialize → parse is stable");
        assert_eq!(again.session.expiration, entry.session.expiration);
    }
    if let Some(index) = parse_index(data) {
        let bytes = serde_json::to_vec(&index).expect("indexes serialize");
        let again = parse_index(&bytes).expect("a written index reads back");
        assert_eq!(again, index, "parse → serialize → parse is stable");
    }
});
