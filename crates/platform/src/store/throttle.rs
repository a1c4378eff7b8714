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
    /// Starts an attempt for `username` at `now`: refused with the time left while a hold lasts;
    /// otherwise counted as a failure at once, before the password is checked, so that attempts
    /// sent together cannot all pass before the first one fails. A success forgets it
    /// ([`Self::succeeded`]).
    pub fn begin(&self, username: &str, now: Instant) -> Result<(), Duration> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let key = key(username);
        if let Some(wait) = map
            .get(&key)
            .and_then(|f| f.until.checked_duration_since(now))
            .filter(|d| !d.is_zero())
        {
            return Err(wait);
        }
        if map.len() >= REMEMBERED {
            map.retain(|_, f| f.until > now);
            if map.len() >= REMEMBERED {
                // Still full of live holds: forgetting them is safer than growing without bound.
                map.clear();
            }
        }
        let f = map.entry(key).or_insert(Failures {
            count: 0,
            until: now,
        });
        f.count += 1;
        f.until = now + hold(f.count);
        Ok(())
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
        for _ in 0..FREE_FAILURES {
            assert_eq!(t.begin("Water ", start), Ok(()));
        }
        assert_eq!(t.begin("WATER", start), Err(FIRST_HOLD));
        assert_eq!(t.begin("power", start), Ok(()), "other names are not held");
        let later = start + FIRST_HOLD;
        assert_eq!(t.begin("water", later), Ok(()), "the hold ends");
        assert_eq!(t.begin("water", later), Err(FIRST_HOLD * 2));
        let much_later = later + LONGEST_HOLD;
        for i in 0..20 {
            let _ = t.begin("water", much_later + LONGEST_HOLD * i);
        }
        let last = much_later + LONGEST_HOLD * 19;
        assert_eq!(t.begin("water", last), Err(LONGEST_HOLD));
        t.succeeded("water");
        assert_eq!(t.begin("water", last), Ok(()));
    }

    #[test]
    fn attempts_sent_together_are_counted_before_any_is_checked() {
        let t = std::sync::Arc::new(Throttle::default());
        let now = Instant::now();
        let passed: usize = (0..4)
            .map(|_| {
                let t = t.clone();
                std::thread::spawn(move || {
                    (0..50).filter(|_| t.begin("water", now).is_ok()).count()
                })
            })
            .map(|h| h.join().expect("thread"))
            .sum();
        assert_eq!(passed, FREE_FAILURES as usize);
    }
}
