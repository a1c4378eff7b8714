//! `date_shift`: move dates by a keyed offset within `±max_days`, the same for every row of one
//! person (keyed by an identifier column), so intervals between one person's events survive
//! while the calendar dates do not.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::Invalid;
use super::dates::{Date, parse_date_with_rest};
use crate::keys::Key;

/// A date shifter for one key and bound.
pub struct DateShifter {
    mac: Hmac<Sha256>,
    max_days: u32,
}

impl DateShifter {
    /// A shifter whose offsets come from a subkey of `key`.
    pub fn new(key: &Key, max_days: u32) -> DateShifter {
        let sub = key.derive("pubdata/date_shift/v1");
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(sub.bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        DateShifter { mac, max_days }
    }

    /// The offset in days for one person: uniform over `-max_days..=max_days` (the modulo bias
    /// of a 64-bit draw over at most 2^33 values is below 2^-30).
    pub fn offset(&self, person: &str) -> i64 {
        let mut mac = self.mac.clone();
        mac.update(person.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        let span = 2 * u64::from(self.max_days) + 1;
        (u64::from_le_bytes(first) % span) as i64 - i64::from(self.max_days)
    }

    /// Shifts one date written in any layout `parse_date` reads, keeping the layout and any time
    /// of day. `person` is the row's identifier; a row without one cannot be keyed.
    pub fn apply(
        &self,
        value: &str,
        person: Option<&str>,
        out: &mut String,
    ) -> Result<(), Invalid> {
        out.clear();
        let person = person.filter(|p| !p.trim().is_empty()).ok_or(Invalid(
            "the identifier column that keys the shift is empty",
        ))?;
        let (date, layout, rest) = parse_date_with_rest(value).ok_or(Invalid("not a date"))?;
        let shifted = Date::from_days(date.to_days() + self.offset(person))
            .ok_or(Invalid("the shifted date is outside years 1-9999"))?;
        shifted.write(layout, out);
        out.push_str(rest);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::dates::parse_date;
    use proptest::prelude::*;

    fn key(b: u8) -> Key {
        Key::from_hex(&format!("{b:02x}").repeat(32), "test").expect("key")
    }

    fn shift(k: &Key, v: &str, person: &str) -> Result<String, Invalid> {
        let mut out = String::new();
        DateShifter::new(k, 30)
            .apply(v, Some(person), &mut out)
            .map(|()| out)
    }

    #[test]
    fn layout_and_time_are_kept() {
        let out = shift(&key(1), "2024/03/05 08:30", "p1").expect("date");
        assert!(
            out.ends_with(" 08:30") && out.as_bytes()[4] == b'/',
            "{out}"
        );
        let out = shift(&key(1), "2024年3月5日", "p1").expect("date");
        assert!(out.contains('年'), "{out}");
    }

    #[test]
    fn invalid_dates_and_missing_persons_are_invalid() {
        assert!(shift(&key(1), "2024-02-30", "p1").is_err());
        assert!(shift(&key(1), "soon", "p1").is_err());
        let mut out = String::new();
        assert!(
            DateShifter::new(&key(1), 30)
                .apply("2024-01-01", None, &mut out)
                .is_err()
        );
        assert!(
            DateShifter::new(&key(1), 30)
                .apply("2024-01-01", Some(" "), &mut out)
                .is_err()
        );
    }

    proptest! {
        #[test]
        fn one_person_one_offset_within_bounds(a in 0i64..40_000, b in 0i64..40_000, person in "[0-9A-Z]{4,18}") {
            let k = key(7);
            let s = DateShifter::new(&k, 30);
            let da = Date::from_days(a).expect("date");
            let db = Date::from_days(b).expect("date");
            let (mut sa, mut sb) = (String::new(), String::new());
            let (mut ia, mut ib) = (String::new(), String::new());
            da.write(crate::transform::dates::Layout::Compact, &mut ia);
            db.write(crate::transform::dates::Layout::Compact, &mut ib);
            s.apply(&ia, Some(&person), &mut sa).expect("date");
            s.apply(&ib, Some(&person), &mut sb).expect("date");
            let (ra, _) = parse_date(&sa).expect("shifted parses");
            let (rb, _) = parse_date(&sb).expect("shifted parses");
            prop_assert_eq!(ra.to_days() - rb.to_days(), a - b, "the interval between one person's dates survives");
            prop_assert!((ra.to_days() - a).abs() <= 30);
        }

        #[test]
        fn same_key_same_offset_other_key_other_offsets(person in "[0-9]{18}") {
            let (a, b) = (DateShifter::new(&key(1), 3650), DateShifter::new(&key(2), 3650));
            prop_assert_eq!(a.offset(&person), a.offset(&person));
            // Offsets of two keys agree by chance 1 time in 7301; compare a second person too.
            let other = format!("{person}x");
            prop_assert!(a.offset(&person) != b.offset(&person) || a.offset(&other) != b.offset(&other));
        }
    }
}
