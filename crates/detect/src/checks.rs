//! Check-digit algorithms of the Chinese identifier standards.
//!
//! These are the validation half of every recognizer and the construction half of the generator,
//! so they live in one place and are tested against published examples.

/// Weights of GB 11643-1999 (ISO 7064 MOD 11-2) for the first 17 digits of a resident ID.
const RESIDENT_ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const RESIDENT_ID_CHECK: &[u8; 11] = b"10X98765432";

/// The GB 11643 check character for the first 17 digits of a resident ID, or `None` if they are not digits.
pub fn resident_id_check_char(first17: &[u8]) -> Option<u8> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (b, w) in first17.iter().zip(RESIDENT_ID_WEIGHTS) {
        if !b.is_ascii_digit() {
            return None;
        }
        sum += u32::from(b - b'0') * w;
    }
    Some(RESIDENT_ID_CHECK[(sum % 11) as usize])
}

/// True when an 18-character resident ID carries the right check character (`x` accepted for `X`).
pub fn resident_id_checksum_ok(id: &[u8]) -> bool {
    id.len() == 18
        && resident_id_check_char(&id[..17]).is_some_and(|c| c == id[17].to_ascii_uppercase())
}

/// The Luhn check digit that completes `payload` (all ASCII digits), or `None`.
pub fn luhn_check_digit(payload: &[u8]) -> Option<u8> {
    let mut sum = 0u32;
    // Doubling starts at the rightmost payload digit, because the check digit will sit to its right.
    for (i, b) in payload.iter().rev().enumerate() {
        if !b.is_ascii_digit() {
            return None;
        }
        let mut d = u32::from(b - b'0');
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    Some(b'0' + ((10 - sum % 10) % 10) as u8)
}

/// True when a digit string passes the Luhn check.
pub fn luhn_ok(digits: &[u8]) -> bool {
    match digits.split_last() {
        Some((&last, payload)) if !payload.is_empty() => luhn_check_digit(payload) == Some(last),
        _ => false,
    }
}

/// The 31 characters of a unified social credit code (GB 32100-2015): digits and capitals without I, O, Z, S, V.
pub const USCC_CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn uscc_value(c: u8) -> Option<u32> {
    USCC_CHARSET.iter().position(|&x| x == c).map(|p| p as u32)
}

/// The GB 32100 check character for the first 17 characters of a unified social credit code.
pub fn uscc_check_char(first17: &[u8]) -> Option<u8> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (&c, w) in first17.iter().zip(USCC_WEIGHTS) {
        sum += uscc_value(c)? * w;
    }
    Some(USCC_CHARSET[((31 - sum % 31) % 31) as usize])
}

/// True when an 18-character unified social credit code carries the right check character.
pub fn uscc_checksum_ok(code: &[u8]) -> bool {
    code.len() == 18 && uscc_check_char(&code[..17]).is_some_and(|c| c == code[17])
}

/// True for a real calendar date (proleptic Gregorian).
pub fn is_valid_date(year: u32, month: u32, day: u32) -> bool {
    if !(1..=12).contains(&month) || day == 0 {
        return false;
    }
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    day <= days
}

/// Parses `n` ASCII digits as a number; `None` if any is not a digit.
pub fn digits_value(s: &[u8]) -> Option<u32> {
    s.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_id_published_example_validates() {
        // The example of GB 11643-1999's annex.
        assert!(resident_id_checksum_ok(b"11010519491231002X"));
        assert!(resident_id_checksum_ok(b"11010519491231002x"));
        assert!(!resident_id_checksum_ok(b"110105194912310021"));
        assert_eq!(resident_id_check_char(b"44052419800101001"), Some(b'3'));
    }

    #[test]
    fn luhn_known_card_numbers() {
        assert!(luhn_ok(b"4111111111111111"));
        assert!(!luhn_ok(b"4111111111111112"));
        assert_eq!(luhn_check_digit(b"7992739871"), Some(b'3'));
    }

    #[test]
    fn uscc_published_example_validates() {
        // The example code printed in many GB 32100 guides.
        assert!(uscc_checksum_ok(b"91350100M000100Y43"));
        assert!(!uscc_checksum_ok(b"91350100M000100Y44"));
        assert!(!uscc_checksum_ok(b"91350100M000100Y4I"));
    }

    #[test]
    fn dates_follow_the_calendar() {
        assert!(is_valid_date(2000, 2, 29));
        assert!(!is_valid_date(1900, 2, 29));
        assert!(!is_valid_date(2023, 4, 31));
        assert!(!is_valid_date(2023, 13, 1));
    }
}
