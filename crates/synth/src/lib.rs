//! Deterministic synthetic residents: a realistic table to test and benchmark on without real data.
//!
//! Every value that carries a check digit is valid (resident IDs agree with region, birth date and
//! gender; bank cards pass Luhn; credit codes pass GB 32100), and the generator records the ground
//! truth: the personal-information type of every column and every span it embeds in the remarks.
//! One seed gives one table, whatever the batch size, because rows draw from a single stream in order.

mod places;
mod remarks;

use std::sync::Arc;

use arrow_array::{RecordBatch, builder::StringBuilder};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use pubdata_detect::{PiiType, checks, facts};
use rand::{Rng, SeedableRng, seq::IndexedRandom};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

pub use remarks::TruthSpan;

/// What a column of the generated table really holds.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnTruth {
    /// Column name.
    pub name: &'static str,
    /// Personal-information type, `None` for non-personal columns and the free-text column.
    #[serde(rename = "type")]
    pub kind: Option<PiiType>,
    /// Role a scan should suggest: direct_identifier, quasi_identifier, sensitive, free_text or other.
    pub role: &'static str,
}

const fn col(name: &'static str, kind: Option<PiiType>, role: &'static str) -> ColumnTruth {
    ColumnTruth { name, kind, role }
}

/// The columns of `pubdata gen citizens`, in order, with their ground truth.
pub const CITIZEN_COLUMNS: &[ColumnTruth] = &[
    col("person_id", None, "other"),
    col("name", Some(PiiType::PersonName), "direct_identifier"),
    col("gender", Some(PiiType::Gender), "quasi_identifier"),
    col("birth_date", Some(PiiType::DateOfBirth), "quasi_identifier"),
    col(
        "resident_id",
        Some(PiiType::CnResidentId),
        "direct_identifier",
    ),
    col("mobile", Some(PiiType::CnMobile), "direct_identifier"),
    col("home_phone", Some(PiiType::CnLandline), "direct_identifier"),
    col("email", Some(PiiType::Email), "direct_identifier"),
    col("address", Some(PiiType::Address), "quasi_identifier"),
    col("postal_code", Some(PiiType::PostalCode), "quasi_identifier"),
    col("bank_card", Some(PiiType::BankCard), "direct_identifier"),
    col(
        "license_plate",
        Some(PiiType::CnLicensePlate),
        "direct_identifier",
    ),
    col(
        "employer",
        Some(PiiType::OrganizationName),
        "quasi_identifier",
    ),
    col("employer_uscc", Some(PiiType::CnUscc), "direct_identifier"),
    col(
        "last_login_ip",
        Some(PiiType::IpAddress),
        "quasi_identifier",
    ),
    col(
        "home_location",
        Some(PiiType::GeoCoordinate),
        "quasi_identifier",
    ),
    col("diagnosis", None, "sensitive"),
    col("annual_income", None, "sensitive"),
    col("remarks", None, "free_text"),
];

/// Index of the free-text column in [`CITIZEN_COLUMNS`].
pub const REMARKS_COLUMN: usize = 18;

/// Arrow schema of the citizens table: all nullable strings, as a CSV of it would read back.
pub fn citizens_schema() -> SchemaRef {
    let fields: Vec<Field> = CITIZEN_COLUMNS
        .iter()
        .map(|c| Field::new(c.name, DataType::Utf8, true))
        .collect();
    Arc::new(Schema::new(fields))
}

/// One generated resident, as the values of one row.
pub(crate) struct Person {
    pub name: String,
    pub female: bool,
    pub birth: (u32, u32, u32),
    pub resident_id: String,
    pub mobile: String,
    pub home_phone: String,
    pub email: String,
    pub address: String,
    pub district: &'static facts::District,
    pub postal_code: String,
    pub bank_card: String,
    pub plate: Option<String>,
    pub employer: String,
    pub employer_uscc: String,
    pub ip: String,
    pub location: String,
    pub diagnosis: &'static str,
    pub income: u32,
}

/// Streams the citizens table in batches.
pub struct CitizenGenerator {
    rng: ChaCha8Rng,
    next_row: u64,
    remaining: u64,
}

impl CitizenGenerator {
    /// A generator of `rows` residents from `seed`.
    pub fn new(seed: u64, rows: u64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            next_row: 0,
            remaining: rows,
        }
    }

    /// Rows not yet generated.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// The next batch of at most `max_rows` rows, or `None` when done. Spans embedded in the remarks
    /// are appended to `truth` with their 0-based row numbers when it is given.
    pub fn next_batch(
        &mut self,
        max_rows: usize,
        mut truth: Option<&mut Vec<TruthSpan>>,
    ) -> Option<RecordBatch> {
        let n = (max_rows as u64).min(self.remaining) as usize;
        if n == 0 {
            return None;
        }
        let mut cols: Vec<StringBuilder> = (0..CITIZEN_COLUMNS.len())
            .map(|_| StringBuilder::with_capacity(n, n * 16))
            .collect();
        let mut remark = String::with_capacity(160);
        for _ in 0..n {
            let row = self.next_row;
            let p = person(&mut self.rng);
            remark.clear();
            remarks::write_remark(&mut self.rng, &p, row, &mut remark, truth.as_deref_mut());
            let (y, m, d) = p.birth;
            cols[0].append_value(format!("P{:08}", row + 1));
            cols[1].append_value(&p.name);
            cols[2].append_value(if p.female { "女" } else { "男" });
            cols[3].append_value(format!("{y:04}-{m:02}-{d:02}"));
            cols[4].append_value(&p.resident_id);
            cols[5].append_value(&p.mobile);
            cols[6].append_value(&p.home_phone);
            cols[7].append_value(&p.email);
            cols[8].append_value(&p.address);
            cols[9].append_value(&p.postal_code);
            cols[10].append_value(&p.bank_card);
            cols[11].append_option(p.plate.as_deref());
            cols[12].append_value(&p.employer);
            cols[13].append_value(&p.employer_uscc);
            cols[14].append_value(&p.ip);
            cols[15].append_value(&p.location);
            cols[16].append_value(p.diagnosis);
            cols[17].append_value(p.income.to_string());
            cols[18].append_value(&remark);
            self.next_row += 1;
        }
        self.remaining -= n as u64;
        let arrays = cols
            .into_iter()
            .map(|mut b| Arc::new(b.finish()) as _)
            .collect();
        RecordBatch::try_new(citizens_schema(), arrays).ok()
    }
}

fn digits(rng: &mut ChaCha8Rng, n: usize, out: &mut String) {
    for _ in 0..n {
        out.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
}

pub(crate) fn pick<'a, T>(rng: &mut ChaCha8Rng, xs: &'a [T]) -> &'a T {
    // The tables are non-empty constants, so `choose` cannot fail.
    xs.choose(rng).unwrap_or(&xs[0])
}

fn chinese_name(rng: &mut ChaCha8Rng) -> String {
    let mut s = String::new();
    if rng.random_bool(0.02) {
        s.push_str(pick::<&str>(rng, facts::COMPOUND_SURNAMES));
    } else {
        s.push_str(pick::<&str>(rng, facts::SURNAMES));
    }
    let given: Vec<char> = facts::GIVEN_NAME_CHARS
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let len = if rng.random_bool(0.7) { 2 } else { 1 };
    for _ in 0..len {
        s.push(*pick(rng, &given));
    }
    s
}

fn resident_id(
    rng: &mut ChaCha8Rng,
    region: u32,
    (y, m, d): (u32, u32, u32),
    female: bool,
) -> String {
    let seq = rng.random_range(0..500u32) * 2 + u32::from(!female);
    let mut s = format!("{region:06}{y:04}{m:02}{d:02}{seq:03}");
    let check = checks::resident_id_check_char(s.as_bytes()).unwrap_or(b'0');
    s.push(char::from(check));
    s
}

fn mobile(rng: &mut ChaCha8Rng) -> String {
    let prefix = pick(rng, facts::MOBILE_PREFIXES);
    let mut s = prefix.to_string();
    digits(rng, 8, &mut s);
    s
}

fn landline(rng: &mut ChaCha8Rng, area: &str) -> String {
    let mut s = format!("{area}-{}", rng.random_range(2..10u8));
    // Big cities (3-digit area codes) have 8-digit local numbers, others 7 or 8.
    let len = if area.len() == 3 || rng.random_bool(0.6) {
        7
    } else {
        6
    };
    digits(rng, len, &mut s);
    s
}

fn bank_card(rng: &mut ChaCha8Rng) -> String {
    const BINS: &[&str] = &[
        "622202", "622848", "621700", "622700", "620522", "622588", "436742", "524094",
    ];
    let bin = pick(rng, BINS);
    let len = if bin.starts_with('6') && rng.random_bool(0.7) {
        19
    } else {
        16
    };
    let mut s = bin.to_string();
    digits(rng, len - 1 - bin.len(), &mut s);
    let check = checks::luhn_check_digit(s.as_bytes()).unwrap_or(b'0');
    s.push(char::from(check));
    s
}

fn uscc(rng: &mut ChaCha8Rng, region: u32) -> String {
    let mut s = format!("91{region:06}");
    // The organization code (GB 11714) inside carries its own check character.
    let mut org = String::new();
    for _ in 0..8 {
        org.push(char::from(*pick(rng, &checks::USCC_CHARSET[..])));
    }
    const W: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = org
        .bytes()
        .zip(W)
        .map(|(c, w)| {
            w * if c.is_ascii_digit() {
                u32::from(c - b'0')
            } else {
                u32::from(c - b'A') + 10
            }
        })
        .sum();
    let c9 = match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        v => char::from(b'0' + v as u8),
    };
    s.push_str(&org);
    s.push(c9);
    let check = checks::uscc_check_char(s.as_bytes()).unwrap_or(b'0');
    s.push(char::from(check));
    s
}

fn person(rng: &mut ChaCha8Rng) -> Person {
    // Four in five residents live in the model province, the rest come from elsewhere.
    let zhejiang = facts::DISTRICTS
        .iter()
        .filter(|d| d.code / 10_000 == 33)
        .count();
    let district = if rng.random_bool(0.8) {
        &facts::DISTRICTS[rng.random_range(0..zhejiang)]
    } else {
        &facts::DISTRICTS[rng.random_range(zhejiang..facts::DISTRICTS.len())]
    };
    let province = district.code / 10_000;
    let city = places::city_facts(district);
    let female = rng.random_bool(0.5);
    let y = rng.random_range(1940..=2008u32);
    let m = rng.random_range(1..=12u32);
    let d = loop {
        let d = rng.random_range(1..=31u32);
        if checks::is_valid_date(y, m, d) {
            break d;
        }
    };
    let name = chinese_name(rng);
    let resident_id = resident_id(rng, district.code, (y, m, d), female);
    let city_name = if district.city.is_empty() {
        ""
    } else {
        district.city
    };
    let address = if rng.random_bool(0.5) {
        format!(
            "{}{}{}{}{}号{}幢{}单元{}室",
            district.province,
            city_name,
            district.district,
            pick(rng, places::ROADS),
            rng.random_range(1..400u32),
            rng.random_range(1..30u32),
            rng.random_range(1..5u32),
            rng.random_range(1..30u32) * 100 + rng.random_range(1..5u32),
        )
    } else {
        format!(
            "{}{}{}{}{}号{}小区{}栋{}室",
            district.province,
            city_name,
            district.district,
            pick(rng, places::ROADS),
            rng.random_range(1..400u32),
            pick(rng, places::COMPOUNDS).trim_end_matches("小区"),
            rng.random_range(1..30u32),
            rng.random_range(1..30u32) * 100 + rng.random_range(1..5u32),
        )
    };
    // The city's own range (a Hangzhou address never gets Ningbo's 3159xx): its four digits,
    // then a delivery office.
    let mut postal_code = city.postal.to_string();
    digits(rng, 2, &mut postal_code);
    let plate = rng.random_bool(0.6).then(|| {
        let letters: Vec<char> = facts::PLATE_LETTERS.chars().collect();
        let mut p = String::new();
        p.push(places::plate_province(province));
        p.push(city.plate_letter);
        if rng.random_bool(0.15) {
            // New-energy plate: D (battery) or F (hybrid) then six characters.
            p.push(if rng.random_bool(0.7) { 'D' } else { 'F' });
            digits(rng, 5, &mut p);
        } else {
            for i in 0..5 {
                if i < 2 && rng.random_bool(0.3) {
                    p.push(*pick(rng, &letters));
                } else {
                    p.push(char::from(b'0' + rng.random_range(0..10u8)));
                }
            }
        }
        p
    });
    let employer = format!(
        "{}{}{}有限公司",
        if city_name.is_empty() {
            district.province.trim_end_matches('市')
        } else {
            city_name.trim_end_matches('市')
        },
        pick(rng, places::COMPANY_WORDS),
        pick(rng, places::INDUSTRIES)
    );
    let mut email = String::new();
    for _ in 0..rng.random_range(4..9) {
        email.push(char::from(b'a' + rng.random_range(0..26u8)));
    }
    let n = rng.random_range(0..4);
    digits(rng, n, &mut email);
    email.push('@');
    email.push_str(pick::<&str>(rng, places::EMAIL_DOMAINS));
    let ip = format!(
        "{}.{}.{}.{}",
        rng.random_range(1..224u32),
        rng.random_range(0..256u32),
        rng.random_range(0..256u32),
        rng.random_range(1..255u32)
    );
    let location = format!(
        "{:.5},{:.5}",
        rng.random_range(27.0..31.2f64),
        rng.random_range(118.0..122.8f64)
    );
    Person {
        name,
        female,
        birth: (y, m, d),
        resident_id,
        mobile: mobile(rng),
        home_phone: landline(rng, city.area_code),
        email,
        address,
        district,
        postal_code,
        bank_card: bank_card(rng),
        plate,
        employer_uscc: uscc(rng, district.code),
        employer,
        ip,
        location,
        diagnosis: pick::<&str>(rng, places::DIAGNOSES),
        income: rng.random_range(12..600u32) * 1000,
    }
}

#[cfg(test)]
mod tests;
