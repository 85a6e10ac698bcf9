//! The provider chain: cache → long-term keys → MFA code → STS, under one lock per cache key.

use crate::cache::{self, Entry, HitCheck, Lookup, ProfileIndex, Session, Store};
use crate::config::{self, ProfileConfig};
use crate::ctx::Ctx;
use crate::env::{Clock, Env};
use crate::error::Error;
use crate::fingerprint::Fingerprint;
use crate::mfa;
use crate::plan::{Action, plan};
use crate::profile;
use crate::secret::mask_key_id;
use crate::sts::STS_TIMEOUT;
use std::time::Duration;

/// A profile together with a session usable for it.
pub struct Resolved {
    /// The profile.
    pub cfg: ProfileConfig,
    /// The session.
    pub session: Session,
}

/// Returns a session for profile `name`: from the cache when it is fresh enough, else from one
/// MFA exchange shared with every concurrent caller for the same keys and device.
pub fn obtain(ctx: &Ctx, name: &str) -> Result<Resolved, Error> {
    if ctx.env.get(mfa::IN_PROCESS_VAR).is_some() {
        return Err(Error::Config(
            "mfa-session was started by an mfa_process command, which would loop: mfa_process must print a code without calling AWS through mfa-session".into(),
        ));
    }
    // Taken before the files are read: a change made while we read them shows next time.
    let seen = Fingerprint::current(&ctx.env);
    let set = config::load_profiles(&ctx.env)?;
    let profile::Located {
        cfg,
        cache_key,
        chain,
    } = profile::locate(&set, &ctx.env, name)?;
    let key = cache_key.as_str();
    let index =
        |session: &Session| index_in(&ctx.store, &cfg, key, session, &seen, ctx.clock.now());
    if let Ok(session) = cached(ctx, key, &cfg, true) {
        index(&session);
        return Ok(Resolved { cfg, session });
    }
    if let Some(chain) = &chain {
        let session = role_credentials(ctx, &cfg, chain, chain.roles.len() - 1)?;
        index(&session);
        return Ok(Resolved { cfg, session });
    }
    let _lock = lock(ctx, key)?;
    // Whoever held the lock before us may have just made the session we need.
    let fallback = match cached(ctx, key, &cfg, false) {
        Ok(session) => {
            index(&session);
            return Ok(Resolved { cfg, session });
        }
        Err(fallback) => fallback,
    };
    let session = match exchange(ctx, &set, &cfg) {
        Ok(session) => session,
        // AWS is unreachable but the old session still works: better than failing every call.
        Err(Error::Unavailable(why)) if fallback.is_some() => {
            let session = fallback.expect("checked");
            eprintln!(
                "mfa-session: warning: {why}; serving the cached session, valid until {}",
                crate::env::rfc3339(session.expiration)
            );
            return Ok(Resolved { cfg, session });
        }
        // No code can be had here (a caller without a terminal, such as an IDE or cron, with
        // typed codes): the session still works for a while, so it is served; said once.
        Err(Error::MfaCode(why)) if fallback.is_some() => {
            let session = fallback.expect("checked");
            warn_once(ctx, key, &session, &why);
            return Ok(Resolved { cfg, session });
        }
        Err(e) => return Err(e),
    };
    match ctx.store.save(key, &session) {
        Ok(()) => index(&session.session),
        // The session is valid: hand it out, and say why the next call will ask again.
        Err(e) => eprintln!("mfa-session: warning: session not cached: {e}"),
    }
    Ok(Resolved {
        cfg,
        session: session.session,
    })
}

/// Says once per session (a marker in `served-stale/`) that a session due for renewal is
/// served because no code could be had, and how long it has left.
fn warn_once(ctx: &Ctx, key: &str, session: &Session, why: &str) {
    let until = crate::env::rfc3339(session.expiration);
    let marker = ctx.store.private_path("served-stale", key);
    if crate::private_file::read_private_file(&marker).is_ok_and(|b| b == until.as_bytes()) {
        return;
    }
    eprintln!(
        "mfa-session: warning: the session is due for renewal but no MFA code can be had here ({why}); serving it until {until}: run any AWS command in a terminal to renew it"
    );
    let _ = ctx
        .store
        .write_private("served-stale", key, until.as_bytes());
}

/// The lock of `key`: `None` when the cache directory cannot be used (said once); waits for
/// whoever holds it as long as a prompt and an STS call can take.
fn lock(ctx: &Ctx, key: &str) -> Result<Option<std::fs::File>, Error> {
    let wait = ctx.prompt_timeout + 2 * STS_TIMEOUT + Duration::from_secs(5);
    match ctx.store.lock(key, wait) {
        Ok(lock) => Ok(Some(lock)),
        Err(cache::LockError::Busy(e)) => Err(e),
        // No usable cache directory: the session can still be made, just not shared or kept.
        Err(cache::LockError::Unusable(e)) => {
            eprintln!("mfa-session: warning: {e}; going on without the cache");
            Ok(None)
        }
    }
}

/// The credentials of role `level` of the chain: cached, or assumed (under its lock) with the
/// credentials of the level below, down to the MFA session. Locks are always taken from the
/// top of a chain down, so concurrent callers share one prompt, one GetSessionToken and one
/// AssumeRole per role.
fn role_credentials(
    ctx: &Ctx,
    cfg: &ProfileConfig,
    chain: &profile::Chain,
    level: usize,
) -> Result<Session, Error> {
    let role = &chain.roles[level];
    let key = &chain.keys[level];
    let duration = role.duration(level > 0);
    let usable = |ctx: &Ctx| match ctx.store.load(key) {
        Lookup::Hit(e)
            if e.mfa_serial == chain.base.mfa_serial
                && plan(Some(e.session.expiration), ctx.clock.now(), duration)
                    == Action::UseCache =>
        {
            Some(e.session)
        }
        _ => None,
    };
    if let Some(s) = usable(ctx) {
        return Ok(s);
    }
    let _lock = lock(ctx, key)?;
    if let Some(s) = usable(ctx) {
        return Ok(s);
    }
    let source = if level == 0 {
        obtain(ctx, &chain.base.name)?.session
    } else {
        role_credentials(ctx, cfg, chain, level - 1)?
    };
    ctx.log(format_args!(
        "calling sts:AssumeRole for {} in {}",
        role.role_arn,
        cfg.sts_region()
    ));
    let session = ctx
        .sts
        .assume_role(&source, role, duration, cfg.sts_region())?;
    let entry = Entry {
        version: 1,
        mfa_serial: chain.base.mfa_serial.clone(),
        source_key: format!("role of {}", role.source),
        profile: role.profile.clone(),
        parent: Some(if level == 0 {
            chain.base_key.clone()
        } else {
            chain.keys[level - 1].clone()
        }),
        session,
    };
    if let Err(e) = ctx.store.save(key, &entry) {
        eprintln!("mfa-session: warning: role credentials not cached: {e}");
    }
    Ok(entry.session)
}

/// One MFA exchange: long-term keys (the only place this path reads the long-term secret: a
/// cache hit never needs it), a code from the profile's source, sts:GetSessionToken.
fn exchange(ctx: &Ctx, set: &config::ProfileSet, cfg: &ProfileConfig) -> Result<Entry, Error> {
    let keys = profile::long_term_keys(set, cfg, ctx.secrets.as_ref())?;
    let code = mfa::get_code(ctx, cfg)?;
    ctx.codes
        .progress("checking the code with AWS STS...", false);
    ctx.log(format_args!(
        "calling sts:GetSessionToken in {} with key {}",
        cfg.sts_region(),
        mask_key_id(&keys.access_key_id)
    ));
    let session = ctx
        .sts
        .get_session_token(cfg, &keys, &code.value)
        .map_err(|e| mfa::explain_rejection(e, cfg, &code))?;
    mfa::record_use(ctx, cfg, &code);
    // The key's age for `list`, learnt once per key (with MFA, ListAccessKeys is allowed).
    if crate::key_age::of(ctx, &keys.access_key_id).is_none()
        && let Some(made) = (ctx.key_created)(cfg, &session, &keys.access_key_id)
    {
        crate::key_age::record(ctx, &keys.access_key_id, made);
    }
    Ok(Entry {
        version: 1,
        mfa_serial: cfg.mfa_serial.clone(),
        source_key: mask_key_id(&keys.access_key_id),
        profile: cfg.name.clone(),
        parent: None,
        session,
    })
}

/// Points the profile's index at its session: for the shell prompt, and (when the AWS files
/// have settled) with what the profile resolved to, for the next cache hit to skip them.
fn index_in(
    store: &Store,
    cfg: &ProfileConfig,
    key: &str,
    session: &Session,
    seen: &Fingerprint,
    now: chrono::DateTime<chrono::Utc>,
) {
    let idx = ProfileIndex {
        key: key.to_owned(),
        expiration: session.expiration,
        hit: seen.settled(now).then(|| HitCheck {
            mfa_serial: cfg.mfa_serial.clone(),
            duration_seconds: cfg.duration_seconds,
            fingerprint: seen.clone(),
        }),
    };
    store.ensure_index(&cfg.name, &idx);
}

/// A cached entry that may be handed out now: this device's, and outside the refresh margin.
fn fresh(e: &Entry, cfg: &ProfileConfig, now: chrono::DateTime<chrono::Utc>) -> bool {
    e.mfa_serial == cfg.mfa_serial
        && plan(Some(e.session.expiration), now, cfg.duration_seconds) == Action::UseCache
}

/// The session for profile `name` when the cache holds a fresh one and there is nothing to say
/// about it: what `obtain` returns first, with no lock, keyring, terminal or SDK. Anything else
/// (miss, stale, refused, misconfigured) is `None`, for `obtain` to handle and explain.
pub fn from_cache(env: &Env, clock: &Clock, store: &Store, name: &str) -> Option<Session> {
    if env.get(mfa::IN_PROCESS_VAR).is_some() {
        return None;
    }
    if let Some(session) = flat_hit(env, clock, store, name) {
        return Some(session);
    }
    let seen = Fingerprint::current(env);
    let set = config::load_profiles(env).ok()?;
    let profile::Located {
        cfg,
        cache_key: key,
        ..
    } = profile::locate(&set, env, name).ok()?;
    match store.load(&key) {
        Lookup::Hit(e) if fresh(&e, &cfg, clock.now()) => {
            index_in(store, &cfg, &key, &e.session, &seen, clock.now());
            Some(e.session)
        }
        _ => None,
    }
}

/// A hit without reading the AWS files: the profile's index says what it resolved to, and its
/// fingerprint proves the files and variables it was resolved from are unchanged.
fn flat_hit(env: &Env, clock: &Clock, store: &Store, name: &str) -> Option<Session> {
    let idx = store.load_index(name)?;
    let check = idx.hit?;
    if check.fingerprint != Fingerprint::current(env) {
        return None;
    }
    match store.load(&idx.key) {
        Lookup::Hit(e)
            if e.mfa_serial == check.mfa_serial
                && plan(
                    Some(e.session.expiration),
                    clock.now(),
                    check.duration_seconds,
                ) == Action::UseCache =>
        {
            Some(e.session)
        }
        _ => None,
    }
}

/// The cached session if it may be handed out; else, as the error, the cached session if it is
/// still servable should a refresh fail for want of AWS.
fn cached(
    ctx: &Ctx,
    key: &str,
    cfg: &ProfileConfig,
    warn: bool,
) -> Result<Session, Option<Session>> {
    match ctx.store.load(key) {
        Lookup::Hit(e) if e.mfa_serial == cfg.mfa_serial => {
            let now = ctx.clock.now();
            if fresh(&e, cfg, now) {
                return Ok(e.session);
            }
            ctx.log(format_args!(
                "cached session expires {}: renewing",
                e.session.expiration
            ));
            Err(Some(e.session).filter(|s| crate::plan::still_servable(s.expiration, now)))
        }
        Lookup::Hit(_) => Err(None),
        Lookup::Miss(why) => {
            ctx.log(why);
            Err(None)
        }
        Lookup::Refused(why) => {
            if warn {
                eprintln!("mfa-session: warning: cached session ignored: {why}");
            }
            Err(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctx::CodeSource;
    use crate::secret::Secret;
    use crate::sts::Exchange;
    use crate::tty::PromptInfo;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct FakeSts(Arc<AtomicUsize>);
    impl crate::sts::AssumeRole for FakeSts {
        fn assume_role(
            &self,
            _: &Session,
            _: &crate::role::RoleConfig,
            _: u32,
            _: &str,
        ) -> Result<Session, Error> {
            Err(Error::Unavailable("no roles here".into()))
        }
    }
    impl Exchange for FakeSts {
        fn get_session_token(
            &self,
            cfg: &ProfileConfig,
            _: &config::LongTermKeys,
            code: &Secret,
        ) -> Result<Session, Error> {
            assert_eq!(code.expose(), "123456");
            self.0.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(100));
            Ok(Session {
                access_key_id: "ASIAFAKE".into(),
                secret_access_key: Secret::new("s"),
                session_token: Secret::new("t"),
                expiration: "2026-01-01T12:00:00Z".parse().unwrap(),
                account_id: cfg.account_id().map(str::to_owned),
            })
        }
    }
    struct FakeCode;
    impl CodeSource for FakeCode {
        fn code(&self, _: &PromptInfo<'_>) -> Result<Secret, Error> {
            Ok(Secret::new("123456"))
        }
    }

    fn ctx(dir: &std::path::Path, now: &str, calls: &Arc<AtomicUsize>) -> Ctx {
        crate::ctx::for_tests(
            dir,
            now,
            Box::new(FakeSts(calls.clone())),
            Box::new(FakeCode),
        )
    }

    #[test]
    fn a_hit_whose_fingerprint_matches_is_served_without_the_aws_files() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("no-such-config");
        let env = Env::from_pairs([
            ("AWS_CONFIG_FILE", missing.to_str().unwrap()),
            ("AWS_SHARED_CREDENTIALS_FILE", missing.to_str().unwrap()),
        ]);
        let store = Store::new(&tmp.path().join("cache"));
        let serial = "arn:aws:iam::123456789012:mfa/a";
        let session = Session {
            access_key_id: "ASIAFLAT".into(),
            secret_access_key: crate::secret::Secret::new("s"),
            session_token: crate::secret::Secret::new("t"),
            expiration: "2026-01-01T12:00:00Z".parse().unwrap(),
            account_id: None,
        };
        let entry = Entry {
            version: 1,
            mfa_serial: serial.into(),
            source_key: "****".into(),
            profile: "work".into(),
            parent: None,
            session,
        };
        store.save("k1", &entry).unwrap();
        let clock = Clock::fixed("2026-01-01T00:00:00Z".parse().unwrap());
        let mut idx = ProfileIndex {
            key: "k1".into(),
            expiration: entry.session.expiration,
            hit: Some(HitCheck {
                mfa_serial: serial.into(),
                duration_seconds: 43_200,
                fingerprint: Fingerprint::current(&env),
            }),
        };
        store.ensure_index("work", &idx);
        // The profile is in no file: only the index can have served it.
        let served = from_cache(&env, &clock, &store, "work").expect("a flat hit");
        assert_eq!(served.access_key_id, "ASIAFLAT");
        // Another device recorded: no hit.
        idx.hit.as_mut().unwrap().mfa_serial = "arn:aws:iam::123456789012:mfa/b".into();
        store.ensure_index("work", &idx);
        assert!(from_cache(&env, &clock, &store, "work").is_none());
    }

    #[test]
    fn second_call_is_served_from_the_cache_until_the_margin() {
        let tmp = tempfile::tempdir().unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let c = ctx(tmp.path(), "2026-01-01T00:00:00Z", &calls);
        let r = obtain(&c, "work").unwrap();
        assert_eq!(r.session.account_id.as_deref(), Some("123456789012"));
        obtain(&c, "work").unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // 21 minutes before expiry: still cached. 19 minutes before: renewed.
        obtain(&ctx(tmp.path(), "2026-01-01T11:39:00Z", &calls), "work").unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        obtain(&ctx(tmp.path(), "2026-01-01T11:41:00Z", &calls), "work").unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    fn open_fds() -> usize {
        std::fs::read_dir("/proc/self/fd").unwrap().count()
    }

    fn rss_kib() -> i64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// Run alone, in a process of its own, by `ten_thousand_cache_hits_leak_nothing`: other
    /// tests' threads would blur the counts.
    #[test]
    #[ignore = "run in its own process by ten_thousand_cache_hits_leak_nothing"]
    fn ten_thousand_cache_hits_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let c = ctx(tmp.path(), "2026-01-01T00:00:00Z", &calls);
        for _ in 0..200 {
            obtain(&c, "work").unwrap();
        }
        let (fds, rss) = (open_fds(), rss_kib());
        for _ in 0..10_000 {
            obtain(&c, "work").unwrap();
        }
        assert_eq!(open_fds(), fds, "open files grew");
        let grown = rss_kib() - rss;
        assert!(
            grown < 512,
            "memory grew by {grown} KiB over 10,000 cache hits"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        println!(
            "10,000 cache hits: open files {fds} -> {}, RSS grew {grown} KiB",
            open_fds()
        );
    }

    #[test]
    fn ten_thousand_cache_hits_leak_nothing() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "session::tests::ten_thousand_cache_hits_alone",
                "--ignored",
                "--nocapture",
            ])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && text.contains("1 passed"), "{text}");
    }

    #[test]
    fn concurrent_cold_callers_share_one_exchange() {
        let tmp = tempfile::tempdir().unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    obtain(&ctx(tmp.path(), "2026-01-01T00:00:00Z", &calls), "work").unwrap()
                });
            }
        });
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
