//! Redaction mode's identifier shapes: what an identifier looks like when its check fails.
//!
//! Real records carry typos (a wrong check digit, a mobile with an unallocated prefix, a plate
//! written with a letter the standard does not issue, a card number one digit off). In
//! classification they are not the type; in redaction they must still be redacted, because they
//! still point at a person. These matchers read only the shape and run after the strict pass, on
//! what it left unclaimed; their spans carry `checked: false`.

use crate::PiiType;
use crate::facts;
use crate::util::ends_token;

/// Separators people put inside long numbers (`138 1234 5678`, `3301-0619-9001-0112-34`).
fn is_group_sep(c: u8) -> bool {
    matches!(c, b' ' | b'-')
}

/// A run of digit groups at `i`, split by single spaces or dashes, with an optional final `X`
/// (resident IDs). Returns the end and the digit count (the `X` counted as a digit).
fn digit_groups(b: &[u8], i: usize, max_digits: usize) -> (usize, usize) {
    let mut j = i;
    let mut n = 0;
    loop {
        let g = b[j..].iter().take_while(|c| c.is_ascii_digit()).count();
        if g == 0 || n + g > max_digits {
            break;
        }
        n += g;
        j += g;
        if matches!(b.get(j), Some(b'X' | b'x')) && (n == 17 || n == 14) {
            return (j + 1, n + 1);
        }
        match (b.get(j), b.get(j + 1)) {
            (Some(&s), Some(d)) if is_group_sep(s) && d.is_ascii_digit() => j += 1,
            _ => break,
        }
    }
    (j, n)
}

/// The identifier type a bare number of `n` digits (first digit `first`) is shaped like.
fn number_kind(n: usize, first: u8, x_tail: bool) -> Option<PiiType> {
    match (n, first) {
        (18 | 15, _) if x_tail => Some(PiiType::CnResidentId),
        (18, b'1'..=b'8') => Some(PiiType::CnResidentId),
        (15, b'1'..=b'8') => Some(PiiType::CnResidentId),
        (15..=19, _) => Some(PiiType::BankCard),
        (11, b'1') => Some(PiiType::CnMobile),
        (10..=12, b'0') => Some(PiiType::CnLandline),
        _ => None,
    }
}

/// An identifier-shaped token at ASCII byte `i` (a token start): long digit runs, letter +
/// digits document numbers, and 18-character codes. Returns the end and the type.
pub(crate) fn token_at(b: &[u8], i: usize) -> Option<(usize, PiiType)> {
    let c = b[i];
    let word = b[i..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    let w = &b[i..i + word];
    let digits = w.iter().filter(|c| c.is_ascii_digit()).count();
    // 18-character codes with letters among many digits: a credit code whose check failed.
    if word == 18
        && (10..17).contains(&digits)
        && w.iter().all(|c| !c.is_ascii_lowercase())
        && ends_token(b, i + 18)
    {
        return Some((i + 18, PiiType::CnUscc));
    }
    if c.is_ascii_digit() {
        // Whole groups first (a number written in groups), then the first group alone.
        let (end, n) = digit_groups(b, i, 19);
        let x_tail = matches!(b[end - 1], b'X' | b'x');
        if ends_token(b, end)
            && let Some(k) = number_kind(n, c, x_tail)
        {
            return Some((end, k));
        }
        let g = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        let (g_end, x) = if matches!(b.get(i + g), Some(b'X' | b'x')) && g == 17 {
            (i + 18, true)
        } else {
            (i + g, false)
        };
        if g_end != end
            && ends_token(b, g_end)
            && let Some(k) = number_kind(g + usize::from(x), c, x)
        {
            return Some((g_end, k));
        }
        return None;
    }
    if !c.is_ascii_alphabetic() {
        return None;
    }
    let end = i + word;
    if !ends_token(b, end) {
        return None;
    }
    let upper = c.to_ascii_uppercase();
    let letters = w.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    // A resident ID behind a letter prefix (学籍号 G + ID, the national student number).
    if (1..=2).contains(&letters) && word == letters + 18 {
        let id = &w[letters..];
        if id[..17].iter().all(u8::is_ascii_digit) && matches!(id[17], b'0'..=b'9' | b'X' | b'x') {
            return Some((end, PiiType::CnResidentId));
        }
    }
    // One or two letters and 7-10 digits: passports and permits (no check digit to fail, but
    // the prefix letters the strict pass insists on are typed wrongly or in lower case).
    if (1..=2).contains(&letters)
        && (7..=10).contains(&(word - letters))
        && digits == word - letters
    {
        let kind = match upper {
            b'C' | b'H' | b'M' | b'W' => PiiType::CnHkMacauPermit,
            b'L' | b'T' => PiiType::CnTaiwanPermit,
            _ => PiiType::Passport,
        };
        return Some((end, kind));
    }
    None
}

/// A document number of mixed letters and digits right after a keyword that names the
/// document (护照号 C4K7X2R91): 6-12 letters and digits with at least three digits.
pub(crate) fn keyed_document_at(b: &[u8], i: usize) -> Option<usize> {
    let word = b[i..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    let digits = b[i..i + word].iter().filter(|c| c.is_ascii_digit()).count();
    ((6..=12).contains(&word) && digits >= 3 && ends_token(b, i + word)).then_some(i + word)
}

/// Separators between a plate's office letter and its serial.
const PLATE_SEPS: [char; 7] = ['·', '•', '-', ' ', '．', '.', '・'];

/// A plate-shaped span at byte `i` (a province character): the province, any ASCII letter, an
/// optional separator, then 5-6 letters and digits with at least three digits (or 4 and a
/// special-use tail). Letters the standard does not issue (I, O) and lower case are accepted.
pub(crate) fn plate_at(s: &str, i: usize) -> Option<usize> {
    let mut it = s.get(i..)?.chars();
    let prov = it.next()?;
    if !facts::PLATE_PROVINCES.contains(prov) {
        return None;
    }
    let office = it.next()?;
    if !office.is_ascii_alphabetic() {
        return None;
    }
    let mut j = i + prov.len_utf8() + 1;
    if let Some(sep) = s[j..].chars().next().filter(|c| PLATE_SEPS.contains(c)) {
        j += sep.len_utf8();
    }
    let b = s.as_bytes();
    let n = b[j..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    let digits = b[j..j + n].iter().filter(|c| c.is_ascii_digit()).count();
    match n {
        5 | 6 if digits >= 3 => Some(j + n),
        4 if digits >= 3 => {
            let tail = s[j + 4..].chars().next()?;
            crate::plate::SPECIAL_TAILS
                .contains(&tail)
                .then(|| j + 4 + tail.len_utf8())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(s: &str) -> Option<(&str, PiiType)> {
        token_at(s.as_bytes(), 0).map(|(e, k)| (&s[..e], k))
    }

    #[test]
    fn identifier_shapes_that_fail_their_checks() {
        assert_eq!(
            tok("330106199001011235"),
            Some(("330106199001011235", PiiType::CnResidentId))
        );
        assert_eq!(
            tok("33010619900101123x"),
            Some(("33010619900101123x", PiiType::CnResidentId))
        );
        assert_eq!(tok("15412345678"), Some(("15412345678", PiiType::CnMobile)));
        assert_eq!(
            tok("154 1234 5678"),
            Some(("154 1234 5678", PiiType::CnMobile))
        );
        assert_eq!(
            tok("6222021234567890123"),
            Some(("6222021234567890123", PiiType::BankCard))
        );
        assert_eq!(
            tok("3301 0619 9001 0112 35"),
            Some(("3301 0619 9001 0112 35", PiiType::CnResidentId))
        );
        assert_eq!(tok("e1234567"), Some(("e1234567", PiiType::Passport)));
        assert_eq!(
            tok("91330106MA2AXXXXX1"),
            Some(("91330106MA2AXXXXX1", PiiType::CnUscc))
        );
        assert_eq!(tok("20231128"), None);
        assert_eq!(tok("1234567"), None);
        assert_eq!(tok("ABC"), None);
    }

    #[test]
    fn two_numbers_side_by_side_are_two_numbers() {
        // 22 digits as groups are nothing; the first group alone is a mobile.
        assert_eq!(
            tok("15412345678 15412345679"),
            Some(("15412345678", PiiType::CnMobile))
        );
    }

    #[test]
    fn plates_with_unissued_letters() {
        let s = "吉I-19182号";
        assert_eq!(plate_at(s, 0).map(|e| &s[..e]), Some("吉I-19182"));
        let s = "浙a12345";
        assert_eq!(plate_at(s, 0).map(|e| &s[..e]), Some("浙a12345"));
        assert_eq!(plate_at("浙A12", 0), None);
        assert_eq!(plate_at("浙ABCDE", 0), None);
    }
}
