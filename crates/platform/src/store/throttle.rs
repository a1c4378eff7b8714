//! Failed sign-ins slow password guessing: after a few failures for one user name from one client,
//! further attempts for it from that client are refused unchecked for a while that doubles with
//! each failure; a client that fails on many names is held back as a whole.
//!
//! Holds are per (name, client) and per client, never per name alone: otherwise anyone could lock
//! `admin` out by typing five wrong passwords. State is keyed by a 128-bit digest (never the name
//! itself, which anyone may make megabytes long) and capped, so an attacker cannot grow it.
//!
//! Kept in this process's memory: it resets when the server restarts, and server processes on one
//! PostgreSQL do not share it (each slows guessing on its own).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures of one name from one client allowed before its attempts are held back.
pub const FREE_FAILURES: u32 = 5;
/// Failures of one client over all names allowed before all its attempts are held back.
pub const FREE_CLIENT_FAILURES: u32 = 20;
/// The first hold; each further failure doubles it.
const FIRST_HOLD: Duration = Duration::from_secs(30);
/// The longest hold.
const LONGEST_HOLD: Duration = Duration::from_secs(15 * 60);
/// Keys remembered at most per table (about 48 bytes each); beyond, those whose hold is over are
/// forgotten first.
const REMEMBERED: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    until: Instant,
}

type Key = [u8; 16];

/// Failures by digest, with the number allowed before holds begin.
#[derive(Debug)]
struct Table {
    free: u32,
    map: HashMap<Key, Failures>,
}

impl Table {
    fn new(free: u32) -> Table {
        Table {
            free,
            map: HashMap::new(),
        }
    }

    fn held(&self, key: &Key, now: Instant) -> Option<Duration> {
        self.map
            .get(key)
            .and_then(|f| f.until.checked_duration_since(now))
            .filter(|d| !d.is_zero())
    }

    fn fail(&mut self, key: Key, now: Instant) {
        if self.map.len() >= REMEMBERED && !self.map.contains_key(&key) {
            self.map.retain(|_, f| f.until > now);
            if self.map.len() >= REMEMBERED {
                // Still full of live holds: forgetting them is safer than growing without bound.
                self.map.clear();
            }
        }
        let free = self.free;
        let f = self.map.entry(key).or_insert(Failures {
            count: 0,
            until: now,
        });
        f.count += 1;
        f.until = now + hold(f.count, free);
    }
}

/// Failed sign-ins by (user name, client) and by client.
#[derive(Debug)]
pub struct Throttle {
    tables: Mutex<(Table, Table)>,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle {
            tables: Mutex::new((Table::new(FREE_FAILURES), Table::new(FREE_CLIENT_FAILURES))),
        }
    }
}

fn hold(count: u32, free: u32) -> Duration {
    if count < free {
        return Duration::ZERO;
    }
    let doublings = (count - free).min(16);
    (FIRST_HOLD * 2u32.pow(doublings)).min(LONGEST_HOLD)
}

fn digest(parts: &[&str]) -> Key {
    crate::key128::key128(parts.iter().copied())
}

fn name_key(username: &str, client: &str) -> Key {
    digest(&[&username.trim().to_lowercase(), client])
}

impl Throttle {
    /// Starts an attempt for `username` from `client` (its address, or "" when unknown) at
    /// `now`: refused with the time left while a hold lasts; otherwise counted as a failure at
    /// once, before the password is checked, so that attempts sent together cannot all pass
    /// before the first one fails. A success forgets the name's failures ([`Self::succeeded`]).
    pub fn begin(&self, username: &str, client: &str, now: Instant) -> Result<(), Duration> {
        let mut guard = self.tables.lock().unwrap_or_else(|p| p.into_inner());
        let (names, clients) = &mut *guard;
        let nk = name_key(username, client);
        // An unknown client (the router called directly, the command line) has no client hold.
        let ck = (!client.is_empty()).then(|| digest(&[client]));
        let wait = names
            .held(&nk, now)
            .into_iter()
            .chain(ck.and_then(|ck| clients.held(&ck, now)))
            .max();
        if let Some(wait) = wait {
            return Err(wait);
        }
        names.fail(nk, now);
        if let Some(ck) = ck {
            clients.fail(ck, now);
        }
        Ok(())
    }

    /// Forgets the failures of `username` from `client` (it signed in), and gives the client back
    /// the attempt counted against it.
    pub fn succeeded(&self, username: &str, client: &str) {
        let mut guard = self.tables.lock().unwrap_or_else(|p| p.into_inner());
        let (names, clients) = &mut *guard;
        names.map.remove(&name_key(username, client));
        if let Some(f) = clients.map.get_mut(&digest(&[client])) {
            f.count = f.count.saturating_sub(1);
        }
    }

    /// Takes back one attempt of `username` from `client` that was never checked (the server
    /// was too busy): it must not bring a hold closer.
    pub fn give_back(&self, username: &str, client: &str) {
        let mut guard = self.tables.lock().unwrap_or_else(|p| p.into_inner());
        let (names, clients) = &mut *guard;
        if let Some(f) = names.map.get_mut(&name_key(username, client)) {
            f.count = f.count.saturating_sub(1);
        }
        if let Some(f) = clients.map.get_mut(&digest(&[client])) {
            f.count = f.count.saturating_sub(1);
        }
    }

    /// Keys held in both tables (for tests of the bound).
    #[cfg(test)]
    fn remembered(&self) -> usize {
        let guard = self.tables.lock().unwrap_or_else(|p| p.into_inner());
        guard.0.map.len() + guard.1.map.len()
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
            assert_eq!(t.begin("Water ", "10.0.0.1", start), Ok(()));
        }
        assert_eq!(t.begin("WATER", "10.0.0.1", start), Err(FIRST_HOLD));
        assert_eq!(
            t.begin("power", "10.0.0.1", start),
            Ok(()),
            "other names are not held"
        );
        let later = start + FIRST_HOLD;
        assert_eq!(t.begin("water", "10.0.0.1", later), Ok(()), "the hold ends");
        assert_eq!(t.begin("water", "10.0.0.1", later), Err(FIRST_HOLD * 2));
        t.succeeded("water", "10.0.0.1");
        assert_eq!(t.begin("water", "10.0.0.1", later), Ok(()));
    }

    #[test]
    fn one_client_cannot_lock_a_name_out_for_everyone() {
        let t = Throttle::default();
        let now = Instant::now();
        for _ in 0..FREE_FAILURES + 3 {
            let _ = t.begin("admin", "198.51.100.7", now);
        }
        assert!(t.begin("admin", "198.51.100.7", now).is_err());
        assert_eq!(
            t.begin("admin", "192.0.2.1", now),
            Ok(()),
            "the owner elsewhere"
        );
    }

    #[test]
    fn a_client_spraying_many_names_is_held_back() {
        let t = Throttle::default();
        let now = Instant::now();
        for i in 0..FREE_CLIENT_FAILURES {
            assert_eq!(t.begin(&format!("user{i}"), "203.0.113.9", now), Ok(()));
        }
        assert!(t.begin("someone-new", "203.0.113.9", now).is_err());
        assert_eq!(t.begin("someone-new", "192.0.2.1", now), Ok(()));
    }

    #[test]
    fn state_stays_bounded_whatever_the_names() {
        let t = Throttle::default();
        let now = Instant::now();
        let long = "x".repeat(1 << 10);
        for i in 0..(REMEMBERED + 10) {
            let _ = t.begin(&format!("{long}{i}"), &format!("c{i}"), now);
        }
        assert!(t.remembered() <= 2 * REMEMBERED, "{}", t.remembered());
    }

    #[test]
    fn attempts_sent_together_are_counted_before_any_is_checked() {
        let t = std::sync::Arc::new(Throttle::default());
        let now = Instant::now();
        let passed: usize = (0..4)
            .map(|_| {
                let t = t.clone();
                std::thread::spawn(move || {
                    (0..50)
                        .filter(|_| t.begin("water", "10.0.0.1", now).is_ok())
                        .count()
                })
            })
            .map(|h| h.join().expect("thread"))
            .sum();
        assert_eq!(passed, FREE_FAILURES as usize);
    }
}
