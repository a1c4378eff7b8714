//! Resident ID numbers (GB 11643) and unified social credit codes (GB 32100).

use crate::checks;
use crate::dates::Ymd;
use crate::facts;

/// What a valid resident ID number encodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResidentIdInfo {
    /// The 6-digit region code of the issuing county (may be retired since).
    pub region_code: u32,
    /// Whether `region_code` is in the supplied region table; `None` when no table was given.
    pub region_current: Option<bool>,
    /// Birth date as (year, month, day).
    pub birth: (u32, u32, u32),
    /// The sequence number is even for women.
    pub female: bool,
    /// A 15-digit first-generation ID (two-digit year of the 1900s, no check digit).
    pub legacy_15: bool,
}

/// Parses an 18-character (check digit verified) or 15-digit ID; `region_current` is left `None`.
///
/// The region must only carry a known 2-digit province prefix: IDs keep the code of the county
/// that issued them, and many of those codes have been retired since.
pub(crate) fn parse_resident_id(v: &[u8], today: Ymd) -> Option<ResidentIdInfo> {
    let (region, birth, seq, legacy) = match v.len() {
        18 => {
            if !checks::resident_id_checksum_ok(v) {
                return None;
            }
            let y = checks::digits_value(&v[6..10])?;
            (&v[..6], (y, &v[10..14]), &v[14..17], false)
        }
        15 => {
            if !v.iter().all(u8::is_ascii_digit) {
                return None;
            }
            // First-generation IDs were issued 1984-2004 to people born in the 1900s.
            let y = 1900 + checks::digits_value(&v[6..8])?;
            (&v[..6], (y, &v[8..12]), &v[12..15], true)
        }
        _ => return None,
    };
    let region_code = checks::digits_value(region)?;
    if !facts::is_province_code(region_code / 10_000) {
        return None;
    }
    let (year, md) = birth;
    let month = checks::digits_value(&md[..2])?;
    let day = checks::digits_value(&md[2..])?;
    if year < 1900 || !checks::is_valid_date(year, month, day) || (year, month, day) > today {
        return None;
    }
    let seq = checks::digits_value(seq)?;
    Some(ResidentIdInfo {
        region_code,
        region_current: None,
        birth: (year, month, day),
        female: seq % 2 == 0,
        legacy_15: legacy,
    })
}

/// True when `v` is a valid 18- or 15-digit resident ID.
pub(crate) fn is_resident_id(v: &[u8], today: Ymd) -> bool {
    parse_resident_id(v, today).is_some()
}

/// First characters of a USCC: the registering authority (1 机构编制, 5 民政, 9 工商, Y 其他, and the
/// sector authorities 2-4, 6-8, A, N).
const USCC_DEPARTMENTS: &[u8] = b"123456789ANY";

/// True when `v` is an 18-character unified social credit code with a valid check character,
/// a known registering authority, a non-zero category digit and a 6-digit region code whose
/// province prefix exists.
pub(crate) fn is_uscc(v: &[u8]) -> bool {
    v.len() == 18
        && USCC_DEPARTMENTS.contains(&v[0])
        && matches!(v[1], b'1'..=b'9')
        && checks::digits_value(&v[2..8]).is_some_and(|r| facts::is_province_code(r / 10_000))
        && checks::uscc_checksum_ok(v)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const TODAY: Ymd = (2026, 1, 1);

    /// Completes 17 digits with their check character.
    pub(crate) fn id18(first17: &str) -> String {
        let c = checks::resident_id_check_char(first17.as_bytes()).expect("17 digits");
        format!("{first17}{}", c as char)
    }

    #[test]
    fn valid_ids_parse() {
        let id = id18("33010619900101123");
        let info = parse_resident_id(id.as_bytes(), TODAY).expect("valid");
        assert_eq!(info.region_code, 330106);
        assert_eq!(info.birth, (1990, 1, 1));
        assert!(!info.female);
        assert!(is_resident_id(b"11010519491231002X", TODAY));
        assert!(is_resident_id(b"11010519491231002x", TODAY));
        let old = parse_resident_id(b"330106900101124", TODAY).expect("legacy");
        assert!(old.legacy_15 && old.female && old.birth == (1990, 1, 1));
    }

    #[test]
    fn wrong_check_digit_and_bad_dates_are_rejected() {
        let id = id18("33010619900101123");
        let mut bad = id.clone().into_bytes();
        bad[17] = if bad[17] == b'0' { b'1' } else { b'0' };
        assert!(!is_resident_id(&bad, TODAY));
        // An order number: right length, impossible date (month 13).
        assert!(!is_resident_id(id18("33010619901301123").as_bytes(), TODAY));
        // Born in the future.
        assert!(!is_resident_id(id18("33010620300101123").as_bytes(), TODAY));
        // Unknown province prefix 99 and 00.
        assert!(!is_resident_id(id18("99010619900101123").as_bytes(), TODAY));
        assert!(!is_resident_id(id18("00010619900101123").as_bytes(), TODAY));
        // 15 digits with a bad date, and wrong lengths.
        assert!(!is_resident_id(b"330106901301124", TODAY));
        assert!(!is_resident_id(b"3301061990010112", TODAY));
        assert!(!is_resident_id(b"20240512083011234X", TODAY));
    }

    #[test]
    fn uscc_structure_is_checked() {
        assert!(is_uscc(b"91350100M000100Y43"));
        assert!(!is_uscc(b"91350100M000100Y44"));
        // Same body with an unknown department 'Z' is not valid even before the checksum.
        assert!(!is_uscc(b"Z1350100M000100Y43"));
        let body = b"91330106MA2B3C4D5";
        let check = checks::uscc_check_char(body).expect("charset");
        let mut code = body.to_vec();
        code.push(check);
        assert!(is_uscc(&code));
        code[3] = b'X';
        assert!(!is_uscc(&code));
    }
}
