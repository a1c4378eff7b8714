use super::*;
use arrow_array::{Array, StringArray};
use pubdata_detect::checks;

fn column(batch: &RecordBatch, name: &str) -> StringArray {
    let i = batch.schema().index_of(name).expect("column exists");
    batch
        .column(i)
        .as_any()
        .downcast_ref::<StringArray>()
        .expect("strings")
        .clone()
}

#[test]
fn same_seed_gives_same_table_whatever_the_batch_size() {
    let mut a = CitizenGenerator::new(7, 50);
    let whole = a.next_batch(50, None).expect("rows");
    let mut b = CitizenGenerator::new(7, 50);
    let mut parts = Vec::new();
    while let Some(batch) = b.next_batch(13, None) {
        parts.push(batch);
    }
    let joined = arrow_select_concat(&parts);
    assert_eq!(column(&whole, "resident_id"), joined);
    let mut c = CitizenGenerator::new(8, 50);
    assert_ne!(
        column(&whole, "resident_id"),
        column(&c.next_batch(50, None).expect("rows"), "resident_id")
    );
}

fn arrow_select_concat(parts: &[RecordBatch]) -> StringArray {
    let values: Vec<Option<String>> = parts
        .iter()
        .flat_map(|b| {
            let c = column(b, "resident_id");
            (0..c.len())
                .map(move |i| c.is_valid(i).then(|| c.value(i).to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    StringArray::from(values)
}

#[test]
fn resident_ids_agree_with_birth_date_gender_and_check_digit() {
    let mut g = CitizenGenerator::new(1, 2000);
    let b = g.next_batch(2000, None).expect("rows");
    let (ids, births, genders) = (
        column(&b, "resident_id"),
        column(&b, "birth_date"),
        column(&b, "gender"),
    );
    for i in 0..b.num_rows() {
        let id = ids.value(i);
        assert!(checks::resident_id_checksum_ok(id.as_bytes()), "{id}");
        assert_eq!(&id[6..14], births.value(i).replace('-', ""));
        let odd = (id.as_bytes()[16] - b'0') % 2 == 1;
        assert_eq!(odd, genders.value(i) == "男", "{id}");
        assert!(
            facts::DISTRICTS
                .iter()
                .any(|d| format!("{:06}", d.code) == id[..6])
        );
    }
}

#[test]
fn cards_and_credit_codes_are_valid() {
    let mut g = CitizenGenerator::new(2, 1000);
    let b = g.next_batch(1000, None).expect("rows");
    let (cards, codes) = (column(&b, "bank_card"), column(&b, "employer_uscc"));
    for i in 0..b.num_rows() {
        assert!(
            checks::luhn_ok(cards.value(i).as_bytes()),
            "{}",
            cards.value(i)
        );
        assert!(
            !checks::resident_id_checksum_ok(cards.value(i).as_bytes())
                || cards.value(i).len() != 18
        );
        assert!(
            checks::uscc_checksum_ok(codes.value(i).as_bytes()),
            "{}",
            codes.value(i)
        );
    }
}

#[test]
fn truth_spans_cover_exactly_the_embedded_values() {
    let mut g = CitizenGenerator::new(3, 500);
    let mut truth = Vec::new();
    let b = g.next_batch(500, Some(&mut truth)).expect("rows");
    let remarks = column(&b, "remarks");
    let (names, mobiles) = (column(&b, "name"), column(&b, "mobile"));
    assert!(truth.len() > 500, "most remarks embed two or more values");
    for s in &truth {
        let text: String = remarks
            .value(s.row as usize)
            .chars()
            .skip(s.start)
            .take(s.end - s.start)
            .collect();
        match s.kind {
            PiiType::PersonName => assert_eq!(text, names.value(s.row as usize)),
            PiiType::CnMobile => assert_eq!(text, mobiles.value(s.row as usize)),
            _ => assert!(!text.is_empty()),
        }
    }
}

#[test]
fn district_codes_exist_in_the_national_table() {
    let path = std::path::Path::new("../../../shared/data/regions/areas.csv");
    let Ok(table) = std::fs::read_to_string(path) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{} is missing under CI",
            path.display()
        );
        eprintln!("skipping: {} not found", path.display());
        return;
    };
    for d in facts::DISTRICTS {
        let needle = format!("{},\"{}\"", d.code, d.district);
        assert!(table.contains(&needle), "{needle} not in areas.csv");
    }
}

#[test]
fn every_city_has_its_own_facts_and_postal_codes_lie_in_its_province() {
    for d in pubdata_detect::facts::DISTRICTS {
        let key = if d.city.is_empty() {
            d.province
        } else {
            d.city
        };
        let facts = places::city_facts(d);
        // A city missing from the table would borrow Hangzhou's codes.
        assert!(
            key == "杭州市" || facts.postal != "3100",
            "{key} has no facts of its own"
        );
        // A province's codes may span two leading pairs (Zhejiang 31 and 32: Wenzhou 325000):
        // the first digit, China Post's region, is the province's.
        assert_eq!(
            facts.postal[..1],
            places::postal_prefix(d.code / 10_000)[..1],
            "{key}: {} outside its province",
            facts.postal
        );
    }
}

#[test]
fn a_generated_postal_code_is_in_the_range_of_the_address_city() {
    let mut g = CitizenGenerator::new(11, 400);
    let batch = g.next_batch(400, None).expect("rows");
    let (addresses, codes) = (column(&batch, "address"), column(&batch, "postal_code"));
    let mut checked = 0;
    for (address, code) in addresses.iter().zip(codes.iter()) {
        let (Some(address), Some(code)) = (address, code) else {
            continue;
        };
        let district = pubdata_detect::facts::DISTRICTS
            .iter()
            .find(|d| address.starts_with(&format!("{}{}{}", d.province, d.city, d.district)))
            .expect("the address starts with a known district");
        assert!(
            code.starts_with(places::city_facts(district).postal),
            "{address} with postal code {code}"
        );
        checked += 1;
    }
    assert!(checked > 300, "{checked}");
}
