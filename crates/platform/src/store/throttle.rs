//! Failed sign-ins slow password guessing: after a few failures for one user name, further
//! attempts for it are refused unchecked for a while that doubles with each failure.
//!
//! Kept in this process's memory: it resets when the server restarts, and server processes on one
//! PostgreSQL do not share it (each slows guessing on its own).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed before attempts are held back.
pub const FREE_FAILURES: u32 = 5;
/// The first hold; each further failure doubles it.
const FIRST_HOLD: Duration = Duration::from_secs(30);
/// The longest hold.
const LONGEST_HOLD: Duration = Duration::from_secs(15 * 60);
/// User names remembered at most; beyond, those whose hold is over are forgotten first.
const REMEMBERED: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    until: Instant,
}

/// Failed sign-ins by user name.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, Failures>>,
}

fn hold(count: u32) -> Duration {
    if count < FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (count - FREE_FAILURES).min(16);
    (FIRST_HOLD * 2u32.pow(doublings)).min(LONGEST_HOLD)
}

fn key(username: &str) -> String {
    username.trim().to_lowercase()
}

impl Throttle {
    /// How long `username` must still wait at `now`, if at all.
    pub fn wait(&self, username: &str, now: Instant) -> Option<Duration> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&key(username))
            .and_then(|f| f.until.checked_duration_since(now))
            .filter(|d| !d.is_zero())
    }

    /// Records a failure for `username` at `now`.
    pub fn failed(&self, username: &str, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= REMEMBERED {
            map.retain(|_, f| f.until > now);
            if map.len() >= REMEMBERED {
                // Still full of live holds: forgetting one is safer than growing without bound.
                map.clear();
            }
        }
        let f = map.entry(key(username)).or_insert(Failures {
            count: 0,
            until: now,
        });
        f.count += 1;
        f.until = now + hold(f.count);
    }

    /// Forgets the failures of `username` (it signed in).
    pub fn succeeded(&self, username: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&key(username));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_start_after_the_free_failures_double_and_end() {
        let t = Throttle::default();
        let start = Instant::now();
        for _ in 0..FREE_FAILURES - 1 {
            t.failed("Water", start);
            assert_eq!(t.wait("water", start), None);
        }
        t.failed("water ", start);
        assert_eq!(t.wait("WATER", start), Some(FIRST_HOLD));
        assert_eq!(t.wait("power", start), None, "other names are not held");
        let later = start + FIRST_HOLD;
        assert_eq!(t.wait("water", later), None, "the hold ends");
        t.failed("water", later);
        assert_eq!(t.wait("water", later), Some(FIRST_HOLD * 2));
        for _ in 0..20 {
            t.failed("water", later);
        }
        assert_eq!(t.wait("water", later), Some(LONGEST_HOLD));
        t.succeeded("water");
        assert_eq!(t.wait("water", later), None);
    }
}
