//! When each long-term key was made (no secret: the key id's hash names a file holding a date),
//! for the KEY AGE `list` shows. Learnt from IAM by `rotate` and at a key's first refresh.

use crate::cache;
use crate::ctx::Ctx;
use chrono::{DateTime, Utc};

/// Records when key `key_id` was made.
pub fn record(ctx: &Ctx, key_id: &str, created: DateTime<Utc>) {
    let _ = ctx.store.write_private(
        "keys",
        &cache::key("created", key_id),
        crate::env::rfc3339(created).as_bytes(),
    );
}

/// When key `key_id` was made, if mfa-session has learnt it.
pub fn of(ctx: &Ctx, key_id: &str) -> Option<DateTime<Utc>> {
    let path = ctx
        .store
        .private_path("keys", &cache::key("created", key_id));
    let bytes = crate::private_file::read_private_file(&path).ok()?;
    std::str::from_utf8(&bytes).ok()?.trim().parse().ok()
}
