//! Mainland vehicle licence plates (GA 36).

use crate::facts;

/// Separators people write between the issuing-office letter and the serial.
const SEPARATORS: [char; 5] = ['·', '•', '-', ' ', '．'];

/// Characters that end special-use plates in place of the last serial character
/// (learner, police, trailer, Hong Kong / Macao cross-border, consulate, test, over-size).
pub(crate) const SPECIAL_TAILS: [char; 8] = ['学', '警', '挂', '港', '澳', '领', '试', '超'];

fn is_serial_char(c: u8) -> bool {
    c.is_ascii_digit() || (c.is_ascii_uppercase() && c != b'I' && c != b'O')
}

/// A plate starting at byte `i` of `s`; returns its end. Forms, with an optional separator
/// after the office letter:
/// - ordinary: 5 serial characters with at least 3 digits (`浙A12345`, personalised `浙AB1C23`;
///   issued serials never carry more than two letters);
/// - special-use: 4 serial characters and a tail from [`SPECIAL_TAILS`] (`浙A1234学`);
/// - new-energy (8 characters): `D`/`F` then a serial character and 4 digits (small cars,
///   `浙AD12345`), or 5 digits then `D`/`F` (large vehicles, `浙A12345D`).
pub(crate) fn plate_at(s: &str, i: usize) -> Option<usize> {
    let mut chars = s.get(i..)?.char_indices();
    let (_, prov) = chars.next()?;
    if !facts::PLATE_PROVINCES.contains(prov) {
        return None;
    }
    let (_, office) = chars.next()?;
    if !office.is_ascii_uppercase() || !facts::PLATE_LETTERS.contains(office) {
        return None;
    }
    let mut j = i + prov.len_utf8() + 1;
    let b = s.as_bytes();
    if let Some(sep) = s[j..].chars().next().filter(|c| SEPARATORS.contains(c)) {
        j += sep.len_utf8();
    }
    let n = b[j..]
        .iter()
        .take(7)
        .take_while(|&&c| is_serial_char(c))
        .count();
    let serial = &b[j..j + n];
    let digits = |x: &[u8]| x.iter().filter(|c| c.is_ascii_digit()).count();
    let all_digits = |x: &[u8]| x.iter().all(u8::is_ascii_digit);
    match n {
        6 => {
            let small = matches!(serial[0], b'D' | b'F') && all_digits(&serial[2..]);
            let large = all_digits(&serial[..5]) && matches!(serial[5], b'D' | b'F');
            (small || large).then_some(j + 6)
        }
        5 => (digits(serial) >= 3).then_some(j + 5),
        4 => {
            let tail = s[j + 4..]
                .chars()
                .next()
                .filter(|c| SPECIAL_TAILS.contains(c))?;
            (digits(serial) >= 3).then_some(j + 4 + tail.len_utf8())
        }
        _ => None,
    }
}

/// True when the whole value is a licence plate.
pub(crate) fn is_plate(v: &str) -> bool {
    plate_at(v, 0) == Some(v.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plates() {
        for ok in [
            "浙A12345",
            "浙A·12345",
            "京B-1C234",
            "沪AB1C23",
            "浙A 12345",
            "浙AD12345",
            "浙AF12341",
            "粤B12345D",
            "浙A1234学",
            "粤Z1234港",
        ] {
            assert!(is_plate(ok), "{ok}");
        }
        for bad in [
            "浙I12345",
            "浙a12345",
            "浙A1234",
            "浙A123456",
            "浙ABCD12",
            "美A12345",
            "浙A12O45",
            "浙A12345学",
            "浙AB123456",
            "浙A123X5D",
        ] {
            assert!(!is_plate(bad), "{bad}");
        }
    }
}
