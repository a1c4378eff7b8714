//! Property tests: no input panics, spans are well-formed, and generated valid identifiers
//! round-trip through the recognizers.

use proptest::prelude::*;
use pubdata_detect::{Detector, PiiType, checks};
use std::sync::OnceLock;

fn detector() -> &'static Detector {
    static D: OnceLock<Detector> = OnceLock::new();
    D.get_or_init(Detector::new)
}

/// Strings mixing the characters the recognizers care about, so matchers are exercised deeply.
fn texty() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("1".to_string()),
            Just("3".to_string()),
            Just("8".to_string()),
            Just("0".to_string()),
            "[0-9]{1,19}",
            Just("X".to_string()),
            Just("-".to_string()),
            Just(" ".to_string()),
            Just(".".to_string()),
            Just("@".to_string()),
            Just(":".to_string()),
            Just("(".to_string()),
            Just("（".to_string()),
            Just("）".to_string()),
            Just("·".to_string()),
            Just("+86".to_string()),
            Just("张".to_string()),
            Just("伟".to_string()),
            Just("患者".to_string()),
            Just("浙".to_string()),
            Just("A".to_string()),
            Just("E".to_string()),
            Just("C".to_string()),
            Just("号".to_string()),
            Just("杭州市".to_string()),
            Just("西湖区".to_string()),
            Just("路".to_string()),
            Just("有限公司".to_string()),
            Just("局".to_string()),
            Just("，".to_string()),
            Just("护照".to_string()),
            Just("邮编".to_string()),
            Just("出生".to_string()),
            Just("年".to_string()),
            Just("月".to_string()),
            Just("日".to_string()),
            Just("台胞证".to_string()),
            Just("a.b".to_string()),
            Just("com".to_string()),
            "\\PC{0,3}",
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

fn check_spans(text: &str) {
    let d = detector();
    let spans = d.find_spans(text);
    let n = text.chars().count();
    let mut prev_end = 0;
    for s in &spans {
        assert!(
            s.start < s.end && s.end <= n,
            "{s:?} out of bounds in {text:?}"
        );
        assert!(
            s.start >= prev_end,
            "overlap or unsorted at {s:?} in {text:?}"
        );
        prev_end = s.end;
    }
    for k in PiiType::ALL {
        let _ = d.is_match(k, text);
    }
    let _ = d.classify(text);
    let _ = d.resident_id_info(text);
}

fn id_from(region: u32, y: u32, m: u32, day: u32, seq: u32) -> String {
    let first17 = format!("{region:06}{y:04}{m:02}{day:02}{seq:03}");
    let c = checks::resident_id_check_char(first17.as_bytes()).expect("digits");
    format!("{first17}{}", c as char)
}

fn valid_id() -> impl Strategy<Value = String> {
    let regions: Vec<u32> = pubdata_detect::facts::DISTRICTS
        .iter()
        .map(|d| d.code)
        .collect();
    (
        proptest::sample::select(regions),
        1930u32..2020,
        1u32..=12,
        1u32..=28,
        0u32..1000,
    )
        .prop_map(|(r, y, m, d, s)| id_from(r, y, m, d, s))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC*") {
        check_spans(&s);
    }

    #[test]
    fn structured_strings_never_panic(s in texty()) {
        check_spans(&s);
    }

    #[test]
    fn generated_ids_classify_as_ids(id in valid_id()) {
        let d = detector();
        prop_assert_eq!(d.classify(&id), Some(PiiType::CnResidentId));
        prop_assert!(!d.is_match(PiiType::BankCard, &id));
        let spans = d.find_spans(&format!("身份证{id}。"));
        prop_assert_eq!(spans.len(), 1);
        prop_assert_eq!(spans[0].kind, PiiType::CnResidentId);
        prop_assert_eq!((spans[0].start, spans[0].end), (3, 21));
    }

    #[test]
    fn one_substituted_digit_is_never_an_id(id in valid_id(), pos in 0usize..17, delta in 1u8..10) {
        let mut b = id.into_bytes();
        b[pos] = b'0' + (b[pos] - b'0' + delta) % 10;
        let changed = String::from_utf8(b).expect("ascii");
        prop_assert!(!detector().is_match(PiiType::CnResidentId, &changed), "{}", changed);
    }

    #[test]
    fn luhn_valid_cards_are_cards(prefix in prop_oneof![Just("62"), Just("4"), Just("53"), Just("35")],
                                  body in "[0-9]{20}", len in 16usize..=19) {
        let mut payload = format!("{prefix}{body}");
        payload.truncate(len - 1);
        let check = checks::luhn_check_digit(payload.as_bytes()).expect("digits");
        let card = format!("{payload}{}", check as char);
        let d = detector();
        // A card number that happens to be a valid resident ID is (rightly) an ID instead; one
        // that is also a valid all-digit USCC (mod 31 over all 18 characters, a stronger check
        // than Luhn) classifies as USCC.
        if !d.is_match(PiiType::CnResidentId, &card) {
            prop_assert!(d.is_match(PiiType::BankCard, &card), "{}", card);
            let want = if d.is_match(PiiType::CnUscc, &card) { PiiType::CnUscc } else { PiiType::BankCard };
            prop_assert_eq!(d.classify(&card), Some(want));
        }
    }

    #[test]
    fn generated_usccs_are_usccs(dept in proptest::sample::select(vec!['1', '5', '9', 'Y']),
                                 cat in proptest::sample::select(vec!['1', '2', '3']),
                                 region in proptest::sample::select(
                                     pubdata_detect::facts::DISTRICTS.iter().map(|d| d.code).collect::<Vec<_>>()),
                                 org in "[0-9A-HJ-NPQRTUWXY]{9}") {
        let first17 = format!("{dept}{cat}{region:06}{org}");
        let check = checks::uscc_check_char(first17.as_bytes()).expect("charset");
        let code = format!("{first17}{}", check as char);
        let d = detector();
        prop_assert!(d.is_match(PiiType::CnUscc, &code), "{}", code);
        // All-digit codes can collide with IDs, which rank first.
        prop_assert!(matches!(d.classify(&code), Some(PiiType::CnUscc | PiiType::CnResidentId)));
    }

    #[test]
    fn mobiles_inside_longer_digit_runs_are_not_found(pre in "[0-9]{1,5}", post in "[0-9]{0,5}") {
        // 86 and 0086 are the country code, which may be glued on.
        prop_assume!(pre != "86" && pre != "0086");
        let text = format!("号码{pre}13812345678{post}");
        prop_assert!(detector().find_spans(&text).iter().all(|s| s.kind != PiiType::CnMobile));
    }
}
