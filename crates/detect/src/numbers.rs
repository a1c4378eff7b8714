//! Phone numbers and payment cards: digit strings with structure, written with optional
//! separators. Each `*_at` matcher reads one form starting at a byte offset and returns its end;
//! whole values are "the matcher consumes everything", so text and cells share one definition.

use crate::dates::Ymd;
use crate::util::digit_run;
use crate::{checks, facts, ids};

/// 11 digits with an allocated prefix, contiguous or grouped 3-4-4 by one space or dash kind.
fn mobile_core(b: &[u8], j: usize) -> Option<usize> {
    let (digits_ok, end) = match digit_run(b, j) {
        11 => (true, j + 11),
        3 => {
            let sep = *b.get(j + 3)?;
            let grouped = matches!(sep, b' ' | b'-')
                && digit_run(b, j + 4) == 4
                && b.get(j + 8) == Some(&sep)
                && digit_run(b, j + 9) == 4;
            (grouped, j + 13)
        }
        _ => (false, 0),
    };
    if !digits_ok || b[j] != b'1' {
        return None;
    }
    let prefix = checks::digits_value(&b[j..j + 3])?;
    facts::is_mobile_prefix(prefix as u16).then_some(end)
}

/// A mainland mobile number at `i`, optionally behind `+86`, `0086` or `86` and a space or dash.
pub(crate) fn mobile_at(b: &[u8], i: usize) -> Option<usize> {
    let rest = &b[i..];
    for cc in [&b"+86"[..], b"0086", b"86"] {
        if rest.starts_with(cc) {
            let mut j = i + cc.len();
            if matches!(b.get(j), Some(b' ' | b'-')) {
                j += 1;
            }
            if let Some(end) = mobile_core(b, j) {
                return Some(end);
            }
        }
    }
    mobile_core(b, i)
}

/// Length of a valid area code at the start of `d` (010, 02x, or 0 + [3-9] + two digits).
fn area_code_len(d: &[u8]) -> Option<usize> {
    match d {
        [b'0', b'1', b'0', ..] | [b'0', b'2', _, ..] => Some(3),
        [b'0', b'3'..=b'9', _, _, ..] => Some(4),
        _ => None,
    }
}

/// A local number of 7-8 digits at `j` (8 for three-digit areas), not starting with 0 or 1
/// (those begin trunk and service codes); returns its end.
fn local_number(b: &[u8], j: usize, area_len: usize) -> Option<usize> {
    let n = digit_run(b, j);
    let ok = if area_len == 3 {
        n == 8
    } else {
        n == 7 || n == 8
    };
    (ok && matches!(b[j], b'2'..=b'9')).then_some(j + n)
}

/// Extends a landline over an extension written `-123` or `转123`.
fn extension(b: &[u8], end: usize) -> usize {
    const ZHUAN: &[u8] = "转".as_bytes();
    let tail = &b[end..];
    let (skip, max) = if tail.first() == Some(&b'-') {
        (1, 5)
    } else if tail.starts_with(ZHUAN) {
        (ZHUAN.len(), 6)
    } else {
        return end;
    };
    let n = digit_run(b, end + skip);
    if (1..=max).contains(&n) {
        end + skip + n
    } else {
        end
    }
}

/// A fixed-line number with its area code at `i`: `0571-87654321`, `0571 87654321`,
/// `(0571)87654321` (ASCII or full-width parentheses), or contiguous `057187654321`.
/// A bare local number is never accepted: any 7-8 digit count or amount would match.
pub(crate) fn landline_at(b: &[u8], i: usize) -> Option<usize> {
    const OPEN: &[u8] = "（".as_bytes();
    const CLOSE: &[u8] = "）".as_bytes();
    let rest = &b[i..];
    let open = if rest.first() == Some(&b'(') {
        1
    } else if rest.starts_with(OPEN) {
        OPEN.len()
    } else {
        0
    };
    let a = i + open;
    let run = digit_run(b, a);
    let area = area_code_len(&b[a..a + run])?;
    let local_start = if open > 0 {
        if run != area {
            return None;
        }
        let after = &b[a + run..];
        let close = if after.first() == Some(&b')') {
            1
        } else if after.starts_with(CLOSE) {
            CLOSE.len()
        } else {
            return None;
        };
        let j = a + run + close;
        if matches!(b.get(j), Some(b' ' | b'-')) {
            j + 1
        } else {
            j
        }
    } else if run == area {
        match b.get(a + run) {
            Some(b' ' | b'-') => a + run + 1,
            _ => return None,
        }
    } else {
        a + area
    };
    let end = local_number(b, local_start, area)?;
    Some(extension(b, end))
}

/// True for plausible issuer prefixes: Amex 34/37 (15 digits), JCB 35, and 4 (Visa), 5
/// (Mastercard, Maestro, domestic debit) and 6 (UnionPay 62, Discover 60/64/65) at 16-19
/// digits. Cards starting with other digits (old 9558 passbook cards, fleet cards) are left out
/// so that arbitrary Luhn-valid numbers (1 in 10 of all numbers) are not called cards.
fn plausible_bin(d: &[u8]) -> bool {
    matches!(
        (d[0], d[1], d.len()),
        (b'3', b'4' | b'7', 15) | (b'3', b'5', 16..=19) | (b'4'..=b'6', _, 16..=19)
    )
}

/// True when `digits` (ASCII digits only) is a card number: Luhn, issuer prefix, and not a
/// valid resident ID (an ID is 18 digits and passes Luhn one time in ten).
pub(crate) fn is_card_digits(digits: &[u8], today: Ymd) -> bool {
    (15..=19).contains(&digits.len())
        && plausible_bin(digits)
        && checks::luhn_ok(digits)
        && !ids::is_resident_id(digits, today)
}

/// A card number at `i`: 15-19 contiguous digits, or groups of four split by one kind of space
/// or dash (the last group 1-4 digits), or the Amex 4-6-5 grouping.
pub(crate) fn bank_card_at(b: &[u8], i: usize, today: Ymd) -> Option<usize> {
    let first = digit_run(b, i);
    if (15..=19).contains(&first) {
        let d = &b[i..i + first];
        return is_card_digits(d, today).then_some(i + first);
    }
    if first != 4 {
        return None;
    }
    let sep = *b.get(i + 4)?;
    if !matches!(sep, b' ' | b'-') {
        return None;
    }
    let mut buf = [0u8; 19];
    buf[..4].copy_from_slice(&b[i..i + 4]);
    let (mut n, mut j) = (4, i + 4);
    // Amex: 4-6-5.
    if digit_run(b, j + 1) == 6 && b.get(j + 7) == Some(&sep) && digit_run(b, j + 8) == 5 {
        buf[4..10].copy_from_slice(&b[j + 1..j + 7]);
        buf[10..15].copy_from_slice(&b[j + 8..j + 13]);
        return is_card_digits(&buf[..15], today).then_some(j + 13);
    }
    while b.get(j) == Some(&sep) {
        let g = digit_run(b, j + 1);
        if g == 0 || g > 4 || n + g > 19 {
            break;
        }
        buf[n..n + g].copy_from_slice(&b[j + 1..j + 1 + g]);
        n += g;
        j += 1 + g;
        if g < 4 {
            break;
        }
    }
    is_card_digits(&buf[..n], today).then_some(j)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::tests::{TODAY, id18};

    fn whole(f: impl Fn(&[u8], usize) -> Option<usize>, v: &str) -> bool {
        f(v.as_bytes(), 0) == Some(v.len())
    }

    fn card(v: &str) -> bool {
        whole(|b, i| bank_card_at(b, i, TODAY), v)
    }

    #[test]
    fn mobiles() {
        for ok in [
            "13812345678",
            "138-1234-5678",
            "138 1234 5678",
            "+8613812345678",
            "+86 13812345678",
            "0086-13812345678",
            "8613812345678",
            "19912345678",
        ] {
            assert!(whole(mobile_at, ok), "{ok}");
        }
        for bad in [
            "15412345678",
            "12345678901",
            "1381234567",
            "138123456789",
            "138-1234 5678",
            "1381-234-5678",
            "+87 13812345678",
            "23812345678",
        ] {
            assert!(!whole(mobile_at, bad), "{bad}");
        }
    }

    #[test]
    fn landlines() {
        for ok in [
            "0571-87654321",
            "010-62345678",
            "(0571)87654321",
            "（0571）87654321",
            "0571 8765432",
            "057187654321",
            "02162345678",
            "0571-87654321-8001",
            "0571-87654321转123",
        ] {
            assert!(whole(landline_at, ok), "{ok}");
        }
        for bad in [
            "87654321",
            "010-1234567",
            "0571-07654321",
            "0171-87654321",
            "00571-87654321",
            "0571-876543210",
            "(0571-87654321",
            "1571-87654321",
        ] {
            assert!(!whole(landline_at, bad), "{bad}");
        }
    }

    #[test]
    fn cards() {
        for ok in [
            "4111111111111111",
            "6222021234567890128",
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "378282246310005",
            "3782 822463 10005",
            "6222 0212 3456 7890 128",
        ] {
            assert!(card(ok), "{ok}");
        }
        for bad in [
            "4111111111111112",
            "4111 1111-1111 1111",
            "411111111111111",
            // Luhn-valid, 19 digits, but no card network starts with 9 or 1.
            "9558801234567890128",
            "1234567890123456785",
        ] {
            assert!(!card(bad), "{bad}");
        }
        assert!(checks::luhn_ok(b"9558801234567890128"));
        assert!(checks::luhn_ok(b"1234567890123456785"));
    }

    #[test]
    fn a_valid_id_is_never_a_card() {
        // Find a valid ID that is also Luhn-valid and starts like a card (4..6 prefixes exist: 41-65).
        let mut found = 0;
        for seq in 100..400 {
            let id = id18(&format!("41010219900101{seq}"));
            if checks::luhn_ok(id.as_bytes()) && !id.ends_with('X') {
                found += 1;
                assert!(!card(&id), "{id}");
                assert!(ids::is_resident_id(id.as_bytes(), TODAY));
            }
        }
        assert!(found > 0);
    }
}
