//! Free-text scanning: one byte pass for ASCII tokens (numbers, codes, plates), one search for
//! `@`, and automaton passes for the CJK types; then overlaps are resolved and byte offsets
//! turned into character offsets.

use crate::admin::{AdminHit, names};
use crate::dates::{Ymd, date_at};
use crate::util::{digit_run, ends_token, is_word, starts_token};
use crate::{
    DetectMode, PiiType, Span, address, ids, loose, name, numbers, org, plate, small, travel, web,
};
use std::cell::RefCell;

/// Keywords that must precede a bare 8/10-digit Taiwan permit number.
const TAIWAN_KEYWORDS: &[&str] = &[
    "台胞证",
    "台湾居民来往大陆通行证",
    "台湾通行证",
    "来往大陆通行证",
    "台湾居民",
];
/// Keywords that must precede D/S/P passport numbers.
const PASSPORT_KEYWORDS: &[&str] = &["护照", "passport", "Passport", "PASSPORT"];
/// Keywords that must precede a postal code.
const POSTAL_KEYWORDS: &[&str] = &["邮编", "邮政编码"];
/// Keywords that make a date a birth date; other dates in remarks (visits, events) are not PII.
const BIRTH_KEYWORDS: &[&str] = &[
    "出生", "生日", "生于", "诞生", "DOB", "dob", "birth", "Birth",
];

/// True when a word that makes a date a birth date follows it (1990年1月2日出生, 1987-12-05生).
fn birth_word_after(text: &str, end: usize) -> bool {
    let rest = text[end..].trim_start_matches([')', '）', ' ']);
    ["出生", "生人", "生，", "生,", "生。", "生）", "诞生"]
        .iter()
        .any(|w| rest.starts_with(w))
        || rest == "生"
}

/// A candidate span in byte offsets.
#[derive(Debug, Clone, Copy)]
struct Cand {
    start: usize,
    end: usize,
    kind: PiiType,
    checked: bool,
}

impl Cand {
    fn new(start: usize, end: usize, kind: PiiType) -> Cand {
        Cand {
            start,
            end,
            kind,
            checked: true,
        }
    }
}

#[derive(Default)]
struct Scratch {
    cands: Vec<Cand>,
    admin: Vec<AdminHit>,
    cluster: Vec<Cand>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Builds the lazily-initialized tables of every pass.
pub(crate) fn warm_up() {
    let mut v = Vec::new();
    find_spans_into(
        (2000, 1, 1),
        DetectMode::Redaction,
        "患者张伟在杭州某某有限公司",
        &mut v,
    );
}

/// Overlap priority: lower wins; ties go to the longer span.
fn priority(k: PiiType) -> u8 {
    match k {
        PiiType::Email => 0,
        PiiType::CnResidentId => 1,
        PiiType::CnUscc => 2,
        PiiType::BankCard => 3,
        PiiType::CnMobile => 4,
        PiiType::CnLandline => 5,
        PiiType::Passport | PiiType::CnHkMacauPermit | PiiType::CnTaiwanPermit => 6,
        PiiType::IpAddress | PiiType::CnLicensePlate => 7,
        PiiType::PostalCode | PiiType::DateOfBirth => 8,
        PiiType::Address | PiiType::OrganizationName => 9,
        PiiType::PersonName => 10,
        PiiType::Gender | PiiType::GeoCoordinate => 11,
    }
}

/// True when one of `keywords` occurs in the `max_chars` characters before byte `pos`.
fn keyword_before(text: &str, pos: usize, keywords: &[&str], max_chars: usize) -> bool {
    let mut s = pos.saturating_sub(max_chars * 3);
    while !text.is_char_boundary(s) {
        s += 1;
    }
    let window = &text[s..pos];
    keywords.iter().any(|k| window.contains(k))
}

/// The token starting at ASCII byte `i`, if any.
fn token_at(text: &str, i: usize, today: Ymd) -> Option<(usize, usize, PiiType)> {
    token_end(text, i, today)
        .map(|(end, kind)| (i, end, kind))
        .or_else(|| {
            // A plate begins one CJK character before its first ASCII letter.
            let prov = text[..i].chars().next_back()?;
            let start = i - prov.len_utf8();
            plate::plate_at(text, start)
                .filter(|&e| ends_token(text.as_bytes(), e))
                .map(|e| (start, e, PiiType::CnLicensePlate))
        })
}

/// The end and kind of the token starting at ASCII byte `i`, for tokens that start there.
fn token_end(text: &str, i: usize, today: Ymd) -> Option<(usize, PiiType)> {
    let b = text.as_bytes();
    let ok = |end: usize| ends_token(b, end);
    let c = b[i];
    let word = b[i..].iter().take_while(|&&c| is_word(c)).count();
    if word == 18 && ids::is_uscc(&b[i..i + 18]) && !ids::is_resident_id(&b[i..i + 18], today) {
        return ok(i + 18).then_some((i + 18, PiiType::CnUscc));
    }
    if c.is_ascii_digit() {
        let run = digit_run(b, i);
        let id_len = match run {
            18 | 15 => run,
            17 if matches!(b.get(i + 17), Some(b'X' | b'x')) => 18,
            _ => 0,
        };
        if id_len > 0 && ok(i + id_len) && ids::is_resident_id(&b[i..i + id_len], today) {
            return Some((i + id_len, PiiType::CnResidentId));
        }
        if let Some(e) = numbers::bank_card_at(b, i, today).filter(|&e| ok(e)) {
            return Some((e, PiiType::BankCard));
        }
        if let Some(e) = numbers::mobile_at(b, i).filter(|&e| ok(e)) {
            return Some((e, PiiType::CnMobile));
        }
        if let Some(e) = numbers::landline_at(b, i).filter(|&e| ok(e)) {
            return Some((e, PiiType::CnLandline));
        }
        if let Some(e) = web::ipv4_at(b, i).filter(|&e| ok(e)) {
            return Some((e, PiiType::IpAddress));
        }
        if run == 6
            && ok(i + 6)
            && small::is_postal_code(&b[i..i + 6])
            && keyword_before(text, i, POSTAL_KEYWORDS, 6)
        {
            return Some((i + 6, PiiType::PostalCode));
        }
        if let Some((e, _)) = travel::taiwan_digits_at(b, i).filter(|&(e, _)| ok(e))
            && keyword_before(text, i, TAIWAN_KEYWORDS, 12)
        {
            return Some((e, PiiType::CnTaiwanPermit));
        }
        if let Some((e, _)) = date_at(b, i, today).filter(|&(e, _)| ok(e))
            && (keyword_before(text, i, BIRTH_KEYWORDS, 8) || birth_word_after(text, e))
        {
            return Some((e, PiiType::DateOfBirth));
        }
    } else if c == b'+' {
        return numbers::mobile_at(b, i)
            .filter(|&e| ok(e))
            .map(|e| (e, PiiType::CnMobile));
    } else if c == b'(' {
        return numbers::landline_at(b, i)
            .filter(|&e| ok(e))
            .map(|e| (e, PiiType::CnLandline));
    } else if c.is_ascii_uppercase() {
        if let Some((e, strict)) = travel::passport_at(b, i).filter(|&(e, _)| ok(e))
            && (strict || keyword_before(text, i, PASSPORT_KEYWORDS, 6))
        {
            return Some((e, PiiType::Passport));
        }
        if let Some(e) = travel::hk_macau_at(b, i).filter(|&e| ok(e)) {
            return Some((e, PiiType::CnHkMacauPermit));
        }
        if let Some(e) = travel::taiwan_lettered_at(b, i).filter(|&e| ok(e)) {
            return Some((e, PiiType::CnTaiwanPermit));
        }
    }
    if c.is_ascii_hexdigit() && b.get(i + word) == Some(&b':') {
        return web::ipv6_at(text, i)
            .filter(|&e| ok(e))
            .map(|e| (e, PiiType::IpAddress));
    }
    None
}

/// Length of the UTF-8 character whose lead byte is `lead`.
fn utf8_len(lead: u8) -> usize {
    match lead {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

/// Collects ASCII-token candidates (everything with a digit or a code letter).
fn scan_tokens(text: &str, today: Ymd, out: &mut Vec<Cand>) {
    const FULL_OPEN: &[u8] = "（".as_bytes();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c >= 0x80 {
            // Only a full-width parenthesis (EF BC 88) can start a token among non-ASCII bytes.
            if c == 0xEF
                && b[i..].starts_with(FULL_OPEN)
                && let Some(e) = numbers::landline_at(b, i).filter(|&e| ends_token(b, e))
            {
                out.push(Cand::new(i, e, PiiType::CnLandline));
                i = e;
                continue;
            }
            // Step over the whole character: `i` stays on a lead byte (text is valid UTF-8).
            i += utf8_len(c);
            continue;
        }
        if (c.is_ascii_alphanumeric() || c == b'+' || c == b'(')
            && starts_token(b, i)
            && let Some((start, end, kind)) = token_at(text, i, today)
        {
            out.push(Cand::new(start, end, kind));
            i = end;
            continue;
        }
        i += 1;
        while i < b.len() && is_word(b[i]) && is_word(b[i - 1]) {
            i += 1;
        }
    }
}

/// Redaction mode's second pass: identifier shapes the strict pass left unclaimed, as
/// unchecked candidates (see [`loose`]).
fn scan_loose(text: &str, cands: &mut Vec<Cand>) {
    let b = text.as_bytes();
    let strict = cands.len();
    let claimed = |cands: &[Cand], s: usize, e: usize| {
        cands[..strict].iter().any(|c| c.start < e && s < c.end)
    };
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c >= 0x80 {
            let ch_len = utf8_len(c);
            // A plate's province is a 3-byte character followed by its office letter.
            if ch_len == 3
                && b.get(i + 3).is_some_and(u8::is_ascii_alphabetic)
                && let Some(e) = loose::plate_at(text, i)
                && ends_token(b, e)
                && !claimed(cands, i, e)
            {
                cands.push(Cand {
                    start: i,
                    end: e,
                    kind: PiiType::CnLicensePlate,
                    checked: false,
                });
                i = e;
                continue;
            }
            i += ch_len;
            continue;
        }
        if c.is_ascii_alphanumeric() && starts_token(b, i) {
            let keyed = || {
                loose::keyed_document_at(b, i)
                    .filter(|_| keyword_before(text, i, PASSPORT_KEYWORDS, 8))
                    .map(|e| (e, PiiType::Passport))
            };
            if let Some((e, kind)) = loose::token_at(b, i).or_else(keyed)
                && !claimed(cands, i, e)
            {
                cands.push(Cand {
                    start: i,
                    end: e,
                    kind,
                    checked: false,
                });
                i = e;
                continue;
            }
            // Skip the rest of this word: a token never starts inside one.
            while i < b.len() && is_word(b[i]) {
                i += 1;
            }
            continue;
        }
        i += 1;
    }
}

/// Fills `out` with the spans of `text` (see [`crate::Detector::find_spans_mode`]).
pub(crate) fn find_spans_into(today: Ymd, mode: DetectMode, text: &str, out: &mut Vec<Span>) {
    out.clear();
    // Full-width digits and letters (１３８, ＡＢ) are ASCII to a reader: in redaction they are
    // read as ASCII. Each maps to one character, so character offsets stay those of `text`.
    let normalized;
    let text = if mode == DetectMode::Redaction && has_full_width(text) {
        normalized = to_half_width(text);
        normalized.as_str()
    } else {
        text
    };
    let fresh = &mut Scratch::default();
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut s) => run(today, mode, text, &mut s, out),
        Err(_) => run(today, mode, text, fresh, out),
    });
}

/// True when `text` holds a full-width digit or letter (or ＠ － ．) or an ideographic space: the
/// forms [`to_half_width`] changes. Full-width punctuation (，：（）) is in nearly every Chinese text
/// and needs no copy, so it is not counted (U+FF0D..U+FF5A are EF BC 8D..EF BD 9A).
fn has_full_width(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(3).any(|w| {
        matches!(
            (w[0], w[1], w[2]),
            (0xEF, 0xBC, 0x8D..=0x8E | 0x90..=0x99 | 0xA0..=0xBA)
                | (0xEF, 0xBD, 0x81..=0x9A)
                | (0xE3, 0x80, 0x80)
        )
    })
}

/// Full-width digits and letters to ASCII, the ideographic space to a space. Full-width
/// punctuation is left alone: the recognizers know its common forms (（ ） ，).
fn to_half_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' | '＠' | '－' | '．' => {
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

fn run(today: Ymd, mode: DetectMode, text: &str, s: &mut Scratch, out: &mut Vec<Span>) {
    s.cands.clear();
    s.admin.clear();
    scan_tokens(text, today, &mut s.cands);
    for (at, _) in text.match_indices('@') {
        if let Some((start, end)) = web::email_around(text.as_bytes(), at) {
            s.cands.push(Cand::new(start, end, PiiType::Email));
        }
    }
    if mode == DetectMode::Redaction {
        scan_loose(text, &mut s.cands);
    }
    if !text.is_ascii() {
        // Division names serve addresses (which need a street marker) and weak organization
        // suffixes; where neither can occur, the search is skipped.
        let street = address::may_hold_address(text);
        if street || org::WEAK_SUFFIXES.iter().any(|w| text.contains(w)) {
            names().find_into(text, &mut s.admin);
        }
        let mut k = 0;
        while k < s.admin.len() {
            match address::address_at(text, &s.admin[k..]) {
                Some((start, end, used)) => {
                    s.cands.push(Cand::new(start, end, PiiType::Address));
                    k += used;
                    while k < s.admin.len() && s.admin[k].start < end {
                        k += 1;
                    }
                }
                None => k += 1,
            }
        }
        if mode == DetectMode::Redaction && (street || text.contains("嘎查")) {
            let cands = &mut s.cands;
            crate::street::scan(text, |start, end| {
                cands.push(Cand::new(start, end, PiiType::Address))
            });
        }
        let cands = &mut s.cands;
        org::scan(text, &s.admin, |start, end| {
            cands.push(Cand::new(start, end, PiiType::OrganizationName))
        });
        name::scan(text, mode, |start, end| {
            cands.push(Cand::new(start, end, PiiType::PersonName))
        });
    }
    resolve(&mut s.cands, &mut s.cluster);
    to_char_offsets(text, &s.cands, out);
}

/// Keeps a non-overlapping subset of `cands`, sorted by start: within each group of
/// overlapping candidates, the highest priority wins, then the longest.
fn resolve(cands: &mut Vec<Cand>, cluster: &mut Vec<Cand>) {
    cands.sort_unstable_by_key(|c| (c.start, c.end));
    let mut kept = 0;
    let mut i = 0;
    while i < cands.len() {
        let mut j = i + 1;
        let mut max_end = cands[i].end;
        while j < cands.len() && cands[j].start < max_end {
            max_end = max_end.max(cands[j].end);
            j += 1;
        }
        if j - i == 1 {
            cands[kept] = cands[i];
            kept += 1;
        } else {
            cluster.clear();
            cluster.extend_from_slice(&cands[i..j]);
            cluster.sort_unstable_by_key(|c| {
                (priority(c.kind), usize::MAX - (c.end - c.start), c.start)
            });
            let first_kept = kept;
            for c in cluster.iter() {
                if cands[first_kept..kept]
                    .iter()
                    .all(|k| c.end <= k.start || c.start >= k.end)
                {
                    // `kept <= i`, so this never overwrites an unread candidate of this group.
                    cands[kept] = *c;
                    kept += 1;
                }
            }
            cands[first_kept..kept].sort_unstable_by_key(|c| c.start);
        }
        i = j;
    }
    cands.truncate(kept);
}

/// Converts sorted byte spans into character spans in one forward pass.
fn to_char_offsets(text: &str, cands: &[Cand], out: &mut Vec<Span>) {
    let count = |s: &str| s.bytes().filter(|&b| (b as i8) >= -0x40).count();
    let (mut byte, mut chars) = (0, 0);
    for c in cands {
        chars += count(&text[byte..c.start]);
        let start = chars;
        chars += count(&text[c.start..c.end]);
        byte = c.end;
        out.push(Span {
            start,
            end: chars,
            kind: c.kind,
            checked: c.checked,
        });
    }
}
