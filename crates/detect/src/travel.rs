//! Passports and the travel permits between the mainland, Hong Kong, Macao and Taiwan.
//!
//! These numbers have no check digit, so the letter prefix is the evidence; forms that are only
//! digits (the Taiwan compatriot permit) need a keyword nearby and are never accepted as a bare
//! cell value. Only upper-case letters are accepted: lower case is what product codes look like.

use crate::util::digit_run;

/// Letters that may follow the series letter of the newer numbers (I and O are never issued).
fn is_series_letter(c: u8) -> bool {
    c.is_ascii_uppercase() && c != b'I' && c != b'O'
}

/// `prefix` letter then exactly one of `counts` digits; returns the end.
fn lettered(b: &[u8], i: usize, prefixes: &[u8], counts: &[usize]) -> Option<usize> {
    if !prefixes.contains(b.get(i)?) {
        return None;
    }
    let n = digit_run(b, i + 1);
    counts.contains(&n).then_some(i + 1 + n)
}

/// `prefix` letter, a series letter, then 7 digits (the post-2012 numbering); returns the end.
fn double_lettered(b: &[u8], i: usize, prefix: u8) -> Option<usize> {
    (b.get(i) == Some(&prefix)
        && b.get(i + 1).is_some_and(|&c| is_series_letter(c))
        && digit_run(b, i + 2) == 7)
        .then_some(i + 9)
}

/// A passport number at `i` and whether it is the distinctive ordinary-passport form.
///
/// Ordinary passports: `E` + 8 digits, `E` + letter + 7 digits (e-passports since 2012), `G` +
/// 8 digits (before 2012): these are `strict` and found in text on their own. Diplomatic,
/// public-affairs passports (`D`, `P` + 7 digits) and service passports (`S` + 7-8 digits) look
/// like any code, so in text they need 护照 nearby. `P` + 8 digits is not a passport: it is the
/// shape of the record numbers (`P00000001`) that many registers use.
pub(crate) fn passport_at(b: &[u8], i: usize) -> Option<(usize, bool)> {
    if let Some(end) = lettered(b, i, b"EG", &[8]).or_else(|| double_lettered(b, i, b'E')) {
        return Some((end, true));
    }
    lettered(b, i, b"DP", &[7])
        .or_else(|| lettered(b, i, b"S", &[7, 8]))
        .map(|end| (end, false))
}

/// A Hong Kong / Macao permit number at `i`.
///
/// 往来港澳通行证 (mainland residents): `C` + 8 digits (card, 2014) or `C` + letter + 7 digits.
/// 港澳居民来往内地通行证 (回乡证, Hong Kong / Macao residents): `H` or `M` + 8 or 10 digits.
/// The old booklet numbers (`W` + 8 digits, retired 2014) are not recognised.
pub(crate) fn hk_macau_at(b: &[u8], i: usize) -> Option<usize> {
    lettered(b, i, b"C", &[8])
        .or_else(|| double_lettered(b, i, b'C'))
        .or_else(|| lettered(b, i, b"HM", &[8, 10]))
}

/// A lettered Taiwan permit number at `i`: 大陆居民往来台湾通行证 `L` + 8 digits (card) or `T` + 8
/// digits (booklet).
pub(crate) fn taiwan_lettered_at(b: &[u8], i: usize) -> Option<usize> {
    lettered(b, i, b"LT", &[8])
}

/// A 台湾居民来往大陆通行证 (台胞证) number at `i`: 8 digits (card since 2015), 10 digits, or
/// 8 digits plus a bracketed check character such as `12345678(B)` (booklet). Returns the end
/// and whether the bracket form (distinctive enough for a cell value) was used.
pub(crate) fn taiwan_digits_at(b: &[u8], i: usize) -> Option<(usize, bool)> {
    match digit_run(b, i) {
        10 => Some((i + 10, false)),
        8 => {
            let j = i + 8;
            let bracket = b.get(j) == Some(&b'(')
                && b.get(j + 1)
                    .is_some_and(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                && b.get(j + 2) == Some(&b')');
            Some(if bracket { (j + 3, true) } else { (j, false) })
        }
        _ => None,
    }
}

/// True when the whole value is a passport number (any of the forms of [`passport_at`]).
pub(crate) fn is_passport(v: &[u8]) -> bool {
    passport_at(v, 0).is_some_and(|(end, _)| end == v.len())
}

/// True when the whole value is a Hong Kong / Macao permit number.
pub(crate) fn is_hk_macau(v: &[u8]) -> bool {
    hk_macau_at(v, 0) == Some(v.len())
}

/// True when the whole value is a lettered or bracketed Taiwan permit number; bare 8- or
/// 10-digit numbers are not accepted as cells (they are any number).
pub(crate) fn is_taiwan(v: &[u8]) -> bool {
    taiwan_lettered_at(v, 0) == Some(v.len()) || taiwan_digits_at(v, 0) == Some((v.len(), true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passports() {
        for ok in [
            "E12345678",
            "EA1234567",
            "G12345678",
            "D1234567",
            "S12345678",
            "P1234567",
        ] {
            assert!(is_passport(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "E1234567",
            "EI1234567",
            "e12345678",
            "G123456789",
            "A12345678",
            "EA12345678",
            "P00000001",
            "D12345678",
        ] {
            assert!(!is_passport(bad.as_bytes()), "{bad}");
        }
        assert_eq!(passport_at(b"E12345678", 0), Some((9, true)));
        assert_eq!(passport_at(b"D1234567", 0), Some((8, false)));
    }

    #[test]
    fn permits() {
        for ok in ["C12345678", "CA1234567", "H12345678", "M1234567890"] {
            assert!(is_hk_macau(ok.as_bytes()), "{ok}");
        }
        for bad in ["C1234567", "CO1234567", "W12345678", "H123456789"] {
            assert!(!is_hk_macau(bad.as_bytes()), "{bad}");
        }
        for ok in ["L12345678", "T12345678", "12345678(B)"] {
            assert!(is_taiwan(ok.as_bytes()), "{ok}");
        }
        for bad in ["12345678", "1234567890", "L1234567", "12345678(b)"] {
            assert!(!is_taiwan(bad.as_bytes()), "{bad}");
        }
    }
}
