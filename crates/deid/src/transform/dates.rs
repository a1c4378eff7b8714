//! Calendar dates as records write them, kept in the layout they came in so a shifted date
//! reads like the original (`1990/05/01` stays slashed, `1990年5月1日` stays Chinese).

/// A calendar date (proleptic Gregorian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Year, 1..=9999.
    pub year: u32,
    /// Month, 1..=12.
    pub month: u32,
    /// Day of month.
    pub day: u32,
}

/// How a date was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `YYYY-MM-DD` (also `/` or `.`), with an optional time after a space or `T`, which is dropped
    /// for generalization and kept by shifting.
    Separated(char),
    /// `YYYYMMDD`.
    Compact,
    /// `YYYY年M月D日`.
    Chinese,
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// A date, if it exists.
    pub fn new(year: u32, month: u32, day: u32) -> Option<Date> {
        ((1..=9999).contains(&year) && day >= 1 && day <= days_in_month(year, month))
            .then_some(Date { year, month, day })
    }

    /// Days since 1970-01-01 (Howard Hinnant's days-from-civil).
    /// `const`, so fixed calendar bounds can be constants.
    pub const fn to_days(self) -> i64 {
        let (m, d) = (self.month as i64, self.day as i64);
        let y = self.year as i64 - (self.month <= 2) as i64;
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01, if its year is within 1..=9999.
    pub fn from_days(days: i64) -> Option<Date> {
        let (y, m, d) = pubdata_detect::days_to_civil(days);
        Date::new(u32::try_from(y).ok()?, m, d)
    }

    /// Today's UTC date from the system clock (the reference of age bands without `as_of`);
    /// `None` if the clock is before 1970.
    pub fn today() -> Option<Date> {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_secs();
        Date::from_days(i64::try_from(secs / 86_400).ok()?)
    }

    /// Whole years from this date to `on` (an age).
    pub fn years_until(self, on: Date) -> i64 {
        let mut years = i64::from(on.year) - i64::from(self.year);
        if (on.month, on.day) < (self.month, self.day) {
            years -= 1;
        }
        years
    }

    /// Writes the date in `layout` (without any time part).
    pub fn write(self, layout: Layout, out: &mut String) {
        use std::fmt::Write;
        // Writing to a String cannot fail.
        let _ = match layout {
            Layout::Separated(c) => write!(
                out,
                "{:04}{c}{:02}{c}{:02}",
                self.year, self.month, self.day
            ),
            Layout::Compact => write!(out, "{:04}{:02}{:02}", self.year, self.month, self.day),
            Layout::Chinese => write!(out, "{}年{}月{}日", self.year, self.month, self.day),
        };
    }
}

fn number(s: &str) -> Option<u32> {
    (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Parses a date; returns it, its layout and the rest after the date (a time part, or "").
pub fn parse_date_with_rest(value: &str) -> Option<(Date, Layout, &str)> {
    let v = value.trim();
    if let Some((y, rest)) = v.split_once('年') {
        let (m, rest) = rest.split_once('月')?;
        let d = rest
            .strip_suffix('日')
            .or_else(|| rest.strip_suffix('号'))?;
        let date = Date::new(number(y)?, number(m)?, number(d)?)?;
        return (y.len() == 4).then_some((date, Layout::Chinese, ""));
    }
    let (day_part, rest) = match v.find([' ', 'T']) {
        Some(i) => (&v[..i], &v[i..]),
        None => (v, ""),
    };
    if day_part.len() == 8 && day_part.bytes().all(|b| b.is_ascii_digit()) {
        let date = Date::new(
            number(&day_part[..4])?,
            number(&day_part[4..6])?,
            number(&day_part[6..])?,
        )?;
        return Some((date, Layout::Compact, rest));
    }
    let sep = day_part.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
    let mut parts = day_part.split(sep);
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() > 2 || d.len() > 2 {
        return None;
    }
    let date = Date::new(number(y)?, number(m)?, number(d)?)?;
    Some((date, Layout::Separated(sep), rest))
}

/// Parses a date written as `YYYY-MM-DD` (or `/`, `.`), `YYYYMMDD` or `YYYY年M月D日`; a time
/// after the date is allowed and ignored.
pub fn parse_date(value: &str) -> Option<(Date, Layout)> {
    parse_date_with_rest(value).map(|(d, l, _)| (d, l))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn layouts_parse() {
        let d = Date::new(1990, 5, 1).expect("date");
        assert_eq!(parse_date("1990-05-01"), Some((d, Layout::Separated('-'))));
        assert_eq!(parse_date("1990/5/1"), Some((d, Layout::Separated('/'))));
        assert_eq!(parse_date("19900501"), Some((d, Layout::Compact)));
        assert_eq!(parse_date("1990年5月1日"), Some((d, Layout::Chinese)));
        assert_eq!(
            parse_date_with_rest("1990-05-01 08:30:00"),
            Some((d, Layout::Separated('-'), " 08:30:00"))
        );
    }

    #[test]
    fn non_dates_do_not_parse() {
        for v in [
            "1990-02-30",
            "19901301",
            "abc",
            "",
            "1990-05",
            "90-05-01",
            "1990-05/01",
            "1990年5月",
        ] {
            assert_eq!(parse_date(v), None, "{v}");
        }
    }

    #[test]
    fn days_count_from_the_unix_epoch() {
        assert_eq!(Date::new(1970, 1, 1).map(Date::to_days), Some(0));
        let leap = Date::new(2000, 2, 29).expect("date");
        assert_eq!(Date::from_days(leap.to_days()), Some(leap));
    }

    #[test]
    fn ages() {
        let born = Date::new(1990, 5, 1).expect("date");
        assert_eq!(born.years_until(Date::new(2026, 4, 30).expect("date")), 35);
        assert_eq!(born.years_until(Date::new(2026, 5, 1).expect("date")), 36);
    }

    proptest! {
        #[test]
        fn days_round_trip(days in -700_000i64..2_900_000) {
            let d = Date::from_days(days).expect("in range");
            prop_assert_eq!(d.to_days(), days);
        }

        #[test]
        fn written_dates_parse_back(days in -25_000i64..50_000, layout in 0usize..4) {
            let d = Date::from_days(days).expect("in range");
            let layout = [Layout::Separated('-'), Layout::Separated('/'), Layout::Compact, Layout::Chinese][layout];
            let mut s = String::new();
            d.write(layout, &mut s);
            prop_assert_eq!(parse_date(&s), Some((d, layout)));
        }
    }
}
