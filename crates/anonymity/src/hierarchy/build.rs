//! Hierarchy builders for the values a column holds: numeric intervals, dates, region codes,
//! masking and explicit groupings. Each returns an ARX-shaped [`Hierarchy`] whose top level is `*`,
//! or an error listing the values it cannot place.

use std::collections::{BTreeSet, HashMap};

use super::{Hierarchy, HierarchyError, list_values};

fn refuse(what: &str, bad: Vec<String>) -> HierarchyError {
    let quoted: Vec<String> = bad.iter().map(|v| format!("{v:?}")).collect();
    HierarchyError {
        line: 0,
        message: format!("{what}: {}", list_values(&quoted)),
    }
}

fn distinct<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let set: BTreeSet<&str> = values.into_iter().collect();
    set.into_iter().map(str::to_string).collect()
}

/// Numeric intervals: level `i` puts a value into the interval of width `widths[i-1]` that holds
/// it (`[20, 25)`), the last level is `*`. Each width must divide the next so that levels nest.
pub fn intervals<'a>(
    values: impl IntoIterator<Item = &'a str>,
    widths: &[f64],
) -> Result<Hierarchy, HierarchyError> {
    if widths.is_empty() || widths.iter().any(|w| !(w.is_finite() && *w > 0.0)) {
        return Err(refuse(
            "interval widths must be positive numbers",
            widths.iter().map(|w| w.to_string()).collect(),
        ));
    }
    for pair in widths.windows(2) {
        let ratio = pair[1] / pair[0];
        if (ratio - ratio.round()).abs() > 1e-9 || ratio < 1.0 {
            return Err(refuse(
                "each interval width must be a multiple of the one before",
                vec![pair[0].to_string(), pair[1].to_string()],
            ));
        }
    }
    let values = distinct(values);
    let bad: Vec<String> = values
        .iter()
        .filter(|v| v.trim().parse::<f64>().map_or(true, |x| !x.is_finite()))
        .cloned()
        .collect();
    if !bad.is_empty() {
        return Err(refuse("not numbers", bad));
    }
    let rows = values
        .into_iter()
        .map(|v| {
            let x: f64 = v.trim().parse().unwrap_or(0.0);
            let mut row = vec![v];
            for w in widths {
                let lo = (x / w).floor() * w;
                row.push(format!("[{}, {})", fmt_num(lo), fmt_num(lo + w)));
            }
            row.push("*".into());
            row
        })
        .collect();
    Hierarchy::from_rows(rows)
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// Dates (`YYYY-MM-DD`, `YYYY/MM/DD` or `YYYYMMDD`): day, month (`2024-03`), year, decade
/// (`2020s`), `*`.
pub fn dates<'a>(values: impl IntoIterator<Item = &'a str>) -> Result<Hierarchy, HierarchyError> {
    let values = distinct(values);
    let mut bad = Vec::new();
    let mut rows = Vec::new();
    for v in values {
        match parse_ymd(v.trim()) {
            Some((y, m, _)) => rows.push(vec![
                v.clone(),
                format!("{y:04}-{m:02}"),
                format!("{y:04}"),
                format!("{}s", y / 10 * 10),
                "*".into(),
            ]),
            None => bad.push(v),
        }
    }
    if !bad.is_empty() {
        return Err(refuse("not dates (YYYY-MM-DD)", bad));
    }
    Hierarchy::from_rows(rows)
}

fn parse_ymd(s: &str) -> Option<(u32, u32, u32)> {
    let digits: String;
    let (y, m, d) = if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        (&s[0..4], &s[4..6], &s[6..8])
    } else {
        digits = s.replace('/', "-");
        let mut parts = digits.split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || y.len() != 4 || m.is_empty() || d.is_empty() {
            return None;
        }
        return check_ymd(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    };
    check_ymd(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

fn check_ymd(y: u32, m: u32, d: u32) -> Option<(u32, u32, u32)> {
    let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days).contains(&d).then_some((y, m, d))
}

/// GB/T 2260 region codes by their own structure: district `330106`, city `3301`, province
/// `33`, `*`. Six-digit codes only.
pub fn region_codes<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> Result<Hierarchy, HierarchyError> {
    let values = distinct(values);
    let bad: Vec<String> = values
        .iter()
        .filter(|v| !(v.len() == 6 && v.bytes().all(|b| b.is_ascii_digit())))
        .cloned()
        .collect();
    if !bad.is_empty() {
        return Err(refuse("not six-digit region codes", bad));
    }
    let rows = values
        .into_iter()
        .map(|v| {
            let (city, province) = (v[..4].to_string(), v[..2].to_string());
            vec![v, city, province, "*".into()]
        })
        .collect();
    Hierarchy::from_rows(rows)
}

/// Masking from the right: level `i` keeps the first `keep[i-1]` characters and replaces the
/// rest with `*`, keeping the length (`310012` → `3100**`); the last level is `*`. With `keep`
/// empty, every level masks one more character. `keep` must decrease.
pub fn masking<'a>(
    values: impl IntoIterator<Item = &'a str>,
    keep: &[usize],
) -> Result<Hierarchy, HierarchyError> {
    let values = distinct(values);
    if keep.windows(2).any(|p| p[1] >= p[0]) {
        return Err(refuse(
            "kept lengths must decrease level by level",
            keep.iter().map(|k| k.to_string()).collect(),
        ));
    }
    let longest = values.iter().map(|v| v.chars().count()).max().unwrap_or(0);
    let keep: Vec<usize> = if keep.is_empty() {
        (0..longest).rev().collect()
    } else {
        keep.to_vec()
    };
    let rows = values
        .into_iter()
        .map(|v| {
            let chars: Vec<char> = v.chars().collect();
            let mut row = vec![v.clone()];
            for &k in &keep {
                let kept = k.min(chars.len());
                let masked: String = chars[..kept]
                    .iter()
                    .copied()
                    .chain(std::iter::repeat_n('*', chars.len() - kept))
                    .collect();
                row.push(masked);
            }
            row.push("*".into());
            row
        })
        .collect();
    Hierarchy::from_rows(rows)
}

/// Explicit groupings: `levels[0]` maps each value to its group, `levels[1]` each group to a
/// coarser group, and so on; `*` tops them. Every value must belong to a group at every level.
pub fn groupings<'a>(
    values: impl IntoIterator<Item = &'a str>,
    levels: &[HashMap<String, Vec<String>>],
) -> Result<Hierarchy, HierarchyError> {
    let values = distinct(values);
    let mut up: Vec<HashMap<&str, &str>> = Vec::with_capacity(levels.len());
    for level in levels {
        let mut map = HashMap::new();
        for (group, members) in level {
            for m in members {
                if let Some(prev) = map.insert(m.as_str(), group.as_str())
                    && prev != group
                {
                    return Err(refuse(
                        "a value is in two groups of the same level",
                        vec![m.clone()],
                    ));
                }
            }
        }
        up.push(map);
    }
    let mut bad = Vec::new();
    let mut rows = Vec::new();
    'values: for v in values {
        let mut row = vec![v.clone()];
        let mut current = v.clone();
        for map in &up {
            match map.get(current.as_str()) {
                Some(group) => current = group.to_string(),
                None => {
                    bad.push(current);
                    continue 'values;
                }
            }
            row.push(current.clone());
        }
        row.push("*".into());
        rows.push(row);
    }
    if !bad.is_empty() {
        bad.sort();
        bad.dedup();
        return Err(refuse("not in any group", bad));
    }
    Hierarchy::from_rows(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn every_value_gets_nested_levels_that_hold_it(
            values in prop::collection::vec(-5000i64..5000, 1..60),
            width in 1u32..50,
            factor in 1u32..5,
        ) {
            let text: Vec<String> = values.iter().map(|v| v.to_string()).collect();
            let widths = [f64::from(width), f64::from(width * factor)];
            let h = intervals(text.iter().map(String::as_str), &widths).expect("numbers");
            for v in &values {
                let label = h.get(&v.to_string(), 1).expect("placed");
                let inner = label.trim_start_matches('[').trim_end_matches(')');
                let (lo, hi) = inner.split_once(", ").expect("interval");
                let (lo, hi): (i64, i64) = (lo.parse().expect("lo"), hi.parse().expect("hi"));
                prop_assert!(lo <= *v && *v < hi, "{v} not in {label}");
                prop_assert_eq!(h.get(&v.to_string(), 3), Some("*"));
            }
        }

        #[test]
        fn parsing_never_panics_and_round_trips_its_rows(text in "[a-c;\n*]{0,80}") {
            if let Ok(h) = Hierarchy::parse(&text) {
                let again: Vec<String> = h.rows().iter().map(|r| r.join(";")).collect();
                let h2 = Hierarchy::parse(&again.join("\n")).expect("own rows parse");
                prop_assert_eq!(h.rows(), h2.rows());
            }
        }
    }

    #[test]
    fn intervals_nest_and_refuse_non_numbers() {
        let h = intervals(["17", "23", "39"], &[5.0, 10.0]).expect("valid");
        assert_eq!(h.get("23", 1), Some("[20, 25)"));
        assert_eq!(h.get("23", 2), Some("[20, 30)"));
        assert_eq!(h.get("23", 3), Some("*"));
        let e = intervals(["17", "abc", "x"], &[5.0]).expect_err("non-numeric");
        assert!(e.message.contains(r#""abc", "x""#), "{e}");
        assert!(
            intervals(["1"], &[5.0, 7.0]).is_err(),
            "7 is no multiple of 5"
        );
    }

    #[test]
    fn dates_go_day_month_year_decade() {
        let h = dates(["2024-03-05", "19991231"]).expect("valid");
        assert_eq!(h.get("2024-03-05", 1), Some("2024-03"));
        assert_eq!(h.get("19991231", 2), Some("1999"));
        assert_eq!(h.get("19991231", 3), Some("1990s"));
        assert_eq!(h.get("19991231", 4), Some("*"));
        let e = dates(["2024-02-30", "2024-01-01"]).expect_err("no Feb 30");
        assert!(e.message.contains("2024-02-30") && !e.message.contains("2024-01-01"));
    }

    #[test]
    fn region_codes_follow_their_own_structure() {
        let h = region_codes(["330106", "330203", "110101"]).expect("valid");
        assert_eq!(h.get("330106", 1), Some("3301"));
        assert_eq!(h.get("330106", 2), Some("33"));
        assert_eq!(h.get("330203", 2), Some("33"));
        assert_eq!(h.get("110101", 3), Some("*"));
        assert!(region_codes(["33010"]).is_err());
    }

    #[test]
    fn masking_keeps_prefixes() {
        let h = masking(["310012", "310045"], &[4, 2]).expect("valid");
        assert_eq!(h.get("310012", 1), Some("3100**"));
        assert_eq!(h.get("310045", 2), Some("31****"));
        assert_eq!(h.get("310045", 3), Some("*"));
        let h = masking(["ab", "abc"], &[]).expect("valid");
        assert_eq!(h.levels(), 4);
        assert_eq!(h.get("abc", 1), Some("ab*"));
        assert_eq!(h.get("ab", 2), Some("a*"));
    }

    #[test]
    fn groupings_need_every_value_placed() {
        let l1: HashMap<String, Vec<String>> = [
            (
                "water".to_string(),
                vec!["tap".to_string(), "well".to_string()],
            ),
            ("power".to_string(), vec!["grid".to_string()]),
        ]
        .into();
        let l2: HashMap<String, Vec<String>> = [(
            "utility".to_string(),
            vec!["water".to_string(), "power".to_string()],
        )]
        .into();
        let h = groupings(["tap", "grid"], &[l1.clone(), l2]).expect("valid");
        assert_eq!(h.get("tap", 1), Some("water"));
        assert_eq!(h.get("grid", 2), Some("utility"));
        let e = groupings(["tap", "gas"], &[l1]).expect_err("gas has no group");
        assert!(e.message.contains(r#""gas""#), "{e}");
    }
}
