//! Whole-value recognizers with no check digit: postal codes, coordinates and gender.

/// True for a 6-digit postal code whose first two digits fall in 01-86, the range China Post
/// assigns to provinces (there are no 00 or 87-99 prefixes).
///
/// Six digits alone are weak evidence, so the scanner only looks for postal codes after 邮编.
pub(crate) fn is_postal_code(v: &[u8]) -> bool {
    v.len() == 6
        && v.iter().all(u8::is_ascii_digit)
        && crate::checks::digits_value(&v[..2]).is_some_and(|p| (1..=86).contains(&p))
}

/// Parses a signed decimal with at least 3 fraction digits (fewer is too coarse to locate anyone
/// and too easy to confuse with prices); returns its value.
fn coordinate(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let unsigned = b
        .strip_prefix(b"-")
        .or_else(|| b.strip_prefix(b"+"))
        .unwrap_or(b);
    let dot = unsigned.iter().position(|&c| c == b'.')?;
    let (int, frac) = (&unsigned[..dot], &unsigned[dot + 1..]);
    let ok = (1..=3).contains(&int.len())
        && frac.len() >= 3
        && frac.len() <= 15
        && int.iter().chain(frac).all(u8::is_ascii_digit);
    if !ok {
        return None;
    }
    s.parse().ok()
}

/// True for `lat,lon` (ASCII or full-width comma, optional spaces) with both parts in range.
pub(crate) fn is_geo_coordinate(v: &str) -> bool {
    let Some((lat, lon)) = v.split_once(',').or_else(|| v.split_once('，')) else {
        return false;
    };
    match (coordinate(lat.trim()), coordinate(lon.trim())) {
        (Some(lat), Some(lon)) => lat.abs() <= 90.0 && lon.abs() <= 180.0,
        _ => false,
    }
}

/// True for a gender value. Digit codes (1/2, 0/1) are not accepted: every small-integer column
/// would look like gender.
pub(crate) fn is_gender(v: &str) -> bool {
    matches!(v, "男" | "女" | "男性" | "女性")
        || ["m", "f", "male", "female"]
            .iter()
            .any(|g| v.eq_ignore_ascii_case(g))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postal_codes() {
        assert!(is_postal_code(b"310012"));
        assert!(is_postal_code(b"100000"));
        assert!(!is_postal_code(b"001234"));
        assert!(!is_postal_code(b"990000"));
        assert!(!is_postal_code(b"31001"));
        assert!(!is_postal_code(b"31001a"));
    }

    #[test]
    fn coordinates() {
        assert!(is_geo_coordinate("30.2741,120.1551"));
        assert!(is_geo_coordinate("30.274100, 120.155100"));
        assert!(is_geo_coordinate("-33.868，151.209"));
        assert!(!is_geo_coordinate("30.27,120.15"));
        assert!(!is_geo_coordinate("95.0000,120.1551"));
        assert!(!is_geo_coordinate("30.2741,190.1551"));
        assert!(!is_geo_coordinate("1,234.5678"));
        assert!(!is_geo_coordinate("30.2741;120.1551"));
        assert!(!is_geo_coordinate("NaN.000,1.000"));
    }

    #[test]
    fn genders() {
        for g in ["男", "女", "男性", "女性", "M", "f", "Male", "FEMALE"] {
            assert!(is_gender(g), "{g}");
        }
        for g in ["1", "2", "男女", "man", ""] {
            assert!(!is_gender(g), "{g}");
        }
    }
}
