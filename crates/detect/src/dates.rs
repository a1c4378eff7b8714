//! Calendar dates in the formats Chinese records use, and today's date for "not in the future".

use crate::checks;

/// A date as (year, month, day); tuples compare in calendar order.
pub(crate) type Ymd = (u32, u32, u32);

/// Years accepted for separated date forms. Birth dates are the purpose, but the column name
/// decides that later, so any plausible record date passes; compact `YYYYMMDD` is stricter.
const YEARS: std::ops::RangeInclusive<u32> = 1900..=2100;

/// Today's UTC date from the system clock; 2026-01-01 if the clock is before 1970.
pub(crate) fn today() -> Ymd {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(1_767_225_600);
    let (y, m, d) = days_to_civil((secs / 86_400) as i64);
    (y.clamp(0, 9999) as u32, m, d)
}

#[cfg(test)]
fn civil_from_days(z: i64) -> Ymd {
    let (y, m, d) = days_to_civil(z);
    (y.clamp(0, 9999) as u32, m, d)
}

/// The proleptic Gregorian (year, month, day) `z` days after 1970-01-01: Howard Hinnant's
/// days-to-civil algorithm, the one copy the engine uses (no date crate needed).
pub fn days_to_civil(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m as u32, d as u32)
}

const NIAN: &[u8] = "年".as_bytes();
const YUE: &[u8] = "月".as_bytes();
const RI: &[u8] = "日".as_bytes();
const HAO: &[u8] = "号".as_bytes();

/// Reads 1-2 digits at `i`; returns (value, end).
fn small_number(b: &[u8], i: usize) -> Option<(u32, usize)> {
    let n = b[i.min(b.len())..]
        .iter()
        .take(3)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if n == 0 || n > 2 {
        return None;
    }
    Some((checks::digits_value(&b[i..i + n])?, i + n))
}

/// Matches a date starting at byte `i`: `YYYY-M-D` (also `/` or `.`, same separator twice),
/// `YYYY年M月D日` (or `号`), or compact `YYYYMMDD` between 1900 and `today`.
/// Returns the end byte and the date; the caller checks what surrounds it.
pub(crate) fn date_at(b: &[u8], i: usize, today: Ymd) -> Option<(usize, Ymd)> {
    let digits = b[i.min(b.len())..]
        .iter()
        .take(9)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits == 8 {
        let y = checks::digits_value(&b[i..i + 4])?;
        let m = checks::digits_value(&b[i + 4..i + 6])?;
        let d = checks::digits_value(&b[i + 6..i + 8])?;
        let ok = y >= 1900 && checks::is_valid_date(y, m, d) && (y, m, d) <= today;
        return ok.then_some((i + 8, (y, m, d)));
    }
    if digits != 4 {
        return None;
    }
    let y = checks::digits_value(&b[i..i + 4])?;
    let rest = &b[i + 4..];
    let (m, d, end) = if rest.starts_with(NIAN) {
        let (m, j) = small_number(b, i + 4 + NIAN.len())?;
        if !b[j..].starts_with(YUE) {
            return None;
        }
        let (d, k) = small_number(b, j + YUE.len())?;
        let tail = &b[k..];
        let end = if tail.starts_with(RI) || tail.starts_with(HAO) {
            k + 3
        } else {
            return None;
        };
        (m, d, end)
    } else {
        let sep = *rest.first()?;
        if !matches!(sep, b'-' | b'/' | b'.') {
            return None;
        }
        let (m, j) = small_number(b, i + 5)?;
        if b.get(j) != Some(&sep) {
            return None;
        }
        let (d, k) = small_number(b, j + 1)?;
        (m, d, k)
    };
    (YEARS.contains(&y) && checks::is_valid_date(y, m, d)).then_some((end, (y, m, d)))
}

/// True when the whole value is a date in one of the formats of [`date_at`].
pub(crate) fn is_date(v: &[u8], today: Ymd) -> bool {
    date_at(v, 0, today).is_some_and(|(end, _)| end == v.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: Ymd = (2026, 1, 1);

    #[test]
    fn date_formats() {
        for ok in [
            "1990-01-01",
            "1990/1/2",
            "1990.12.31",
            "19900101",
            "1990年1月1日",
            "2000年02月29号",
        ] {
            assert!(is_date(ok.as_bytes(), TODAY), "{ok}");
        }
        for bad in [
            "1990-13-01",
            "1990-02-30",
            "1990-01/01",
            "19901301",
            "20300101",
            "18991231",
            "1990年1月",
            "199001",
            "1990-001-01",
            "90-01-01",
            "1990-01-01x",
        ] {
            assert!(!is_date(bad.as_bytes(), TODAY), "{bad}");
        }
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert!(today() >= (2025, 1, 1));
    }
}
