//! Organization names: a run of CJK ending in a suffix such as 有限公司 or 医院.

use crate::admin::AdminHit;
use crate::util::{CharSet, is_cjk};
use aho_corasick::{AhoCorasick, MatchKind};
use std::sync::OnceLock;

/// Longest name part before the suffix, in characters.
const MAX_PREFIX_CHARS: usize = 30;

/// Suffixes that are also everyday words (结局, 大厅, 市中心): the name before them must contain a
/// division name (杭州市公安局, 西湖区政务服务中心).
pub(crate) const WEAK_SUFFIXES: &[&str] = &["局", "厅", "中心"];

/// Characters at which a name cannot extend further left: prepositions, verbs and pronouns
/// that introduce an organization in a sentence (在杭州某某公司, 我们公司). 和 is not one: trade
/// names use it too often (正和, 祥和, 中和).
const LEFT_STOP_CHARS: &str =
    "在于是到向从为的了与及去来往由被把给对让我你他她它们这那该本此其各每个";

/// Words that introduce an organization; the name starts after them.
const LEFT_STOP_WORDS: &[&str] = &[
    "单位", "工作", "就职", "任职", "就读", "就诊", "入住", "住院", "来自", "位于", "毕业", "供职",
    "任教", "联系", "前往", "转诊", "咨询", "投诉", "举报", "报警", "患者", "所在",
];

/// Words that, right after a suffix, make it part of an ordinary word (绑定银行卡, 银行账户).
const WORD_AFTER: &[&str] = &["卡", "账户", "账号", "帐户", "帐号", "流水"];

/// Verbs before such a word (绑定银行卡, 办理银行账户).
const VERBS_BEFORE: &[&str] = &[
    "绑定", "办理", "开通", "申请", "使用", "持有", "关联", "解绑", "挂失", "补办", "提供", "填写",
    "注销", "冻结", "更换", "一张", "新",
];

/// Characters that turn a suffix into part of a street name (学院路, 医院街).
const STREET_AFTER: &str = "路街巷弄道";

/// Stop characters, and the last characters of the stop words, as sets.
fn stop_sets() -> &'static (CharSet, CharSet) {
    static S: OnceLock<(CharSet, CharSet)> = OnceLock::new();
    S.get_or_init(|| {
        let last: String = LEFT_STOP_WORDS
            .iter()
            .filter_map(|w| w.chars().last())
            .collect();
        (
            CharSet::new([LEFT_STOP_CHARS]),
            CharSet::new([last.as_str()]),
        )
    })
}

fn suffixes() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(crate::facts::ORGANIZATION_SUFFIXES)
            .expect("suffixes are a small fixed set")
    })
}

/// The start of the name that ends with the suffix at `suffix_start`, scanning left over CJK
/// characters (and ASCII letters/digits, as in 3M中国有限公司) until a stop.
fn name_start(text: &str, suffix_start: usize) -> (usize, usize) {
    let (stop_chars, stop_last) = stop_sets();
    let mut start = suffix_start;
    let mut chars = 0;
    for c in text[..suffix_start].chars().rev() {
        let head = &text[..start];
        let ok = (is_cjk(c) || c.is_ascii_alphanumeric())
            && !stop_chars.contains(c)
            && !(stop_last.contains(c) && LEFT_STOP_WORDS.iter().any(|w| head.ends_with(w)));
        if !ok || chars >= MAX_PREFIX_CHARS {
            break;
        }
        start -= c.len_utf8();
        chars += 1;
    }
    (start, chars)
}

/// Calls `found(start, end)` for each organization name in `text`. `admin` holds the division
/// names of `text` (sorted), which weak suffixes need.
pub(crate) fn scan(text: &str, admin: &[AdminHit], mut found: impl FnMut(usize, usize)) {
    for m in suffixes().find_iter(text) {
        let (s, e) = (m.start(), m.end());
        if text[e..]
            .chars()
            .next()
            .is_some_and(|c| STREET_AFTER.contains(c))
        {
            continue;
        }
        // 绑定银行卡: after a verb, 银行 begins a word of its own (银行卡, 银行账户); after a
        // name (中国银行账号) it still ends the name.
        if WORD_AFTER.iter().any(|w| text[e..].starts_with(w))
            && VERBS_BEFORE.iter().any(|v| text[..s].ends_with(v))
        {
            continue;
        }
        let (mut start, chars) = name_start(text, s);
        if chars < 2 {
            continue;
        }
        if WEAK_SUFFIXES.contains(&&text[s..e]) {
            // Begin at the first full division name inside the name part.
            let i = admin.partition_point(|h| h.start < start);
            match admin[i..].iter().find(|h| !h.short && h.end <= s) {
                Some(h) => start = h.start,
                None => continue,
            }
        }
        // Trim leading digits/letters: "3号楼杭州..." is a number, not part of the name.
        let trimmed = text[start..s].trim_start_matches(|c: char| c.is_ascii_digit());
        start = s - trimmed.len();
        if text[start..s].chars().count() >= 2 {
            found(start, e);
        }
    }
}

/// True when the whole value is an organization name: at least two name characters before a
/// known suffix, no sentence punctuation, at most 40 characters.
pub(crate) fn is_organization(v: &str) -> bool {
    let n = v.chars().count();
    if !(3..=40).contains(&n) {
        return false;
    }
    let Some(suffix) = crate::facts::ORGANIZATION_SUFFIXES
        .iter()
        .filter(|s| v.ends_with(*s))
        .max_by_key(|s| s.len())
    else {
        return false;
    };
    let head = &v[..v.len() - suffix.len()];
    head.chars().count() >= 2
        && head
            .chars()
            .all(|c| is_cjk(c) || c.is_ascii_alphanumeric() || "（）()·&".contains(c))
        && (!WEAK_SUFFIXES.contains(suffix) || {
            let (hits, n) = crate::admin::names().find_first::<32>(head);
            hits[..n].iter().any(|h| !h.short) || n >= 2
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(t: &str) -> Vec<&str> {
        let mut hits = Vec::new();
        crate::admin::names().find_into(t, &mut hits);
        let mut v = Vec::new();
        scan(t, &hits, |s, e| v.push(&t[s..e]));
        v
    }

    #[test]
    fn whole_values() {
        for ok in [
            "杭州某某科技有限公司",
            "浙江大学医学院附属第一医院",
            "杭州市公安局",
            "中国工商银行杭州分行",
            "阿里巴巴集团",
            "西湖区政务服务中心",
        ] {
            assert!(is_organization(ok), "{ok}");
        }
        for bad in ["公司", "大学", "结局", "市中心", "我们去医院了。", "大厅"] {
            assert!(!is_organization(bad), "{bad}");
        }
    }

    #[test]
    fn in_text() {
        assert_eq!(
            find("他在杭州某某科技有限公司工作"),
            vec!["杭州某某科技有限公司"]
        );
        assert!(
            find("患者于浙江大学医学院附属第一医院就诊").contains(&"浙江大学医学院附属第一医院")
        );
        assert!(find("我们去市中心的大厅，结局很好").is_empty());
        assert!(find("今天去了医院，我们公司很忙").is_empty());
        assert_eq!(find("工作单位杭州市公安局。"), vec!["杭州市公安局"]);
        assert!(find("住学院路").is_empty());
        assert!(find("已绑定银行卡，尾号1234").is_empty());
        assert!(find("用户绑定银行账户后可提现").is_empty());
        assert_eq!(
            find("工作单位为宁波正和科技有限公司。"),
            vec!["宁波正和科技有限公司"]
        );
    }
}
