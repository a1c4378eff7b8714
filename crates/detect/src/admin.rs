//! Administrative-division names (province, prefecture, county), found in text with one
//! automaton built once per process from cpca's bundled division table plus `facts`.

use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::HashMap;
use std::sync::OnceLock;

/// A division name found in text, in byte offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AdminHit {
    pub start: usize,
    pub end: usize,
    /// A short form such as 浙江 or 杭州: only evidence when chained with another name.
    pub short: bool,
}

/// The division-name automaton and, per pattern, whether it is a short form.
pub(crate) struct AdminNames {
    /// Leftmost-longest matching, unanchored for text and anchored for whole values (a whole-value
    /// address only needs the chain of names at its start, which a few anchored steps find).
    /// Leftmost-longest non-overlapping matches are exactly the hits the chain logic keeps, so no
    /// overlapping search and sort is needed.
    ac: AhoCorasick,
    short: Vec<bool>,
}

/// Suffixes stripped from province names to get the forms people write (浙江, 广西, 内蒙古).
const PROVINCE_SUFFIXES: [&str; 6] = [
    "壮族自治区",
    "回族自治区",
    "维吾尔自治区",
    "特别行政区",
    "自治区",
    "省",
];

/// Two-character county names such as 城区 or 郊区 are ordinary words; county names need three
/// characters unless they are a 县 (沛县, 和县 are distinctive).
fn usable_full_name(name: &str) -> bool {
    let n = name.chars().count();
    n >= 3 || (n == 2 && name.ends_with('县'))
}

fn build() -> AdminNames {
    // Full names win over a short form spelled the same (吉林 is not a short form of 吉林市 only).
    let mut names: HashMap<String, bool> = HashMap::new();
    let mut add = |name: &str, short: bool| {
        if name.chars().count() >= 2 && name != "市辖区" {
            let e = names.entry(name.to_string()).or_insert(short);
            *e = *e && short;
        }
    };
    let parser = cpca::AddressParser::global();
    for p in parser.provinces() {
        add(p, false);
        if let Some(s) = PROVINCE_SUFFIXES.iter().find_map(|suf| p.strip_suffix(suf)) {
            add(s, true);
        } else if let Some(s) = p.strip_suffix('市') {
            add(s, true);
        }
        for c in parser.cities_of_province(p) {
            add(c, false);
            if let Some(s) = c.strip_suffix('市') {
                add(s, true);
            }
            for d in parser.districts_of_city(c) {
                if usable_full_name(d) {
                    add(d, false);
                }
            }
        }
    }
    for &(_, p) in crate::facts::PROVINCES {
        add(p, false);
    }
    for d in crate::facts::DISTRICTS {
        add(d.province, false);
        add(d.city, false);
        add(d.district, false);
    }
    names.remove("台湾居民居住证");
    let mut list: Vec<(String, bool)> = names.into_iter().collect();
    list.sort();
    // Standard semantics with a DFA, searched for overlapping matches, is a plain walk of one
    // state per byte; leftmost-longest restarts after every failed partial match, which CJK
    // text (where most characters begin some place name) makes several times slower.
    let ac = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .start_kind(aho_corasick::StartKind::Both)
        .build(list.iter().map(|(n, _)| n.as_str()))
        .expect("division names are a small fixed set");
    AdminNames {
        ac,
        short: list.into_iter().map(|(_, s)| s).collect(),
    }
}

/// The process-wide automaton (built on first use: a few milliseconds).
pub(crate) fn names() -> &'static AdminNames {
    static NAMES: OnceLock<AdminNames> = OnceLock::new();
    NAMES.get_or_init(build)
}

/// The first `N` hits of `hits` in a fixed array (no allocation on the whole-value path), and how many.
fn first_n<const N: usize>(hits: impl Iterator<Item = AdminHit>) -> ([AdminHit; N], usize) {
    let mut out = [AdminHit {
        start: 0,
        end: 0,
        short: false,
    }; N];
    let mut n = 0;
    for (slot, hit) in out.iter_mut().zip(hits) {
        *slot = hit;
        n += 1;
    }
    (out, n)
}

impl AdminNames {
    fn hit(&self, m: aho_corasick::Match) -> AdminHit {
        AdminHit {
            start: m.start(),
            end: m.end(),
            short: self.short[m.pattern().as_usize()],
        }
    }

    /// The chain of consecutive division names that starts at byte 0 of `text` (the hits that
    /// [`AdminNames::chain`] would use), at most `N` of them.
    pub(crate) fn chain_at_start<const N: usize>(&self, text: &str) -> ([AdminHit; N], usize) {
        let mut pos = 0;
        // Names are at least two characters, so every anchored step moves `pos` forward.
        first_n(std::iter::from_fn(|| {
            let input = aho_corasick::Input::new(text)
                .range(pos..)
                .anchored(aho_corasick::Anchored::Yes);
            let m = self.ac.find(input)?;
            pos = m.end();
            Some(self.hit(m))
        }))
    }

    /// Appends every non-overlapping division name in `text` to `out` (left to right).
    pub(crate) fn find_into(&self, text: &str, out: &mut Vec<AdminHit>) {
        out.extend(self.ac.find_iter(text).map(|m| self.hit(m)));
    }

    /// The first `N` leftmost-longest division names of `text`, in a fixed array, for whole
    /// values: no allocation.
    pub(crate) fn find_first<const N: usize>(&self, text: &str) -> ([AdminHit; N], usize) {
        first_n(self.ac.find_iter(text).map(|m| self.hit(m)))
    }

    /// The end of the chain of adjacent division names starting with `hits[0]`, or `None` when
    /// the chain is a lone short form (浙江 alone is as often a company or a river as a place).
    /// Returns (end byte, number of hits used).
    pub(crate) fn chain(hits: &[AdminHit]) -> Option<(usize, usize)> {
        let first = hits.first()?;
        let mut end = first.end;
        let mut n = 1;
        let mut any_full = !first.short;
        while let Some(h) = hits.get(n).filter(|h| h.start == end) {
            end = h.end;
            any_full |= !h.short;
            n += 1;
        }
        (any_full || n >= 2).then_some((end, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(t: &str) -> Vec<(String, bool)> {
        let mut v = Vec::new();
        names().find_into(t, &mut v);
        v.iter()
            .map(|h| (t[h.start..h.end].to_string(), h.short))
            .collect()
    }

    #[test]
    fn finds_full_and_short_names() {
        assert_eq!(
            hits("浙江省杭州市西湖区"),
            vec![
                ("浙江省".into(), false),
                ("杭州市".into(), false),
                ("西湖区".into(), false)
            ]
        );
        assert_eq!(
            hits("杭州西湖区"),
            vec![("杭州".into(), true), ("西湖区".into(), false)]
        );
        assert!(hits("市区很热闹，城区也是").is_empty());
    }

    #[test]
    fn lone_short_name_is_no_chain() {
        let mut v = Vec::new();
        names().find_into("浙江大学", &mut v);
        assert_eq!(AdminNames::chain(&v), None);
        v.clear();
        names().find_into("杭州西湖区", &mut v);
        assert_eq!(AdminNames::chain(&v), Some(("杭州西湖区".len(), 2)));
    }
}
