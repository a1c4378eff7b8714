//! Person names: Chinese names (a surname from `facts` and one or two given characters) and
//! obvious Latin-script names.
//!
//! In running text a surname character starts thousands of ordinary words (高兴, 方便, 周末), so
//! a candidate needs context on both sides: a left boundary (start, punctuation) or trigger (患者,
//! 联系人, 由) and a right boundary or trigger (先生, 电话, 的, 说). Honorifics (先生, 女士) suffice
//! alone. A stop-list of surname-initial words vetoes candidates whose context is only a
//! boundary, and very common surname characters (高, 方, 金...) additionally need a given
//! character typical of names.

mod common_words;
mod inventory;
mod minority;
mod words;

use crate::DetectMode;
use crate::facts;
use crate::util::{CharSet, is_cjk};
use std::sync::OnceLock;
use words::*;

/// A list of words tested at a position by its first (or last) two characters, so that the
/// full comparisons run only where a word can actually be.
struct WordSet {
    words: &'static [&'static str],
    singles: CharSet,
    pairs: Vec<[char; 2]>,
    /// The first characters of `pairs` (the last, for suffix sets): most positions fail this
    /// one bit test, before any second character is decoded or searched.
    edge: CharSet,
}

impl WordSet {
    fn new(words: &'static [&'static str], from_end: bool) -> WordSet {
        let singles: Vec<&str> = words
            .iter()
            .copied()
            .filter(|w| w.chars().count() == 1)
            .collect();
        let pairs = pairs(words.iter().filter_map(|w| {
            let n = w.chars().count();
            match (n >= 2, from_end) {
                (false, _) => None,
                (true, false) => Some(*w),
                // The last two characters, as a suffix of `w`.
                (true, true) => w.char_indices().nth(n - 2).map(|(i, _)| &w[i..]),
            }
        }));
        let edge: String = pairs
            .iter()
            .map(|p| if from_end { p[1] } else { p[0] })
            .collect();
        WordSet {
            words,
            singles: CharSet::new(singles),
            pairs,
            edge: CharSet::new([edge.as_str()]),
        }
    }

    /// True when `rest` begins with one of the words.
    fn starts(&self, rest: &str) -> bool {
        let mut it = rest.chars();
        let Some(a) = it.next() else { return false };
        if self.singles.contains(a) {
            return true;
        }
        if !self.edge.contains(a) {
            return false;
        }
        let Some(b) = it.next() else { return false };
        self.pairs.binary_search(&[a, b]).is_ok() && self.words.iter().any(|w| rest.starts_with(w))
    }

    /// True when `head` ends with one of the words.
    fn ends(&self, head: &str) -> bool {
        let mut it = head.chars().rev();
        let Some(b) = it.next() else { return false };
        if self.singles.contains(b) {
            return true;
        }
        if !self.edge.contains(b) {
            return false;
        }
        let Some(a) = it.next() else { return false };
        self.pairs.binary_search(&[a, b]).is_ok() && self.words.iter().any(|w| head.ends_with(w))
    }
}

struct Tables {
    /// Redaction mode: the full inventory, rarer surnames needing stronger context.
    redaction: bool,
    surnames: CharSet,
    /// Surnames outside the common tier: a name needs a trigger or a title to start with one.
    rare: CharSet,
    /// Characters typical of given names (the 500 most used): evidence for a name on its own.
    given_top: CharSet,
    /// Redaction mode: every character the inventory knows in given names (99.8 % of uses).
    given_all: CharSet,
    /// Redaction mode: the last character of a role word (来电人, 驾驶员, 甲方, 患者, 车主).
    role_ends: CharSet,
    /// Redaction mode: further words that introduce a name.
    more_triggers: WordSet,
    /// Redaction mode: further words that may follow a name.
    more_right: WordSet,
    /// Redaction mode: first characters of minority name elements (see [`minority`]).
    minority_first: CharSet,
    /// Where any name can start: `starts` and `minority_first` together.
    any_start: CharSet,
    /// Single surnames plus the first characters of compound ones: where a name can start.
    starts: CharSet,
    compounds: Vec<[char; 2]>,
    not_given: CharSet,
    common_surnames: CharSet,
    left_links: CharSet,
    right_links: CharSet,
    left_triggers: WordSet,
    honorifics: WordSet,
    right_words: WordSet,
    stop: Vec<[char; 2]>,
}

fn pairs<'a>(words: impl Iterator<Item = &'a str>) -> Vec<[char; 2]> {
    let mut v: Vec<[char; 2]> = words
        .filter_map(|w| {
            let mut c = w.chars();
            Some([c.next()?, c.next()?])
        })
        .collect();
    v.sort_unstable();
    v
}

fn tables(mode: DetectMode) -> &'static Tables {
    static STRICT: OnceLock<Tables> = OnceLock::new();
    static REDACTION: OnceLock<Tables> = OnceLock::new();
    match mode {
        DetectMode::Classification => STRICT.get_or_init(|| build_tables(false)),
        DetectMode::Redaction => REDACTION.get_or_init(|| build_tables(true)),
    }
}

fn build_tables(redaction: bool) -> Tables {
    let strict_singles = facts::SURNAMES.iter().copied();
    let compounds: Vec<&'static str> = if redaction {
        let mut v: Vec<&str> = facts::COMPOUND_SURNAMES.to_vec();
        v.extend(inventory::COMPOUND_SURNAMES.iter().copied());
        v
    } else {
        facts::COMPOUND_SURNAMES.to_vec()
    };
    // Role-word endings (来电人, 驾驶员) are never read as a surname.
    let extra: String = if redaction {
        inventory::SURNAMES
            .chars()
            .filter(|&c| !ROLE_ENDS.contains(c))
            .collect()
    } else {
        String::new()
    };
    let surnames = if redaction {
        CharSet::new(strict_singles.clone().chain([extra.as_str()]))
    } else {
        CharSet::new(strict_singles.clone())
    };
    let rare = if redaction {
        // Rare surnames minus anything the common lists hold.
        // Outside the established list, surnames need a trigger or a title.
        let common = CharSet::new(strict_singles.clone());
        let only_rare: String = extra.chars().filter(|&c| !common.contains(c)).collect();
        CharSet::new([only_rare.as_str()])
    } else {
        CharSet::new([""])
    };
    let given_top = if redaction {
        CharSet::new([inventory::GIVEN_TOP, facts::GIVEN_NAME_CHARS])
    } else {
        CharSet::new([facts::GIVEN_NAME_CHARS])
    };
    let minority_first = if redaction {
        minority::first_chars()
    } else {
        String::new()
    };
    Tables {
        redaction,
        surnames,
        rare,
        given_top,
        given_all: CharSet::new([
            inventory::GIVEN_TOP,
            inventory::GIVEN_MORE,
            facts::GIVEN_NAME_CHARS,
        ]),
        role_ends: CharSet::new([if redaction { ROLE_ENDS } else { "" }]),
        more_triggers: WordSet::new(if redaction { MORE_TRIGGERS } else { &[] }, true),
        more_right: WordSet::new(if redaction { MORE_RIGHT } else { &[] }, false),
        minority_first: CharSet::new([minority_first.as_str()]),
        starts: CharSet::new(
            strict_singles
                .clone()
                .chain(compounds.iter().copied())
                .chain([extra.as_str()]),
        ),
        any_start: CharSet::new(
            strict_singles
                .chain(compounds.iter().copied())
                .chain([extra.as_str(), minority_first.as_str()]),
        ),
        compounds: pairs(compounds.iter().copied()),
        not_given: CharSet::new([NOT_GIVEN]),
        common_surnames: CharSet::new([COMMON_SURNAMES]),
        left_links: CharSet::new([LEFT_LINKS]),
        right_links: CharSet::new([RIGHT_LINKS]),
        left_triggers: WordSet::new(LEFT_TRIGGERS, true),
        honorifics: WordSet::new(
            if redaction {
                // Built once per process (the tables are static): leaking the list is the
                // simplest way to give the set its 'static words.
                Box::leak(
                    HONORIFICS
                        .iter()
                        .chain(MORE_HONORIFICS)
                        .copied()
                        .collect::<Vec<_>>()
                        .into_boxed_slice(),
                )
            } else {
                HONORIFICS
            },
            false,
        ),
        right_words: WordSet::new(RIGHT_WORDS, false),
        stop: pairs(
            STOP_WORDS.split_whitespace().chain(
                if redaction {
                    common_words::COMMON_WORDS
                } else {
                    ""
                }
                .split_whitespace(),
            ),
        ),
    }
}

/// Length in bytes of the surname at the start of `s` (compound first), if any.
fn surname_len(t: &Tables, s: &str) -> Option<usize> {
    let mut it = s.chars();
    let a = it.next()?;
    if let Some(b) = it.next()
        && t.compounds.binary_search(&[a, b]).is_ok()
    {
        return Some(a.len_utf8() + b.len_utf8());
    }
    t.surnames.contains(a).then(|| a.len_utf8())
}

impl Tables {
    fn is_given_char(&self, c: char) -> bool {
        is_cjk(c) && !self.not_given.contains(c) && (!self.redaction || self.given_all.contains(c))
    }

    /// True when `rest` begins with an honorific or a context word.
    fn begins_context(&self, rest: &str) -> bool {
        self.honorifics.starts(rest) || self.right_words.starts(rest)
    }

    /// True when `head` ends with a whole trigger word (患者, 来电人, 主任).
    fn ends_with_trigger_word(&self, head: &str) -> bool {
        self.left_triggers.ends(head) || (self.redaction && self.more_triggers.ends(head))
    }

    /// True when `head` ends with a trigger word or, in redaction mode, a role's last character
    /// (参保人员, 甲方).
    fn ends_with_trigger(&self, head: &str) -> bool {
        self.ends_with_trigger_word(head)
            || (self.redaction
                && head
                    .chars()
                    .next_back()
                    .is_some_and(|c| self.role_ends.contains(c)))
    }
}

/// True when the whole value is a person's name: a Chinese name of 2-4 characters, a name of
/// an ethnic minority written with a middle dot (买买提·艾力), or 2-3 capitalized Latin words.
pub(crate) fn is_person_name(v: &str) -> bool {
    if v.is_ascii() {
        return is_latin_name(v);
    }
    if v.contains(['·', '•']) {
        let mut parts = 0;
        for p in v.split(['·', '•']) {
            let n = p.chars().count();
            if !(1..=8).contains(&n) || !p.chars().all(is_cjk) {
                return false;
            }
            parts += 1;
        }
        return (2..=4).contains(&parts);
    }
    let t = tables(DetectMode::Classification);
    let Some(sl) = surname_len(t, v) else {
        return false;
    };
    let given = &v[sl..];
    let n = given.chars().count();
    let mut chars = v.chars();
    let first_two = match (chars.next(), chars.next()) {
        (Some(a), Some(b)) => [a, b],
        _ => return false,
    };
    // The stop-list vetoes three-character values too (高血压 is not 高 + 血压), at the price of
    // the rare name that starts with a common word (明天瑞).
    (1..=2).contains(&n)
        && given.chars().all(|c| t.is_given_char(c))
        && t.stop.binary_search(&first_two).is_err()
}

/// Two or three words of 2-20 letters, each capitalized (`Zhang Wei`, `John Smith`).
fn is_latin_name(v: &str) -> bool {
    let mut words = 0;
    for w in v.split(' ') {
        let b = w.as_bytes();
        let ok = (2..=20).contains(&b.len())
            && b[0].is_ascii_uppercase()
            && b[1..].iter().all(u8::is_ascii_lowercase)
            && !LATIN_STOP.contains(&w);
        if !ok {
            return false;
        }
        words += 1;
    }
    (2..=3).contains(&words)
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Ctx {
    None,
    Boundary,
    Trigger,
}

fn left_context(t: &Tables, text: &str, pos: usize, surname: char) -> Ctx {
    let head = &text[..pos];
    let Some(prev) = head.chars().next_back() else {
        return Ctx::Boundary;
    };
    if t.ends_with_trigger(head) {
        return Ctx::Trigger;
    }
    if !is_cjk(prev) {
        // 姓名：张伟 — a trigger behind a colon or space still counts.
        let inner = head.trim_end_matches([':', '：', ' ', '\u{3000}']);
        if inner.len() < head.len() && t.ends_with_trigger(inner) {
            return Ctx::Trigger;
        }
        return Ctx::Boundary;
    }
    // 由于 / 关于: 于 after a link character is the preposition, not a surname.
    if (t.left_links.contains(prev) || (t.redaction && MORE_LEFT_LINKS.contains(prev)))
        && surname != '于'
    {
        return Ctx::Boundary;
    }
    Ctx::None
}

/// True when the text before `pos` ends with a role (来电人, 收件人, 乙方, 患者), not a verb
/// trigger (告知, 通知): after a role a name that is also a word is still a name.
fn role_before(t: &Tables, text: &str, pos: usize) -> bool {
    let head = text[..pos].trim_end_matches([':', '：', ' ']);
    let verb = VERB_TRIGGERS.iter().any(|v| head.ends_with(v));
    !verb && t.ends_with_trigger(head)
}

/// Right context after a candidate ending at `end`, and whether it is an honorific.
fn right_context(t: &Tables, text: &str, end: usize) -> (Ctx, bool) {
    let rest = &text[end..];
    let Some(next) = rest.chars().next() else {
        return (Ctx::Boundary, false);
    };
    if t.honorifics.starts(rest) {
        return (Ctx::Trigger, true);
    }
    if t.right_words.starts(rest) || (t.redaction && t.more_right.starts(rest)) {
        return (Ctx::Trigger, false);
    }
    if !is_cjk(next) {
        // 贾宝华（1770957…）: a number in brackets after a name is its phone or ID.
        if t.redaction {
            let inner = rest.trim_start_matches(['(', '（']);
            if inner.len() < rest.len() && inner.starts_with(|c: char| c.is_ascii_digit()) {
                return (Ctx::Trigger, false);
            }
        }
        // 张伟，男，35岁: a gender right after the comma is as good as a trigger.
        let after = rest.trim_start_matches([',', '，', '、', ' ', '(', '（']);
        if after.len() < rest.len() && (after.starts_with('男') || after.starts_with('女')) {
            return (Ctx::Trigger, false);
        }
        return (Ctx::Boundary, false);
    }
    if t.right_links.contains(next) {
        return (Ctx::Boundary, false);
    }
    (Ctx::None, false)
}

/// Finds the name that starts at byte `pos` (a surname), returning its end.
fn name_at(t: &Tables, text: &str, pos: usize) -> Option<usize> {
    let sl = surname_len(t, &text[pos..])?;
    let surname = text[pos..].chars().next()?;
    let mut given = text[pos + sl..].chars();
    let g1 = given.next().filter(|&c| t.is_given_char(c))?;
    let g2 = given.next().filter(|&c| t.is_given_char(c));
    let end1 = pos + sl + g1.len_utf8();
    // Most rare-surname characters in text are ordinary characters mid-sentence: without
    // context before them only a title after can make a name, so check that first.
    if t.redaction
        && sl == surname.len_utf8()
        && t.rare.contains(surname)
        && left_context(t, text, pos, surname) == Ctx::None
    {
        let titled = |e: usize| t.honorifics.starts(&text[e..]);
        if !(titled(end1) || g2.is_some_and(|c| titled(end1 + c.len_utf8()))) {
            return None;
        }
    }
    // A given character may not begin an honorific or context word (王先生 is a surname and title).
    let begins_context = |at: usize| t.begins_context(&text[at..]);
    let end2_raw = g2.map(|c| end1 + c.len_utf8());
    let left = left_context(t, text, pos, surname);
    let stopped = t.stop.binary_search(&[surname, g1]).is_ok();
    // A rare surname is more often an ordinary character: only a trigger or a title makes it
    // begin a name.
    let rare = sl == surname.len_utf8() && t.rare.contains(surname);
    // A colon or the start of a line before a name is as good as a trigger for a rare surname
    // (救助对象：隗长春，…).
    let after_colon = text[..pos]
        .chars()
        .next_back()
        .is_some_and(|c| matches!(c, '：' | ':'));
    let typical_given = |e: usize| text[pos + sl..e].chars().all(|c| t.given_top.contains(c));
    let strong_left =
        left == Ctx::Trigger || (after_colon && end2_raw.is_some_and(typical_given) && !stopped);
    // After a trigger too, a rare surname needs typical given characters: 来电, 自述, 要求 are
    // words after 市民 / 当事人, not people.
    if rare && left == Ctx::Trigger && !end2_raw.or(Some(end1)).is_some_and(typical_given) {
        let titled = |e: usize| t.honorifics.starts(&text[e..]);
        if !(titled(end1) || end2_raw.is_some_and(titled)) {
            return None;
        }
    }
    if rare && !strong_left {
        let titled = |e: Option<usize>| e.is_some_and(|e| t.honorifics.starts(&text[e..]));
        // At a sentence boundary, a full name of typical given characters before a context
        // word or a clause link (戈文静来电, 赖振宇说) is a name too.
        let typical_full = left == Ctx::Boundary
            && end2_raw.is_some_and(|e| {
                text[pos + sl..e].chars().all(|c| t.given_top.contains(c))
                    && !matches!(right_context(t, text, e).0, Ctx::None)
            });
        if stopped
            || !(titled(end2_raw) || titled(Some(end1)) || typical_full)
            || begins_context(pos + sl)
        {
            return None;
        }
        if typical_full && !titled(Some(end1)) {
            return end2_raw;
        }
    }
    // Mid-sentence (no left context) only a title after the name can make it one. Most surname
    // characters in text are ordinary characters, so this path is the common one and looks for
    // the title before the costlier context-word checks.
    if left == Ctx::None {
        let honorific_at = |e: usize| t.honorifics.starts(&text[e..]);
        let h2 = end2_raw.filter(|&e| honorific_at(e));
        let h1 = honorific_at(end1);
        if stopped || (h2.is_none() && !h1) || begins_context(pos + sl) {
            return None;
        }
        if let Some(e2) = h2
            && !begins_context(end1)
        {
            return Some(e2);
        }
        return h1.then_some(end1);
    }
    if begins_context(pos + sl) {
        return None;
    }
    let end2 = end2_raw.filter(|_| !begins_context(end1));
    let common = t.common_surnames.contains(surname) && sl == surname.len_utf8();
    let name_like = |end: usize| text[pos + sl..end].chars().any(|c| t.given_top.contains(c));
    let accept = |end: usize| {
        let (right, honorific) = right_context(t, text, end);
        let typical = || text[pos + sl..end].chars().all(|c| t.given_top.contains(c));
        match (left, right) {
            _ if honorific => !stopped || left == Ctx::Trigger,
            // Redaction: a name that is also a word (高峰, 万里红) needs a role before it and
            // a clause mark or context word after it (收件人高原，电话…).
            (Ctx::Trigger, r) if t.redaction && stopped => {
                r == Ctx::Trigger && role_before(t, text, pos)
                    || r == Ctx::Boundary
                        && role_before(t, text, pos)
                        && text[end..].starts_with(['，', ',', '、', '（', '(', '；', ';', '。'])
            }
            (Ctx::Trigger, r) => r != Ctx::None,
            // Redaction: at a sentence boundary, a name of typical given characters is taken
            // whatever follows (张伟驾驶…, 李娜负全部责任).
            (Ctx::Boundary, Ctx::None) if t.redaction => {
                !stopped && (!rare || strong_left) && end > pos + sl + g1.len_utf8() && typical()
            }
            (Ctx::None, _) | (_, Ctx::None) => false,
            (Ctx::Boundary, Ctx::Trigger) => !stopped,
            (Ctx::Boundary, Ctx::Boundary) => !stopped && (!common || name_like(end)),
        }
    };
    if let Some(e2) = end2
        && accept(e2)
    {
        return Some(e2);
    }
    if accept(end1) {
        return Some(end1);
    }
    // After a strong trigger the name is there even if nothing marks its end: take the second
    // given character only when it is typical of names.
    if left == Ctx::Trigger && !stopped {
        return Some(match end2 {
            Some(e2) if g2.is_some_and(|c| t.given_top.contains(c)) => e2,
            _ => end1,
        });
    }
    None
}

/// Latin-script names in text (redaction mode): two or three capitalized words
/// (`Zhang Wei`, `Lee Ka Ming`, `Maria Santos`), not glued to other letters.
fn scan_latin(text: &str, found: &mut impl FnMut(usize, usize)) {
    let b = text.as_bytes();
    let cap_word = |i: usize| -> Option<usize> {
        if !b.get(i)?.is_ascii_uppercase() {
            return None;
        }
        let n = 1 + b[i + 1..]
            .iter()
            .take_while(|c| c.is_ascii_lowercase())
            .count();
        let w = &text[i..i + n];
        ((2..=16).contains(&n) && !LATIN_STOP.contains(&w)).then_some(i + n)
    };
    let mut i = 0;
    while i < b.len() {
        let glued = i > 0 && b[i - 1].is_ascii_alphanumeric();
        if glued || !b[i].is_ascii_uppercase() {
            i += 1;
            continue;
        }
        let (mut end, mut words) = match cap_word(i) {
            Some(e) => (e, 1),
            None => {
                i += 1;
                continue;
            }
        };
        while words < 3 && b.get(end) == Some(&b' ') {
            match cap_word(end + 1) {
                Some(e) => {
                    end = e;
                    words += 1;
                }
                None => break,
            }
        }
        if words >= 2 && !b.get(end).is_some_and(|c| c.is_ascii_alphanumeric()) {
            found(i, end);
        }
        i = end;
    }
}

/// Names of ethnic minorities written with a middle dot (阿卜杜拉·艾买提, 古丽娜尔·吐尔逊):
/// two to four parts of 1-8 ideographs joined by `·`, `•` or `・` (redaction mode).
fn scan_dotted(text: &str, found: &mut impl FnMut(usize, usize)) {
    const DOTS: [char; 3] = ['·', '•', '・'];
    let mut search = 0;
    while let Some(off) = text[search..].find(DOTS) {
        let dot = search + off;
        let dot_len = text[dot..].chars().next().map_or(1, char::len_utf8);
        let run_back = |end: usize| {
            let mut start = end;
            for (i, c) in text[..end].char_indices().rev().take(8) {
                if !is_cjk(c) {
                    break;
                }
                start = i;
            }
            start
        };
        let run_fwd = |from: usize| {
            let mut end = from;
            for (i, c) in text[from..].char_indices().take(8) {
                if !is_cjk(c) {
                    break;
                }
                end = from + i + c.len_utf8();
            }
            end
        };
        let start = run_back(dot);
        let mut end = run_fwd(dot + dot_len);
        let mut parts = 2;
        while parts < 4 && end > dot + dot_len {
            let Some(next) = text[end..].chars().next().filter(|c| DOTS.contains(c)) else {
                break;
            };
            let e2 = run_fwd(end + next.len_utf8());
            if e2 == end + next.len_utf8() {
                break;
            }
            end = e2;
            parts += 1;
        }
        if start < dot && end > dot + dot_len {
            found(start, end);
            search = end;
        } else {
            search = dot + dot_len;
        }
    }
}

/// Names written with a space between their characters (OCR, forms: `车主 罗 晓 军`, `收货人：
/// 熊 英`) after a trigger or a colon (redaction mode).
fn scan_spaced(t: &Tables, text: &str, found: &mut impl FnMut(usize, usize)) {
    let is_space = |c: char| c == ' ' || c == '\u{3000}';
    let mut iter = text.char_indices().peekable();
    while let Some((pos, c)) = iter.next() {
        if !t.surnames.contains(c) || !iter.peek().is_some_and(|&(_, n)| is_space(n)) {
            continue;
        }
        let head = text[..pos].trim_end_matches([' ', '\u{3000}', ':', '：']);
        if !(t.ends_with_trigger(head) || head.len() + 3 <= pos && head.ends_with(['：', ':'])) {
            continue;
        }
        // Surname, then one or two given characters, each behind one space.
        let mut end = pos + c.len_utf8();
        let mut given = 0;
        let mut rest = text[end..].chars();
        while given < 2 {
            let (Some(sp), Some(g)) = (rest.next(), rest.next()) else {
                break;
            };
            if !is_space(sp) || !t.is_given_char(g) {
                break;
            }
            end += sp.len_utf8() + g.len_utf8();
            given += 1;
        }
        let next_ok = text[end..]
            .chars()
            .next()
            .is_none_or(|n| !is_cjk(n) || t.begins_context(&text[end..]));
        if given > 0 && next_ok {
            found(pos, end);
            while iter.peek().is_some_and(|&(i, _)| i < end) {
                iter.next();
            }
        }
    }
}

/// Calls `found(start, end)` for each name in `text` (byte offsets, left to right).
pub(crate) fn scan(text: &str, mode: DetectMode, mut found: impl FnMut(usize, usize)) {
    let t = tables(mode);
    if mode == DetectMode::Redaction {
        // One pass over the bytes decides which of the extra passes can find anything.
        let (mut upper, mut dots, mut spaces) = (false, false, false);
        let b = text.as_bytes();
        for (i, &c) in b.iter().enumerate() {
            match c {
                b'A'..=b'Z' => upper = true,
                b' ' => spaces = true,
                // · is C2 B7; • E2 80 A2; ・ E3 83 BB; the ideographic space E3 80 80.
                0xC2 if b.get(i + 1) == Some(&0xB7) => dots = true,
                0xE2 if b.get(i + 1..i + 3) == Some(&[0x80, 0xA2]) => dots = true,
                0xE3 if b.get(i + 1..i + 3) == Some(&[0x83, 0xBB]) => dots = true,
                0xE3 if b.get(i + 1..i + 3) == Some(&[0x80, 0x80]) => spaces = true,
                _ => {}
            }
        }
        if upper {
            scan_latin(text, &mut found);
        }
        if dots {
            scan_dotted(text, &mut found);
        }
        if spaces {
            scan_spaced(t, text, &mut found);
        }
    }
    let mut iter = text.char_indices();
    while let Some((pos, c)) = iter.next() {
        // Most characters start nothing: one bit test rejects them.
        if !t.any_start.contains(c) {
            continue;
        }
        let minority = t
            .minority_first
            .contains(c)
            .then(|| minority::name_at(text, pos))
            .flatten()
            .filter(|&end| {
                minority::accept(left_context(t, text, pos, c), right_context(t, text, end).0)
            });
        if !t.starts.contains(c) && minority.is_none() {
            continue;
        }
        // The last character of a role word (主任, 主人, 人员) is not a surname: 主任韦立新 is a
        // title and a name, not 任韦立.
        // Trigger words only: a single role-end character (方, 官) is a surname too.
        if t.redaction
            && minority.is_none()
            && pos > 0
            && t.ends_with_trigger_word(&text[..pos + c.len_utf8()])
        {
            continue;
        }
        if let Some(end) = minority.or_else(|| name_at(t, text, pos)) {
            found(pos, end);
            // Resume after the name: the given characters may themselves be surnames.
            while iter.offset() < end {
                iter.next();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(t: &str) -> Vec<&str> {
        let mut v = Vec::new();
        scan(t, DetectMode::Classification, |s, e| v.push(&t[s..e]));
        v
    }

    #[test]
    fn context_words_are_ideographs_as_the_bit_sets_require() {
        for w in LEFT_TRIGGERS.iter().chain(HONORIFICS).chain(RIGHT_WORDS) {
            assert!(w.chars().all(is_cjk), "{w}");
        }
    }

    #[test]
    fn whole_values() {
        for ok in [
            "张伟",
            "王小明",
            "欧阳娜娜",
            "司马光",
            "买买提·艾力",
            "Zhang Wei",
            "John Smith",
            "Mary Ann Lee",
        ] {
            assert!(is_person_name(ok), "{ok}");
        }
        for bad in [
            "高兴",
            "周末",
            "黄金",
            "江苏",
            "方便",
            "高血压",
            "张",
            "张伟伟伟",
            "王的",
            "zhang wei",
            "New York",
            "John",
            "张三1",
            "User Id Here Now",
            "某某",
        ] {
            assert!(!is_person_name(bad), "{bad}");
        }
    }

    #[test]
    fn names_in_sentences() {
        assert_eq!(names("患者张伟，身份证号"), vec!["张伟"]);
        assert_eq!(names("联系人：李娜，电话"), vec!["李娜"]);
        assert_eq!(names("由王小明负责"), vec!["王小明"]);
        assert_eq!(names("张伟说他很高兴"), vec!["张伟"]);
        assert_eq!(names("王先生来电"), Vec::<&str>::new());
        assert_eq!(names("请联系刘洋女士。"), vec!["刘洋"]);
        assert_eq!(names("欧阳娜娜的电话"), vec!["欧阳娜娜"]);
        assert_eq!(names("申请人诸葛亮，"), vec!["诸葛亮"]);
        assert_eq!(names("患者陈静住院三天"), vec!["陈静"]);
        assert_eq!(names("车主欧斌，车牌浙B15278"), vec!["欧斌"]);
        assert_eq!(names("已通过短信通知雷怡领取证件。"), vec!["雷怡"]);
    }

    #[test]
    fn surnames_that_end_role_words_still_begin_names() {
        let t = "患者方睿然，联系人章小红，车主主任韦立新。";
        let mut v = Vec::new();
        scan(t, DetectMode::Redaction, |s, e| v.push(&t[s..e]));
        assert!(v.contains(&"方睿然") && v.contains(&"章小红"), "{v:?}");
        assert!(
            v.contains(&"韦立新") && !v.iter().any(|n| n.starts_with('任')),
            "{v:?}"
        );
    }

    #[test]
    fn ordinary_words_are_not_names() {
        for t in [
            "我很高兴见到你。",
            "请张开嘴。",
            "方便的时候回电。",
            "周末去江苏玩。",
            "黄金价格上涨",
            "他陈述了事实。",
            "林业局的工作",
            "由于天气原因",
            "关于王国的故事",
            "有关部门电话",
            "马上到。",
            "高兴，",
            "今天天气很好，明天下雨。",
        ] {
            assert!(names(t).is_empty(), "{t}: {:?}", names(t));
        }
    }
}
