//! `generalize`: coarsen values (dates, places, numbers, strings, hierarchies) so fewer people
//! share each one's exact value. A value that cannot be coarsened the asked way is [`Invalid`].

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

use pubdata_detect::checks;

use super::Invalid;
use super::dates::{Date, parse_date};
use super::hierarchy::Hierarchy;
use crate::policy::{DateUnit, Generalization, PlaceLevel};

/// A compiled `generalize` rule.
pub struct Generalizer {
    rule: Generalization,
    as_of: Date,
    hierarchy: Option<Arc<Hierarchy>>,
    /// Addresses by their leading division names: parsing one address takes longer than the rest
    /// of a typical policy's row, and a table holds few distinct division prefixes.
    places: Mutex<HashMap<String, Result<String, Invalid>>>,
}

/// Cached division prefixes before the cache starts over (bounds memory on odd inputs).
const PLACE_CACHE: usize = 100_000;

/// Formats a number without trailing zeros (`30`, `2.5`), as people write interval bounds.
fn write_number(x: f64, out: &mut String) {
    let x = if x == 0.0 { 0.0 } else { x };
    if x.fract() == 0.0 && x.abs() < 1e15 {
        let _ = write!(out, "{}", x as i64);
    } else {
        let _ = write!(out, "{x}");
    }
}

fn parse_number(value: &str) -> Result<f64, Invalid> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or(Invalid("not a number"))
}

impl Generalizer {
    /// A generalizer; `today` is the age-band reference when the rule names no `as_of`, and
    /// `hierarchy` the loaded file of a hierarchy rule.
    pub fn new(
        rule: Generalization,
        today: Date,
        hierarchy: Option<Arc<Hierarchy>>,
    ) -> Generalizer {
        let as_of = match &rule {
            Generalization::Date {
                as_of: Some((y, m, d)),
                ..
            } => Date::new(*y, *m, *d).unwrap_or(today),
            _ => today,
        };
        Generalizer {
            rule,
            as_of,
            hierarchy,
            places: Mutex::new(HashMap::new()),
        }
    }

    /// Generalizes one value into `out` (cleared first).
    pub fn apply(&self, value: &str, out: &mut String) -> Result<(), Invalid> {
        out.clear();
        match &self.rule {
            Generalization::Date { unit, .. } => {
                let (d, _) = parse_date(value).ok_or(Invalid("not a date"))?;
                let _ = match unit {
                    DateUnit::Month => write!(out, "{:04}-{:02}", d.year, d.month),
                    DateUnit::Quarter => write!(out, "{:04}-Q{}", d.year, d.month.div_ceil(3)),
                    DateUnit::Year => write!(out, "{:04}", d.year),
                    DateUnit::AgeBand => {
                        let age = d.years_until(self.as_of);
                        if age < 0 {
                            return Err(Invalid("a date after the age-band reference date"));
                        }
                        let lo = age / 10 * 10;
                        write!(out, "{lo}-{}", lo + 9)
                    }
                };
            }
            Generalization::Place(level) => self.place(value, *level, out)?,
            Generalization::Interval(w) => {
                let x = parse_number(value)?;
                let lo = (x / w).floor() * w;
                out.push('[');
                write_number(lo, out);
                out.push_str(", ");
                write_number(lo + w, out);
                out.push(')');
            }
            Generalization::Round(decimals) => match value.split_once(',') {
                // A coordinate pair (`30.18960,121.22563`) rounds both numbers.
                Some((a, b)) => {
                    let (a, b) = (parse_number(a)?, parse_number(b)?);
                    round(a, *decimals, out);
                    out.push(',');
                    round(b, *decimals, out);
                }
                None => round(parse_number(value)?, *decimals, out),
            },
            Generalization::Clamp { bottom, top } => {
                let x = parse_number(value)?;
                match (bottom, top) {
                    (Some(b), _) if x < *b => write_number(*b, out),
                    (_, Some(t)) if x > *t => write_number(*t, out),
                    _ => out.push_str(value.trim()),
                }
            }
            Generalization::Prefix(n) => out.extend(value.chars().take(*n)),
            Generalization::Hierarchy { level, .. } => {
                let h = self
                    .hierarchy
                    .as_ref()
                    .ok_or(Invalid("hierarchy not loaded"))?;
                out.push_str(
                    h.get(value, *level)
                        .ok_or(Invalid("not in the hierarchy"))?,
                );
            }
        }
        Ok(())
    }
}

impl Generalizer {
    /// Places, with addresses looked up by their division-name prefix: the prefix alone is
    /// parsed once; an address whose prefix does not reach the level asked is parsed whole.
    fn place(&self, value: &str, level: PlaceLevel, out: &mut String) -> Result<(), Invalid> {
        let v = value.trim();
        let Some(end) = pubdata_detect::division_prefix_len(v).filter(|_| !is_code_or_id(v)) else {
            return place(value, level, out);
        };
        let prefix = &v[..end];
        let mut cache = self.places.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(hit) = cache.get(prefix) {
            return match hit {
                Ok(s) => {
                    out.push_str(s);
                    Ok(())
                }
                Err(_) => place(value, level, out),
            };
        }
        if cache.len() >= PLACE_CACHE {
            cache.clear();
        }
        let mut generalized = String::new();
        let result = place(prefix, level, &mut generalized).map(|()| generalized);
        cache.insert(prefix.to_string(), result.clone());
        drop(cache);
        match result {
            Ok(s) => {
                out.push_str(&s);
                Ok(())
            }
            Err(_) => place(value, level, out),
        }
    }
}

fn is_code_or_id(v: &str) -> bool {
    v.len() >= 6 && v.as_bytes()[..6].iter().all(u8::is_ascii_digit)
}

fn round(x: f64, decimals: i64, out: &mut String) {
    if decimals >= 0 {
        let _ = write!(out, "{x:.*}", decimals.min(17) as usize);
    } else {
        let unit = 10f64.powi(decimals.unsigned_abs().min(300) as i32);
        write_number((x / unit).round() * unit, out);
    }
}

fn region_at(code: &[u8], level: PlaceLevel, out: &mut String) -> Result<(), Invalid> {
    let province = checks::digits_value(&code[..2]).ok_or(Invalid("not a region code"))?;
    if !pubdata_detect::facts::PROVINCES
        .iter()
        .any(|&(c, _)| u32::from(c) == province)
    {
        return Err(Invalid("not a region code of a known province"));
    }
    let keep = match level {
        PlaceLevel::Province => 2,
        PlaceLevel::City => 4,
        PlaceLevel::District | PlaceLevel::RegionBirthYear => 6,
    };
    out.extend(code[..keep].iter().map(|&b| b as char));
    out.extend(std::iter::repeat_n('0', 6 - keep));
    Ok(())
}

/// Places: a 6-digit region code, a resident ID (its region, or region and birth year), or an
/// address (its administrative part, in cpca's normalized names).
fn place(value: &str, level: PlaceLevel, out: &mut String) -> Result<(), Invalid> {
    let v = value.trim();
    let b = v.as_bytes();
    if b.len() == 6 && b.iter().all(u8::is_ascii_digit) {
        if level == PlaceLevel::RegionBirthYear {
            return Err(Invalid("a region code has no birth year"));
        }
        return region_at(b, level, out);
    }
    if b.len() == 18 && b[..17].iter().all(u8::is_ascii_digit) {
        if !checks::resident_id_checksum_ok(b) {
            return Err(Invalid("not a valid resident ID (check digit)"));
        }
        region_at(&b[..6], level, out)?;
        if level == PlaceLevel::RegionBirthYear {
            out.push('/');
            out.push_str(&v[6..10]);
        }
        return Ok(());
    }
    if level == PlaceLevel::RegionBirthYear {
        return Err(Invalid("not a resident ID"));
    }
    let parsed = cpca::parse(v);
    let province = parsed
        .province
        .ok_or(Invalid("no province found in the address"))?;
    out.push_str(&province);
    if level == PlaceLevel::Province {
        return Ok(());
    }
    let city = parsed.city.ok_or(Invalid("no city found in the address"))?;
    // Municipalities repeat their name as the city (北京市北京市): write it once.
    if city != province && city != "市辖区" {
        out.push_str(&city);
    }
    if level == PlaceLevel::City {
        return Ok(());
    }
    out.push_str(
        &parsed
            .district
            .ok_or(Invalid("no district found in the address"))?,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn g(rule: Generalization, v: &str) -> Result<String, Invalid> {
        let today = Date::new(2026, 11, 27).expect("date");
        let mut out = String::new();
        Generalizer::new(rule, today, None)
            .apply(v, &mut out)
            .map(|()| out)
    }

    fn date(unit: DateUnit) -> Generalization {
        Generalization::Date { unit, as_of: None }
    }

    #[test]
    fn dates_to_month_quarter_year_and_age_band() {
        assert_eq!(
            g(date(DateUnit::Month), "1990-05-01").as_deref(),
            Ok("1990-05")
        );
        assert_eq!(
            g(date(DateUnit::Quarter), "1990/05/01").as_deref(),
            Ok("1990-Q2")
        );
        assert_eq!(
            g(date(DateUnit::Year), "1990年5月1日").as_deref(),
            Ok("1990")
        );
        assert_eq!(
            g(date(DateUnit::AgeBand), "1990-05-01").as_deref(),
            Ok("30-39")
        );
        let as_of = Generalization::Date {
            unit: DateUnit::AgeBand,
            as_of: Some((2000, 1, 1)),
        };
        assert_eq!(g(as_of, "1990-05-01").as_deref(), Ok("0-9"));
        assert!(g(date(DateUnit::AgeBand), "2030-01-01").is_err());
        assert!(g(date(DateUnit::Year), "1990-02-30").is_err());
        assert!(g(date(DateUnit::Year), "unknown").is_err());
    }

    #[test]
    fn places() {
        let p = |l, v| g(Generalization::Place(l), v);
        assert_eq!(p(PlaceLevel::City, "330106").as_deref(), Ok("330100"));
        assert_eq!(p(PlaceLevel::Province, "330106").as_deref(), Ok("330000"));
        assert_eq!(
            p(PlaceLevel::District, "11010519491231002X").as_deref(),
            Ok("110105")
        );
        assert_eq!(
            p(PlaceLevel::RegionBirthYear, "11010519491231002X").as_deref(),
            Ok("110105/1949")
        );
        assert!(
            p(PlaceLevel::RegionBirthYear, "110105194912310021").is_err(),
            "wrong check digit"
        );
        assert!(p(PlaceLevel::City, "990106").is_err(), "no province 99");
        assert_eq!(
            p(PlaceLevel::District, "浙江省杭州市西湖区文三路90号").as_deref(),
            Ok("浙江省杭州市西湖区")
        );
        assert_eq!(
            p(PlaceLevel::City, "杭州市西湖区文三路90号").as_deref(),
            Ok("浙江省杭州市")
        );
        assert_eq!(
            p(PlaceLevel::District, "北京市朝阳区建国路1号").as_deref(),
            Ok("北京市朝阳区")
        );
        assert!(p(PlaceLevel::District, "文三路90号").is_err());
    }

    #[test]
    fn numbers() {
        assert_eq!(
            g(Generalization::Interval(10.0), "37").as_deref(),
            Ok("[30, 40)")
        );
        assert_eq!(
            g(Generalization::Interval(2.5), "-1").as_deref(),
            Ok("[-2.5, 0)")
        );
        assert_eq!(
            g(Generalization::Round(-3), "12345").as_deref(),
            Ok("12000")
        );
        assert_eq!(g(Generalization::Round(1), "3.14159").as_deref(), Ok("3.1"));
        assert_eq!(
            g(Generalization::Round(2), "30.18960,121.22563").as_deref(),
            Ok("30.19,121.23")
        );
        assert!(g(Generalization::Round(2), "30.1,east").is_err());
        let clamp = Generalization::Clamp {
            bottom: Some(18.0),
            top: Some(90.0),
        };
        assert_eq!(g(clamp.clone(), "95").as_deref(), Ok("90"));
        assert_eq!(g(clamp.clone(), "3").as_deref(), Ok("18"));
        assert_eq!(g(clamp.clone(), "40").as_deref(), Ok("40"));
        assert!(g(clamp, "forty").is_err());
        assert!(g(Generalization::Interval(10.0), "NaN").is_err());
    }

    #[test]
    fn prefixes_and_hierarchies() {
        assert_eq!(g(Generalization::Prefix(3), "310000").as_deref(), Ok("310"));
        assert_eq!(
            g(Generalization::Prefix(2), "浙江省").as_deref(),
            Ok("浙江")
        );
        let h = Arc::new(Hierarchy::parse("17;15-19;*\n").expect("valid"));
        let rule = Generalization::Hierarchy {
            file: "h.csv".into(),
            level: 1,
        };
        let gen_ = Generalizer::new(rule, Date::new(2026, 1, 1).expect("date"), Some(h));
        let mut out = String::new();
        assert_eq!(gen_.apply("17", &mut out), Ok(()));
        assert_eq!(out, "15-19");
        assert!(
            gen_.apply("18", &mut out).is_err(),
            "a value outside the hierarchy is invalid"
        );
    }

    #[test]
    fn cached_addresses_give_what_a_whole_parse_gives() {
        let gen_ = Generalizer::new(
            Generalization::Place(PlaceLevel::District),
            Date::new(2026, 1, 1).expect("date"),
            None,
        );
        for v in [
            "浙江省杭州市西湖区文三路90号",
            "浙江省杭州市西湖区天目山路1号",
            "浙江省杭州市上城区解放路2号",
            "杭州市余杭区丰收路96号",
            "浙江省杭州市文三路90号",
            "北京市朝阳区建国路1号",
        ] {
            let (mut cached, mut whole) = (String::new(), String::new());
            let a = gen_.apply(v, &mut cached);
            let b = place(v, PlaceLevel::District, &mut whole);
            assert_eq!(a, b, "{v}");
            assert_eq!(cached, whole, "{v}");
        }
    }

    proptest! {
        #[test]
        fn intervals_contain_their_value(x in -1e6f64..1e6, w in 1u32..1000) {
            let out = g(Generalization::Interval(f64::from(w)), &x.to_string()).expect("number");
            let inner = out.trim_start_matches('[').trim_end_matches(')');
            let (lo, hi) = inner.split_once(", ").expect("two bounds");
            let (lo, hi): (f64, f64) = (lo.parse().expect("lo"), hi.parse().expect("hi"));
            prop_assert!(lo <= x && x < hi, "{} not in {}", x, out);
            prop_assert!((hi - lo - f64::from(w)).abs() < 1e-6);
        }

        #[test]
        fn clamped_values_stay_within_bounds(x in -1000i64..1000) {
            let rule = Generalization::Clamp { bottom: Some(-10.0), top: Some(10.0) };
            let out: f64 = g(rule, &x.to_string()).expect("number").parse().expect("number");
            prop_assert!((-10.0..=10.0).contains(&out));
        }

        #[test]
        fn years_are_a_prefix_of_the_iso_date(days in -20_000i64..30_000) {
            let d = Date::from_days(days).expect("date");
            let mut iso = String::new();
            d.write(super::super::dates::Layout::Separated('-'), &mut iso);
            prop_assert_eq!(g(date(DateUnit::Year), &iso).expect("date"), &iso[..4]);
            prop_assert_eq!(g(date(DateUnit::Month), &iso).expect("date"), &iso[..7]);
        }
    }
}
