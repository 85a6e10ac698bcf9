//! The refresh planner: a pure function of the cached expiry, the session length and the time.

use chrono::{DateTime, TimeDelta, Utc};

/// What to do about a cached session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Hand out the cached session as it is.
    UseCache,
    /// Get a new session (no cached one, or it is inside the refresh margin).
    Refresh,
}

/// How long before expiry a cached session stops being handed out.
///
/// botocore starts an advisory refresh 15 minutes before expiry and a mandatory one at 10:
/// a session handed out later than that would make every AWS CLI call run us again. So sessions
/// are renewed 20 minutes before expiry. Sessions too short for that (under 40 minutes) are
/// handed out until 11 minutes before expiry, just above botocore's mandatory line.
pub fn refresh_margin(duration_seconds: u32) -> TimeDelta {
    if duration_seconds >= 40 * 60 {
        TimeDelta::minutes(20)
    } else {
        TimeDelta::minutes(11)
    }
}

/// Whether a session inside the refresh margin may still be handed out when a refresh cannot
/// reach AWS: more than 11 minutes left, above botocore's mandatory refresh line.
pub fn still_servable(expiry: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    expiry - now > TimeDelta::minutes(11)
}

/// Decides whether a cached session (by its expiry) may be used at `now`.
pub fn plan(
    cached_expiry: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    duration_seconds: u32,
) -> Action {
    match cached_expiry {
        Some(expiry) if expiry - now > refresh_margin(duration_seconds) => Action::UseCache,
        _ => Action::Refresh,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn table() {
        let exp = at("2026-01-01T12:00:00Z");
        let cases = [
            // (cached expiry, now, duration, expected)
            (None, "2026-01-01T00:00:00Z", 43_200, Action::Refresh),
            (Some(exp), "2026-01-01T00:00:00Z", 43_200, Action::UseCache),
            (Some(exp), "2026-01-01T11:39:59Z", 43_200, Action::UseCache),
            (Some(exp), "2026-01-01T11:40:00Z", 43_200, Action::Refresh),
            (Some(exp), "2026-01-01T11:50:00Z", 43_200, Action::Refresh),
            (Some(exp), "2026-01-01T13:00:00Z", 43_200, Action::Refresh),
            (Some(exp), "2026-01-01T11:45:00Z", 900, Action::UseCache),
            (Some(exp), "2026-01-01T11:49:00Z", 900, Action::Refresh),
        ];
        for (cached, now, duration, want) in cases {
            assert_eq!(plan(cached, at(now), duration), want, "{now} {duration}");
        }
    }

    proptest::proptest! {
        /// Never hands out a session inside the refresh margin (so never inside botocore's
        /// mandatory 10 minutes), never refreshes one outside it, whatever the clock says.
        #[test]
        fn planner_invariants(expiry in -4_000_000_000i64..4_000_000_000, now in -4_000_000_000i64..4_000_000_000, d in 900u32..=129_600) {
            let (e, n) = (DateTime::from_timestamp(expiry, 0).unwrap(), DateTime::from_timestamp(now, 0).unwrap());
            let action = plan(Some(e), n, d);
            proptest::prop_assert_eq!(action == Action::UseCache, e - n > refresh_margin(d));
            if action == Action::UseCache {
                proptest::prop_assert!(e - n > TimeDelta::minutes(10));
            }
            proptest::prop_assert_eq!(plan(Some(e), n, d), action, "stable");
            proptest::prop_assert_eq!(plan(None, n, d), Action::Refresh);
        }
    }

    #[test]
    fn never_hands_out_a_session_inside_botocores_mandatory_window() {
        for d in [900, 1800, 2399, 2400, 43_200, 129_600] {
            assert!(refresh_margin(d) > TimeDelta::minutes(10), "{d}");
        }
        // Long sessions are renewed before botocore's advisory refresh starts.
        assert!(refresh_margin(3600) > TimeDelta::minutes(15));
    }
}
