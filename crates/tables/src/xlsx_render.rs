//! How worksheet cells become text: what a person sees in Excel, minus
//! locale-specific formatting, so values are stable across machines.

use calamine::{DataRef, ExcelDateTime};

/// Cell text as a user would read it; `None` for empty cells.
pub(crate) fn render(value: &DataRef<'_>) -> Option<String> {
    let s = match value {
        DataRef::Empty => return None,
        DataRef::Int(i) => i.to_string(),
        // Rust's f64 Display is the shortest round-trip form and never adds
        // ".0" or an exponent, so 42.0 -> "42" and 0.1 -> "0.1".
        DataRef::Float(f) if *f == 0.0 => "0".to_string(),
        DataRef::Float(f) => f.to_string(),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) => format_datetime(dt),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => e.to_string(),
    };
    (!s.is_empty()).then_some(s)
}

/// ISO 8601 text for an Excel serial date: date only for whole days, time
/// only for values below one day, otherwise both. Durations as `[h]:mm:ss`.
fn format_datetime(dt: &ExcelDateTime) -> String {
    let v = dt.as_f64();
    if dt.is_duration() {
        let secs = (v * 86_400.0).round();
        if !secs.is_finite() {
            return v.to_string();
        }
        let secs = secs as i64;
        let sign = if secs < 0 { "-" } else { "" };
        let secs = secs.unsigned_abs();
        return format!(
            "{sign}{}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        );
    }
    let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
    let time = if ms > 0 {
        format!("{h:02}:{mi:02}:{s:02}.{ms:03}")
    } else {
        format!("{h:02}:{mi:02}:{s:02}")
    };
    if v.fract() == 0.0 {
        format!("{y:04}-{mo:02}-{d:02}")
    } else if (0.0..1.0).contains(&v) {
        time
    } else {
        format!("{y:04}-{mo:02}-{d:02}T{time}")
    }
}

/// Spreadsheet column letters for a 0-based index (0 -> A, 26 -> AA).
pub(crate) fn column_letters(col: u32) -> String {
    let mut n = u64::from(col) + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        out.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

/// A1-style reference for 0-based row and column.
pub(crate) fn cell_ref(row: u32, col: u32) -> String {
    format!("{}{}", column_letters(col), u64::from(row) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(16_383), "XFD");
        assert_eq!(cell_ref(4, 2), "C5");
    }

    #[test]
    fn numbers_render_without_trailing_zero() {
        assert_eq!(render(&DataRef::Float(42.0)).as_deref(), Some("42"));
        assert_eq!(render(&DataRef::Float(0.1)).as_deref(), Some("0.1"));
        assert_eq!(render(&DataRef::Float(-0.0)).as_deref(), Some("0"));
        assert_eq!(render(&DataRef::Int(7)).as_deref(), Some("7"));
        assert_eq!(render(&DataRef::String(String::new())), None);
    }

    #[test]
    fn dates_render_as_iso() {
        use calamine::ExcelDateTimeType::{DateTime, TimeDelta};
        assert_eq!(
            format_datetime(&ExcelDateTime::new(45943.0, DateTime, false)),
            "2025-10-13"
        );
        assert_eq!(
            format_datetime(&ExcelDateTime::new(45943.5, DateTime, false)),
            "2025-10-13T12:00:00"
        );
        assert_eq!(
            format_datetime(&ExcelDateTime::new(0.75, DateTime, false)),
            "18:00:00"
        );
        assert_eq!(
            format_datetime(&ExcelDateTime::new(1.5, TimeDelta, false)),
            "36:00:00"
        );
    }
}
