//! Postal addresses: a chain of division names followed by a street part.
//!
//! The street part is what makes a place name an address, so it is required: 杭州市西湖区 alone is
//! a region (a generalization of an address), not an address.

use crate::admin::{AdminHit, AdminNames, names};
use crate::util::{CharSet, is_cjk};
use std::sync::OnceLock;

/// Character sets of the street scan, built once.
struct Sets {
    stop_chars: CharSet,
    numerals: CharSet,
    /// First characters of the stop words and markers: the word lists are compared only there.
    stop_first: CharSet,
    marker_first: CharSet,
}

fn sets() -> &'static Sets {
    static S: OnceLock<Sets> = OnceLock::new();
    S.get_or_init(|| Sets {
        stop_chars: CharSet::new([BODY_STOP_CHARS]),
        numerals: CharSet::new([CJK_NUMERALS]),
        stop_first: CharSet::new(BODY_STOP_WORDS.iter().map(|w| &w[..3])),
        marker_first: CharSet::new(
            NUMBERED_MARKERS
                .iter()
                .chain(NAMED_MARKERS)
                .map(|w| &w[..3]),
        ),
    })
}

/// Longest street part taken after the division names, in characters.
const MAX_BODY_CHARS: usize = 48;

/// Words that end an address when they appear after it (a phone, an ID, a new clause).
const BODY_STOP_WORDS: &[&str] = &[
    "电话",
    "手机",
    "身份证",
    "联系",
    "邮编",
    "邮箱",
    "附近",
    "工作",
    "居住",
    "现住",
    "户籍",
    "就诊",
];

/// Characters that never occur inside a street part: they belong to the sentence around it.
const BODY_STOP_CHARS: &str = "的了是在和与及或并但而把被给向对让也都就还又很再已从于到去来住系为";

/// Numerals that may precede a building marker (三组, 五单元).
pub(crate) const CJK_NUMERALS: &str = "一二三四五六七八九十百零〇两";

/// Markers that end a street part when a number precedes them (90号, 3幢, 201室, 三组).
const NUMBERED_MARKERS: &[&str] = &[
    "号楼", "单元", "号", "栋", "幢", "座", "室", "层", "楼", "组", "户",
];

/// Markers that end a street part when a name precedes them (文三路, 翠苑小区, 八一新村).
const NAMED_MARKERS: &[&str] = &[
    "大道", "胡同", "小区", "花园", "家园", "公寓", "大厦", "新村", "街道", "路", "街", "巷", "弄",
    "村", "苑",
];

/// The end of the street part that starts at byte `from`: the end of its last marker, plus a
/// short trailing room number (`3幢201`). `None` when there is no marker.
///
/// In running text (`whole` false) sentence words end the street part; a stop character still
/// belongs to it when a street marker follows within a few characters, because road and
/// compound names use the same characters (和平路, 和谐家园, 来凤街).
pub(crate) fn street_end(text: &str, from: usize, whole: bool) -> Option<usize> {
    let mut last_end = None;
    let mut prev: Option<char> = None;
    let mut numbered_last = false;
    let mut count = 0;
    let sets = sets();
    let mut iter = text[from..].char_indices();
    while let Some((off, c)) = iter.next() {
        let pos = from + off;
        let rest = &text[pos..];
        let body_char = (is_cjk(c) && !sets.stop_chars.contains(c))
            || c.is_ascii_alphanumeric()
            || matches!(c, '-' | '#');
        let stop_word = !whole
            && sets.stop_first.contains(c)
            && BODY_STOP_WORDS.iter().any(|w| rest.starts_with(w));
        let name_char =
            is_cjk(c) && (whole || !sets.stop_chars.contains(c) || names_a_street(rest));
        let body_char = body_char || name_char;
        if !body_char || count >= MAX_BODY_CHARS || stop_word {
            break;
        }
        count += 1;
        if !sets.marker_first.contains(c) {
            prev = Some(c);
            continue;
        }
        let after_number =
            prev.is_some_and(|p| p.is_ascii_alphanumeric() || sets.numerals.contains(p));
        let after_name = prev.is_some_and(is_cjk);
        let marker = if after_number {
            NUMBERED_MARKERS
                .iter()
                .find(|m| rest.starts_with(*m))
                .map(|m| (m, true))
        } else {
            None
        }
        .or_else(|| {
            after_name
                .then(|| {
                    NAMED_MARKERS
                        .iter()
                        .find(|m| rest.starts_with(*m))
                        .map(|m| (m, false))
                })
                .flatten()
        });
        if let Some((m, numbered)) = marker {
            let end = pos + m.len();
            last_end = Some(end);
            numbered_last = numbered;
            // Skip the rest of a multi-character marker.
            for _ in 1..m.chars().count() {
                iter.next();
                count += 1;
            }
            prev = m.chars().last();
            continue;
        }
        prev = Some(c);
    }
    let end = last_end?;
    // A room or floor number after a building marker ("3幢201"), but not a phone glued on.
    let b = text.as_bytes();
    let n = b[end..]
        .iter()
        .take(7)
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'-')
        .count();
    if numbered_last && (1..=5).contains(&n) && b[end..end + n].iter().any(u8::is_ascii_digit) {
        return Some(end + n);
    }
    Some(end)
}

/// An address starting at the first hit of `hits` (byte offsets), as (start, end, hits used).
/// The chain of hits must not be a lone short form; the street part must have a marker.
/// True when a named street marker starts two or three characters after the first of `rest`
/// (a name character must stand between: 的路 is not a road).
fn names_a_street(rest: &str) -> bool {
    let stops = &sets().stop_chars;
    let mut chars = rest.char_indices().skip(1);
    if !chars
        .next()
        .is_some_and(|(_, c)| is_cjk(c) && !stops.contains(c))
    {
        return false;
    }
    chars
        .take(2)
        .take_while(|&(_, c)| is_cjk(c) && !stops.contains(c))
        .any(|(i, _)| NAMED_MARKERS.iter().any(|m| rest[i..].starts_with(m)))
}

/// True when `text` has a street marker where a street part could end (a number before 号, a
/// name before 路): without one it holds no address, and the division-name search (the costliest pass over text) can be skipped.
pub(crate) fn may_hold_address(text: &str) -> bool {
    let sets = sets();
    let mut prev = None;
    for (pos, c) in text.char_indices() {
        if sets.marker_first.contains(c) {
            let rest = &text[pos..];
            // The same tests street_end applies: a number before 号/栋/室, a name before 路/小区.
            let numbered = prev
                .is_some_and(|p: char| p.is_ascii_alphanumeric() || sets.numerals.contains(p))
                && NUMBERED_MARKERS.iter().any(|m| rest.starts_with(m));
            let named =
                prev.is_some_and(is_cjk) && NAMED_MARKERS.iter().any(|m| rest.starts_with(m));
            if numbered || named {
                return true;
            }
        }
        prev = Some(c);
    }
    false
}

pub(crate) fn address_at(text: &str, hits: &[AdminHit]) -> Option<(usize, usize, usize)> {
    chain_address(text, hits, false)
}

fn chain_address(text: &str, hits: &[AdminHit], whole: bool) -> Option<(usize, usize, usize)> {
    let (chain_end, used) = AdminNames::chain(hits)?;
    let end = street_end(text, chain_end, whole)?;
    Some((hits[0].start, end, used))
}

/// True when the whole value is an address: division names at the start (after an optional
/// 中国), then a street part reaching the end, allowing a trailing remark in brackets.
pub(crate) fn is_address(v: &str) -> bool {
    if v.chars().count() > 120 {
        return false;
    }
    let body = v.strip_prefix("中国").unwrap_or(v);
    let offset = v.len() - body.len();
    let (hits, n) = names().chain_at_start::<8>(body);
    let hits = &hits[..n];
    if hits.first().is_none_or(|h| h.start != 0) {
        return false;
    }
    let Some((_, end, _)) = chain_address(body, hits, true) else {
        return false;
    };
    let rest = v[offset + end..].trim();
    rest.is_empty() || (rest.starts_with(['(', '（']) && rest.ends_with([')', '）']))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(t: &str) -> Option<&str> {
        let mut hits = Vec::new();
        names().find_into(t, &mut hits);
        let (s, e, _) = address_at(t, &hits)?;
        Some(&t[s..e])
    }

    #[test]
    fn whole_addresses() {
        for ok in [
            "浙江省杭州市西湖区文三路90号",
            "杭州市西湖区文三路90号3幢201室",
            "北京市朝阳区建国路88号",
            "中国浙江省杭州市余杭区文一西路969号",
            "杭州西湖区翠苑小区5幢2单元301室",
            "西湖区文三路90号",
            "浙江省杭州市西湖区文三路90号（东部软件园）",
            "上海市浦东新区世纪大道100号",
            "浙江省衢州市柯城区和平路55号21幢3单元2304室",
            "贵州省贵阳市南明区滨江路54号和谐家园小区26栋301室",
        ] {
            assert!(is_address(ok), "{ok}");
        }
        for bad in [
            "浙江省杭州市西湖区",
            "文三路90号",
            "浙江大学",
            "杭州市西湖区文三路90号，电话123",
            "杭州很美",
            "浙江省人民医院",
            "",
        ] {
            assert!(!is_address(bad), "{bad}");
        }
    }

    #[test]
    fn addresses_in_text() {
        assert_eq!(
            find("住杭州市西湖区文三路90号3幢201室。"),
            Some("杭州市西湖区文三路90号3幢201室")
        );
        assert_eq!(
            find("住杭州市西湖区文三路90号附近的超市"),
            Some("杭州市西湖区文三路90号")
        );
        assert_eq!(
            find("家住杭州市西湖区文三路90号13812345678"),
            Some("杭州市西湖区文三路90号")
        );
        assert_eq!(find("杭州市西湖区的路上"), None);
        assert_eq!(
            find("住在杭州市西湖区和平路5号，电话"),
            Some("杭州市西湖区和平路5号")
        );
        assert_eq!(
            find("杭州市西湖区文三路90号和家人同住"),
            Some("杭州市西湖区文三路90号")
        );
        assert_eq!(find("来自杭州市西湖区。"), None);
    }
}
