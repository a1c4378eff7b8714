//! Redaction mode's addresses by structure: place names nobody listed (青禾省丰川市望江区绿柳路
//! 88号, 临溪县白沙镇石桥村5组) are found from their shape, not from a table of division names.
//!
//! From each street marker (路, 街, 村, 小区, 大厦 ...) that follows a name, the address is
//! walked back over the place-name characters before it (stopping at punctuation, sentence
//! words and the words that introduce an address), then forward over its street part. It is
//! kept when it holds a house, building or room number (88号, 3幢, 502室, 5组) or is a village
//! under a named town or county (白沙镇石桥村): the shape of a place where somebody lives.

use crate::address::street_end;
use crate::util::{CharSet, is_cjk};
use std::sync::OnceLock;

/// Markers a street part ends with when a name precedes them.
const STREET_MARKERS: &[&str] = &[
    "大道",
    "大街",
    "胡同",
    "小区",
    "花园",
    "家园",
    "公寓",
    "大厦",
    "新村",
    "广场",
    "嘎查",
    "社区",
    "村委会",
    "小组",
    "路",
    "街",
    "巷",
    "弄",
    "村",
    "苑",
    "里",
    "院",
    "组",
];

/// Division suffixes that a village needs above it to count without a number.
const DIVISION_SUFFIXES: &[&str] = &["省", "市", "县", "区", "旗", "镇", "乡", "街道", "苏木"];

/// Characters that belong to the sentence, never to a place name before a street.
const LEFT_STOP_CHARS: &str =
    "的了是在和与及或并但而把被给向对让也都就还又很再已从于到去来住系为至往将由自称即";

/// Words right before an address that introduce it; the walk back stops after them.
const LEFT_STOP_WORDS: &[&str] = &[
    "地址",
    "住址",
    "住所",
    "地点",
    "位于",
    "坐落",
    "反映",
    "举报",
    "投诉",
    "送达",
    "户籍地",
    "居住地",
    "现居",
    "家住",
    "寄件",
    "收件",
    "收货",
    "取件",
    "到达",
    "前往",
    "发现",
    "巡查",
    "检查",
    "我是",
    "我叫",
    "门前",
    "楼下",
    "附近",
    "场所",
    "站点",
    "所在地",
    "发货地",
    "目的地",
    "出发地",
    "经营地",
    "遗失",
    "丢失",
];

/// Numbered markers: a number before one of these makes a place an address.
const NUMBERED: &[&str] = &[
    "号楼", "号院", "单元", "号", "栋", "幢", "座", "室", "层", "楼", "组", "户", "弄",
];

/// Longest place-name run walked back from a street marker, in characters.
const MAX_BACK: usize = 24;

struct Sets {
    stop: CharSet,
    marker_last: CharSet,
    numerals: CharSet,
}

fn sets() -> &'static Sets {
    static S: OnceLock<Sets> = OnceLock::new();
    S.get_or_init(|| Sets {
        stop: CharSet::new([LEFT_STOP_CHARS]),
        marker_last: CharSet::new(STREET_MARKERS.iter().map(|m| {
            let (i, _) = m.char_indices().last().unwrap_or((0, ' '));
            &m[i..]
        })),
        numerals: CharSet::new([crate::address::CJK_NUMERALS]),
    })
}

/// The start of the place name that ends at byte `at` (where a street marker begins).
fn walk_back(text: &str, at: usize) -> usize {
    let s = sets();
    let mut start = at;
    for (n, (i, c)) in text[..at].char_indices().rev().enumerate() {
        if n >= MAX_BACK || !is_cjk(c) || s.stop.contains(c) {
            break;
        }
        if LEFT_STOP_WORDS
            .iter()
            .any(|w| text[..i + c.len_utf8()].ends_with(w))
        {
            break;
        }
        start = i;
    }
    start
}

/// True when `span` holds a number before a numbered marker (88号, 三组, 3-2-501 after 号).
fn has_house_number(span: &str) -> bool {
    let s = sets();
    let mut prev: Option<char> = None;
    for (i, c) in span.char_indices() {
        if prev.is_some_and(|p| p.is_ascii_digit() || s.numerals.contains(p))
            && NUMBERED.iter().any(|m| span[i..].starts_with(m))
        {
            return true;
        }
        prev = Some(c);
    }
    false
}

/// True when `span` is a village under a named division (白沙镇石桥村, 宝力根苏木哈登胡舒嘎查).
fn is_named_village(span: &str) -> bool {
    let village = ["村", "嘎查", "社区", "村委会", "组"]
        .iter()
        .any(|v| span.ends_with(v));
    village
        && DIVISION_SUFFIXES.iter().any(|d| {
            span.find(d)
                .is_some_and(|i| i >= 3 && i + d.len() < span.len())
        })
}

/// Words that end a building or a part of one after the house number (莲富大厦, 恒隆广场,
/// 南门, 东户, 写字楼).
const BUILDING_ENDS: &[&str] = &[
    "大厦",
    "广场",
    "中心",
    "大楼",
    "写字楼",
    "公寓",
    "商城",
    "门",
    "户",
    "楼",
    "座",
    "馆",
    "小区",
    "花园",
    "公馆",
    "山庄",
    "名都",
    "家园",
    "新村",
    "院",
    "期",
    "区",
    "栋",
    "幢",
    "单元",
    "室",
    "号",
    "组",
];

/// Extends an address over what follows its house number: a building name ending in one of
/// [`BUILDING_ENDS`] within 12 characters, a room number (`1803`, `3-2-501`, `2门301`).
fn extend_building(text: &str, end: usize) -> usize {
    let s = sets();
    let mut best = end;
    for (n, (off, c)) in text[end..].char_indices().enumerate() {
        let at = end + off;
        let word = (is_cjk(c) && !s.stop.contains(c)) || c.is_ascii_alphanumeric() || c == '-';
        if !word || n >= 16 {
            break;
        }
        let here = &text[..at + c.len_utf8()];
        if BUILDING_ENDS.iter().any(|w| here.ends_with(w)) || c.is_ascii_alphanumeric() {
            // A trailing number or letter (32楼B, C-12) counts only right after a building end
            // or another one.
            if c.is_ascii_alphanumeric() {
                let prev_ok = text[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|p| p.is_ascii_alphanumeric() || p == '-' || is_cjk(p));
                if prev_ok && best == at {
                    best = at + 1;
                }
                continue;
            }
            best = at + c.len_utf8();
        } else if c == '-' && best == at {
            best = at + 1;
        }
    }
    // Never end on a dash.
    while best > end && text.as_bytes()[best - 1] == b'-' {
        best -= 1;
    }
    best
}

/// Calls `found(start, end)` (byte offsets) for each structural address, left to right.
pub(crate) fn scan(text: &str, mut found: impl FnMut(usize, usize)) {
    let s = sets();
    let mut resume = 0;
    let mut prev: Option<char> = None;
    for (pos, c) in text.char_indices() {
        let p = prev;
        prev = Some(c);
        if pos < resume || !s.marker_last.contains(c) {
            continue;
        }
        // Where the marker begins (二字 markers end at this character).
        let Some(m) = STREET_MARKERS
            .iter()
            .find(|m| text[..pos + c.len_utf8()].ends_with(*m))
        else {
            continue;
        };
        let m_start = pos + c.len_utf8() - m.len();
        if !p.is_some_and(is_cjk) && m.chars().count() == 1 {
            continue;
        }
        let start = walk_back(text, m_start);
        // A street needs a name: at least one character before its marker.
        if start >= m_start || start < resume {
            continue;
        }
        let m_end = m_start + m.len();
        let end = street_end(text, start, false).map_or(m_end, |e| e.max(m_end));
        let span = &text[start..end];
        if has_house_number(span) || is_named_village(span) {
            let end = extend_building(text, end);
            found(start, end);
            resume = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(t: &str) -> Vec<&str> {
        let mut v = Vec::new();
        scan(t, |s, e| v.push(&t[s..e]));
        v
    }

    #[test]
    fn invented_places_are_addresses_by_their_shape() {
        assert_eq!(
            addrs("来电人称，丰川市望江区绿柳路88号附近施工"),
            vec!["丰川市望江区绿柳路88号"]
        );
        assert_eq!(
            addrs("反映白沙镇新塘村8组32号旁边的养猪场"),
            vec!["白沙镇新塘村8组32号"]
        );
        assert_eq!(
            addrs("现住址：丰川市望江区梧桐路45号2幢603室。"),
            vec!["丰川市望江区梧桐路45号2幢603室"]
        );
        assert_eq!(
            addrs("反映，厦门市思明区莲前西路2号莲富大厦写字楼1803大厦消防栓无水"),
            vec!["厦门市思明区莲前西路2号莲富大厦写字楼1803大厦"]
        );
        assert_eq!(
            addrs("遗失丰川市望江区文昌路58号3-2-501房屋所有权证"),
            vec!["丰川市望江区文昌路58号3-2-501"]
        );
        assert_eq!(
            addrs("地点锡林浩特市宝力根苏木哈登胡舒嘎查。"),
            vec!["锡林浩特市宝力根苏木哈登胡舒嘎查"]
        );
    }

    #[test]
    fn streets_without_a_house_are_not_addresses() {
        for t in [
            "常规的道路维护",
            "沿着人民路走",
            "丰川市望江区",
            "这条街很热闹",
        ] {
            assert!(addrs(t).is_empty(), "{t}: {:?}", addrs(t));
        }
    }
}
