//! Repeated identical refusals recorded once per window with a count, so that nobody can flood
//! the append-only audit log (and hold the writers' turn) by repeating a refused request.
//!
//! The first refusal of a kind (actor, action, target, reason, client) in a window is audited as
//! it happens; repeats within the window are only counted. When the kind is refused again after
//! its window, one entry records how many repeats the window held, then the new refusal opens a
//! window of its own. A count still open when the server stops is lost: the first refusal of it
//! is in the log.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Length of a window.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Kinds remembered at most; beyond, closed windows are forgotten first (their counts are lost).
const REMEMBERED: usize = 50_000;

#[derive(Debug, Clone, Copy)]
struct Open {
    since: Instant,
    repeats: u64,
}

/// What to write for one refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Write the refusal; before it, a summary of `repeats` earlier ones if non-zero.
    Write {
        /// Repeats counted in the window that just closed.
        repeats: u64,
    },
    /// A repeat inside an open window: counted, not written.
    Counted,
}

/// Open windows by kind.
#[derive(Debug, Default)]
pub struct Refusals {
    open: Mutex<HashMap<[u8; 16], Open>>,
}

impl Refusals {
    /// Decides what to write for a refusal of this kind at `now`.
    pub fn note(&self, parts: &[&str], now: Instant) -> Verdict {
        let key = crate::key128::key128(parts.iter().copied());
        let mut map = self.open.lock().unwrap_or_else(|p| p.into_inner());
        match map.get_mut(&key) {
            Some(o) if now.saturating_duration_since(o.since) < WINDOW => {
                o.repeats += 1;
                Verdict::Counted
            }
            Some(o) => {
                let repeats = o.repeats;
                *o = Open {
                    since: now,
                    repeats: 0,
                };
                Verdict::Write { repeats }
            }
            None => {
                if map.len() >= REMEMBERED {
                    map.retain(|_, o| now.saturating_duration_since(o.since) < WINDOW);
                    if map.len() >= REMEMBERED {
                        map.clear();
                    }
                }
                map.insert(
                    key,
                    Open {
                        since: now,
                        repeats: 0,
                    },
                );
                Verdict::Write { repeats: 0 }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_in_a_window_are_counted_and_summed_when_it_closes() {
        let r = Refusals::default();
        let t = Instant::now();
        let kind = [
            "anonymous",
            "list_users",
            "users",
            "not signed in",
            "10.0.0.1",
        ];
        assert_eq!(r.note(&kind, t), Verdict::Write { repeats: 0 });
        for i in 1..=100 {
            assert_eq!(
                r.note(&kind, t + Duration::from_millis(i)),
                Verdict::Counted
            );
        }
        let other = [
            "anonymous",
            "list_users",
            "users",
            "not signed in",
            "10.0.0.2",
        ];
        assert_eq!(
            r.note(&other, t),
            Verdict::Write { repeats: 0 },
            "another client"
        );
        assert_eq!(r.note(&kind, t + WINDOW), Verdict::Write { repeats: 100 });
        assert_eq!(r.note(&kind, t + WINDOW * 3), Verdict::Write { repeats: 0 });
    }
}
