//! The operators a policy can put on a column, read from a column's TOML table.

use pubdata_detect::{PiiType, RegionTable};
use toml::{Table, Value};

/// How `pseudonymize` writes its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PseudonymFormat {
    /// Lower-case hexadecimal.
    Hex,
    /// RFC 4648 base32, upper case, no padding.
    Base32,
}

/// What `redact` puts where a span was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedactReplace {
    /// The type label, e.g. `[cn_mobile]`.
    Label,
    /// A keyed pseudonym of the span.
    Pseudonym,
}

/// The value format `encrypt_fpe` keeps valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FpeFormat {
    /// 18-digit resident IDs: region and sequence encrypted, check digit recomputed.
    ResidentId,
    /// 11-digit mobiles: the allocated 3-digit prefix kept, the rest encrypted.
    Mobile,
    /// Bank cards: the 6-digit BIN kept, the Luhn digit recomputed.
    BankCard,
    /// Any digit string of at least 6 digits.
    Digits,
}

impl FpeFormat {
    /// Every format, with the name policies and SQL functions give it.
    pub const ALL: [(&'static str, FpeFormat); 4] = [
        ("resident_id", FpeFormat::ResidentId),
        ("mobile", FpeFormat::Mobile),
        ("bank_card", FpeFormat::BankCard),
        ("digits", FpeFormat::Digits),
    ];

    /// Its name in policies and SQL.
    pub fn name(self) -> &'static str {
        FpeFormat::ALL
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("digits", |(n, _)| n)
    }
}

impl std::fmt::Display for FpeFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for FpeFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<FpeFormat, String> {
        FpeFormat::ALL
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, f)| *f)
            .ok_or_else(|| {
                let names: Vec<&str> = FpeFormat::ALL.iter().map(|(n, _)| *n).collect();
                format!("unknown format {s:?} ({})", names.join(", "))
            })
    }
}

/// A built-in region-code table that `encrypt_fpe` keeps resident IDs' region codes within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FpeRegions {
    /// County-level GB/T 2260 codes as of 2023-06-30 ([`RegionTable::gbt2260_2023`]).
    Gbt2260_2023,
}

impl FpeRegions {
    /// Every table, with the name policies give it. A table's contents never change once named
    /// (that would change its ciphertexts): newer data comes as a new name.
    pub const ALL: [(&'static str, FpeRegions); 1] = [("gbt2260-2023", FpeRegions::Gbt2260_2023)];

    /// Its name in policies (also part of the FF1 tweak).
    pub fn name(self) -> &'static str {
        FpeRegions::ALL
            .iter()
            .find(|(_, r)| *r == self)
            .map_or("gbt2260-2023", |(n, _)| n)
    }

    /// Its codes.
    pub fn table(self) -> &'static RegionTable {
        match self {
            FpeRegions::Gbt2260_2023 => RegionTable::gbt2260_2023(),
        }
    }
}

/// Everything `encrypt_fpe` needs to encrypt or decrypt one column; one value, so the policy, the
/// engine and re-identification cannot disagree on a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FpeSpec {
    /// The value format.
    pub format: FpeFormat,
    /// Resident IDs: keep the birth date in the clear instead of encrypting it.
    pub keep_birth: bool,
    /// Resident IDs: keep the region code within this table's codes of the same province
    /// (`None`: any four digits after the province, as before tables existed).
    pub regions: Option<FpeRegions>,
}

impl FpeSpec {
    /// `format` with the birth date encrypted and no region table.
    pub fn new(format: FpeFormat) -> FpeSpec {
        FpeSpec {
            format,
            keep_birth: false,
            regions: None,
        }
    }
}

/// Distribution of `noise`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoiseDistribution {
    /// Laplace noise with the given scale.
    Laplace,
    /// Gaussian noise with the given standard deviation.
    Gaussian,
}

/// The unit `generalize` coarsens dates to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateUnit {
    /// `1990-05`.
    Month,
    /// `1990-Q2`.
    Quarter,
    /// `1990`.
    Year,
    /// Ten-year age bands on the `as_of` date: `30-39`.
    AgeBand,
}

/// The level `generalize` coarsens places to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceLevel {
    /// County-level district: region code 330106, or 浙江省杭州市西湖区 for an address.
    District,
    /// Prefecture-level city: 330100, or 浙江省杭州市.
    City,
    /// Province: 330000, or 浙江省.
    Province,
    /// A resident ID to its region code and birth year: `330106/1990`.
    RegionBirthYear,
}

/// How `generalize` coarsens a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Generalization {
    /// Dates to a coarser unit; `as_of` (year, month, day) is the reference date of age bands.
    Date {
        unit: DateUnit,
        as_of: Option<(u32, u32, u32)>,
    },
    /// Region codes, addresses and resident IDs to a coarser place.
    Place(PlaceLevel),
    /// Numbers to intervals of this width.
    Interval(f64),
    /// Numbers rounded to this many decimals (negative: tens, hundreds ...).
    Round(i64),
    /// Numbers clamped into `[bottom, top]` (top and bottom coding).
    Clamp {
        bottom: Option<f64>,
        top: Option<f64>,
    },
    /// Strings cut to this many leading characters.
    Prefix(usize),
    /// A hierarchy file in ARX's CSV format, at a level.
    Hierarchy { file: String, level: usize },
}

/// An operator with its parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Operator {
    /// Pass the column through unchanged.
    Keep,
    /// Leave the column out of the output.
    Drop,
    /// Keep the first and last characters, mask the rest.
    Mask {
        keep_first: usize,
        keep_last: usize,
        mask_char: char,
    },
    /// Replace the personal information found in free text.
    Redact {
        replace: RedactReplace,
        types: Option<Vec<PiiType>>,
        /// Classification-mode detection (only spans that pass their checks); the default is
        /// redaction mode, which also redacts identifier shapes whose check fails.
        strict: bool,
    },
    /// Keyed HMAC-SHA-256 pseudonyms.
    Pseudonymize {
        format: PseudonymFormat,
        length: Option<usize>,
        prefix: String,
    },
    /// Format-preserving encryption (FF1), reversible by the key holder.
    EncryptFpe(FpeSpec),
    /// Coarsen the value.
    Generalize(Generalization),
    /// Shift dates by a keyed offset of at most `max_days`, the same for every row of one person.
    DateShift { max_days: u32, by: String },
    /// Add bounded noise to numbers.
    Noise {
        distribution: NoiseDistribution,
        scale: f64,
        bound: f64,
    },
}

const OPERATORS: &str =
    "keep, drop, mask, redact, pseudonymize, encrypt_fpe, generalize, date_shift, noise";

/// Reads typed parameters out of a column table, remembering which keys were used.
struct Params<'a> {
    table: &'a Table,
    used: Vec<&'static str>,
}

impl<'a> Params<'a> {
    fn get(&mut self, key: &'static str) -> Option<&'a Value> {
        self.used.push(key);
        self.table.get(key)
    }

    fn usize(&mut self, key: &'static str) -> Result<Option<usize>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Integer(i)) if *i >= 0 => Ok(Some(*i as usize)),
            Some(v) => Err(format!("{key} must be a whole number >= 0, not {v}")),
        }
    }

    fn float(&mut self, key: &'static str) -> Result<Option<f64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Integer(i)) => Ok(Some(*i as f64)),
            Some(Value::Float(f)) if f.is_finite() => Ok(Some(*f)),
            Some(v) => Err(format!("{key} must be a number, not {v}")),
        }
    }

    fn string(&mut self, key: &'static str) -> Result<Option<&'a str>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(format!("{key} must be a string, not {v}")),
        }
    }

    fn choice<T: Copy>(
        &mut self,
        key: &'static str,
        choices: &[(&str, T)],
        default: T,
    ) -> Result<T, String> {
        Ok(self.optional_choice(key, choices)?.unwrap_or(default))
    }

    /// One of `choices` by name, or `None` when the key is absent; an unknown name is an error
    /// listing the names.
    fn optional_choice<T: Copy>(
        &mut self,
        key: &'static str,
        choices: &[(&str, T)],
    ) -> Result<Option<T>, String> {
        let Some(s) = self.string(key)? else {
            return Ok(None);
        };
        choices
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, v)| Some(*v))
            .ok_or_else(|| {
                let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
                format!("{key} = {s:?} is not one of {}", names.join(", "))
            })
    }

    /// Fails on keys the operator does not take (a misspelt parameter must not be ignored).
    fn finish(self, op: &str) -> Result<(), String> {
        let unknown: Vec<&String> = self
            .table
            .keys()
            .filter(|k| *k != "op" && !self.used.contains(&k.as_str()))
            .collect();
        match unknown.first() {
            None => Ok(()),
            Some(k) => Err(format!(
                "{op} takes no parameter {k:?} (it takes: {})",
                self.used.join(", ")
            )),
        }
    }
}

impl Operator {
    /// The operator's name as written in policies.
    pub fn name(&self) -> &'static str {
        match self {
            Operator::Keep => "keep",
            Operator::Drop => "drop",
            Operator::Mask { .. } => "mask",
            Operator::Redact { .. } => "redact",
            Operator::Pseudonymize { .. } => "pseudonymize",
            Operator::EncryptFpe(_) => "encrypt_fpe",
            Operator::Generalize(_) => "generalize",
            Operator::DateShift { .. } => "date_shift",
            Operator::Noise { .. } => "noise",
        }
    }

    /// True when the operator needs the policy's key.
    pub fn is_keyed(&self) -> bool {
        matches!(
            self,
            Operator::Pseudonymize { .. }
                | Operator::EncryptFpe(_)
                | Operator::DateShift { .. }
                | Operator::Redact {
                    replace: RedactReplace::Pseudonym,
                    ..
                }
        )
    }

    /// Other columns the operator reads.
    pub fn referenced_columns(&self) -> Vec<&str> {
        match self {
            Operator::DateShift { by, .. } => vec![by.as_str()],
            _ => Vec::new(),
        }
    }

    /// Reads an operator from a column's table (`op = "..."` and its parameters).
    pub fn from_table(table: &Table) -> Result<Operator, String> {
        let op = match table.get("op") {
            Some(Value::String(s)) => s.as_str(),
            Some(v) => return Err(format!("op must be a string, not {v}")),
            None => {
                return Err(format!(
                    "no op: say what happens to the column ({OPERATORS})"
                ));
            }
        };
        let mut p = Params {
            table,
            used: Vec::new(),
        };
        let operator = match op {
            "keep" => Operator::Keep,
            "drop" => Operator::Drop,
            "mask" => {
                let keep_first = p.usize("keep_first")?.unwrap_or(0);
                let keep_last = p.usize("keep_last")?.unwrap_or(0);
                let mask_char = match p.string("mask_char")? {
                    None => '*',
                    Some(s) if s.chars().count() == 1 => s.chars().next().unwrap_or('*'),
                    Some(s) => return Err(format!("mask_char must be one character, not {s:?}")),
                };
                Operator::Mask {
                    keep_first,
                    keep_last,
                    mask_char,
                }
            }
            "redact" => {
                let replace = p.choice(
                    "replace",
                    &[
                        ("label", RedactReplace::Label),
                        ("pseudonym", RedactReplace::Pseudonym),
                    ],
                    RedactReplace::Label,
                )?;
                let types = match p.get("types") {
                    None => None,
                    Some(Value::Array(a)) => Some(
                        a.iter()
                            .map(|v| {
                                v.as_str().and_then(|s| s.parse().ok()).ok_or_else(|| {
                                    format!("types: {v} is not a personal-information type")
                                })
                            })
                            .collect::<Result<Vec<PiiType>, String>>()?,
                    ),
                    Some(v) => return Err(format!("types must be a list of type names, not {v}")),
                };
                let strict = match p.get("strict") {
                    None => false,
                    Some(Value::Boolean(b)) => *b,
                    Some(v) => return Err(format!("strict must be true or false, not {v}")),
                };
                Operator::Redact {
                    replace,
                    types,
                    strict,
                }
            }
            "pseudonymize" => {
                let format = p.choice(
                    "format",
                    &[
                        ("hex", PseudonymFormat::Hex),
                        ("base32", PseudonymFormat::Base32),
                    ],
                    PseudonymFormat::Hex,
                )?;
                let length = p.usize("length")?;
                if length.is_some_and(|n| n < 8) {
                    return Err(
                        "length below 8 characters makes pseudonyms collide; use 8 or more".into(),
                    );
                }
                let prefix = p.string("prefix")?.unwrap_or("").to_string();
                Operator::Pseudonymize {
                    format,
                    length,
                    prefix,
                }
            }
            "encrypt_fpe" => {
                let format = p.choice("format", &FpeFormat::ALL, FpeFormat::Digits)?;
                let keep_birth = match p.get("keep_birth") {
                    None => false,
                    Some(Value::Boolean(b)) => *b,
                    Some(v) => return Err(format!("keep_birth must be true or false, not {v}")),
                };
                let regions = p.optional_choice("regions", &FpeRegions::ALL)?;
                if regions.is_some() && format != FpeFormat::ResidentId {
                    return Err(format!(
                        "regions goes with format = \"resident_id\", not {:?}",
                        format.name()
                    ));
                }
                Operator::EncryptFpe(FpeSpec {
                    format,
                    keep_birth,
                    regions,
                })
            }
            "generalize" => Operator::Generalize(generalization(&mut p)?),
            "date_shift" => {
                let max_days = p.usize("max_days")?.ok_or("date_shift needs max_days")?;
                let max_days =
                    u32::try_from(max_days).map_err(|_| "max_days is too large".to_string())?;
                let by = p.string("by")?.ok_or(
                    "date_shift needs by = \"column\": the identifier whose rows share one offset",
                )?;
                Operator::DateShift {
                    max_days,
                    by: by.to_string(),
                }
            }
            "noise" => {
                let distribution = p.choice(
                    "distribution",
                    &[
                        ("laplace", NoiseDistribution::Laplace),
                        ("gaussian", NoiseDistribution::Gaussian),
                    ],
                    NoiseDistribution::Laplace,
                )?;
                let scale = p.float("scale")?.ok_or("noise needs scale")?;
                let bound = p
                    .float("bound")?
                    .ok_or("noise needs bound: the largest change allowed")?;
                if scale <= 0.0 || bound <= 0.0 {
                    return Err("noise scale and bound must be > 0".into());
                }
                Operator::Noise {
                    distribution,
                    scale,
                    bound,
                }
            }
            other => return Err(format!("unknown op {other:?}; one of {OPERATORS}")),
        };
        p.finish(op)?;
        Ok(operator)
    }
}

/// The date units `generalize` takes as `to`, by the names policies and SQL functions use.
pub const DATE_UNITS: [(&str, DateUnit); 4] = [
    ("month", DateUnit::Month),
    ("quarter", DateUnit::Quarter),
    ("year", DateUnit::Year),
    ("age_band", DateUnit::AgeBand),
];

/// The place levels `generalize` takes as `to`, by the names policies and SQL functions use.
pub const PLACE_LEVELS: [(&str, PlaceLevel); 4] = [
    ("district", PlaceLevel::District),
    ("city", PlaceLevel::City),
    ("province", PlaceLevel::Province),
    ("region_birth_year", PlaceLevel::RegionBirthYear),
];

impl Generalization {
    /// The generalization a `to` level names (an age band without `as_of`), if any.
    pub fn named_level(name: &str) -> Option<Generalization> {
        if let Some((_, unit)) = DATE_UNITS.iter().find(|(n, _)| *n == name) {
            return Some(Generalization::Date {
                unit: *unit,
                as_of: None,
            });
        }
        PLACE_LEVELS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, level)| Generalization::Place(*level))
    }

    /// Every `to` level's name.
    pub fn level_names() -> Vec<&'static str> {
        DATE_UNITS
            .iter()
            .map(|d| d.0)
            .chain(PLACE_LEVELS.iter().map(|p| p.0))
            .collect()
    }
}

fn generalization(p: &mut Params) -> Result<Generalization, String> {
    let to = p.string("to")?;
    let as_of = match p.string("as_of")? {
        None => None,
        Some(s) => Some(
            crate::transform::dates::parse_date(s)
                .map(|(d, _)| (d.year, d.month, d.day))
                .ok_or_else(|| format!("as_of = {s:?} is not a date (write YYYY-MM-DD)"))?,
        ),
    };
    let interval = p.float("interval")?;
    let round = match p.get("round") {
        None => None,
        Some(Value::Integer(i)) => Some(*i),
        Some(v) => return Err(format!("round must be a whole number of decimals, not {v}")),
    };
    let (top, bottom) = (p.float("top")?, p.float("bottom")?);
    let prefix = p.usize("prefix")?;
    let hierarchy = p.string("hierarchy")?;
    let level = p.usize("level")?;
    let mut chosen = Vec::new();
    if let Some(to) = to {
        chosen.push(match Generalization::named_level(to) {
            Some(Generalization::Date { unit, .. }) => Generalization::Date { unit, as_of },
            Some(level) => level,
            None => {
                return Err(format!(
                    "to = {to:?} is not one of {}",
                    Generalization::level_names().join(", ")
                ));
            }
        });
    }
    if as_of.is_some()
        && !matches!(
            chosen.first(),
            Some(Generalization::Date {
                unit: DateUnit::AgeBand,
                ..
            })
        )
    {
        return Err("as_of goes with to = \"age_band\"".into());
    }
    if let Some(w) = interval {
        if w <= 0.0 {
            return Err("interval must be > 0".into());
        }
        chosen.push(Generalization::Interval(w));
    }
    if let Some(r) = round {
        chosen.push(Generalization::Round(r));
    }
    if top.is_some() || bottom.is_some() {
        chosen.push(Generalization::Clamp { bottom, top });
    }
    if let Some(n) = prefix {
        chosen.push(Generalization::Prefix(n));
    }
    match (hierarchy, level) {
        (Some(_), Some(0)) => {
            return Err("level 0 is the value itself; use op = \"keep\" or level >= 1".into());
        }
        (Some(file), Some(level)) => chosen.push(Generalization::Hierarchy {
            file: file.to_string(),
            level,
        }),
        (Some(_), None) => {
            return Err("hierarchy needs level = N (1 is the first column after the value)".into());
        }
        (None, Some(_)) => return Err("level goes with hierarchy = \"file.csv\"".into()),
        (None, None) => {}
    }
    match chosen.len() {
        1 => Ok(chosen.remove(0)),
        0 => Err("generalize needs one of to, interval, round, top/bottom, prefix, hierarchy".into()),
        _ => Err("generalize takes one of to, interval, round, top/bottom, prefix, hierarchy, not several".into()),
    }
}
