//! Cross-recognizer tests: classification priorities and spans in realistic sentences.

use super::*;
use crate::ids::tests::id18;

fn spans(d: &Detector, t: &str) -> Vec<(String, PiiType)> {
    d.find_spans(t)
        .into_iter()
        .map(|s| {
            (
                t.chars().skip(s.start).take(s.end - s.start).collect(),
                s.kind,
            )
        })
        .collect()
}

#[test]
fn classify_priorities() {
    let d = Detector::new();
    let id = id18("33010619900101123");
    assert_eq!(d.classify(&id), Some(PiiType::CnResidentId));
    assert_eq!(d.classify(" 13812345678 "), Some(PiiType::CnMobile));
    assert_eq!(d.classify("6222021234567890128"), Some(PiiType::BankCard));
    assert_eq!(d.classify("0571-87654321"), Some(PiiType::CnLandline));
    assert_eq!(d.classify("zhang@example.com"), Some(PiiType::Email));
    assert_eq!(d.classify("91350100M000100Y43"), Some(PiiType::CnUscc));
    assert_eq!(d.classify("浙A12345"), Some(PiiType::CnLicensePlate));
    assert_eq!(d.classify("E12345678"), Some(PiiType::Passport));
    assert_eq!(d.classify("C12345678"), Some(PiiType::CnHkMacauPermit));
    assert_eq!(d.classify("L12345678"), Some(PiiType::CnTaiwanPermit));
    assert_eq!(d.classify("192.168.0.1"), Some(PiiType::IpAddress));
    assert_eq!(d.classify("张伟"), Some(PiiType::PersonName));
    assert_eq!(
        d.classify("浙江省杭州市西湖区文三路90号"),
        Some(PiiType::Address)
    );
    assert_eq!(d.classify("1990-01-01"), Some(PiiType::DateOfBirth));
    assert_eq!(d.classify("女"), Some(PiiType::Gender));
    assert_eq!(d.classify("310012"), Some(PiiType::PostalCode));
    assert_eq!(d.classify("30.2741,120.1551"), Some(PiiType::GeoCoordinate));
    assert_eq!(
        d.classify("杭州某某科技有限公司"),
        Some(PiiType::OrganizationName)
    );
    // An order number: 18 digits, bad check digit.
    let mut order = id.into_bytes();
    order[17] = if order[17] == b'1' { b'2' } else { b'1' };
    let order = String::from_utf8(order).expect("ascii");
    assert_ne!(d.classify(&order), Some(PiiType::CnResidentId));
    assert_eq!(d.classify("202405120830112345"), None);
    for nothing in ["", "   ", "hello", "12345", "15412345678", "高兴"] {
        assert_eq!(d.classify(nothing), None, "{nothing}");
    }
}

#[test]
fn every_type_matches_its_example_only_where_expected() {
    let d = Detector::new();
    assert!(d.is_match(PiiType::BankCard, "4111 1111 1111 1111"));
    assert!(!d.is_match(PiiType::CnMobile, "154 1234 5678"));
    assert!(!d.is_match(PiiType::CnResidentId, ""));
}

#[test]
fn resident_id_info_and_regions() {
    let id = id18("33010319900101124");
    let table =
        RegionTable::from_csv_str("code,name,cityCode,provinceCode\n330106,\"西湖区\",3301,33\n")
            .expect("table");
    let d = Detector::with_regions(table);
    let info = d.resident_id_info(&id).expect("valid id with retired code");
    assert_eq!(info.region_code, 330103);
    assert_eq!(info.region_current, Some(false));
    assert!(info.female);
    assert_eq!(
        Detector::new()
            .resident_id_info(&id)
            .map(|i| i.region_current),
        Some(None)
    );
    let current = d
        .resident_id_info(&id18("33010619900101123"))
        .expect("valid");
    assert_eq!(current.region_current, Some(true));
    let mut wrong = current_id_with_wrong_check();
    assert!(d.resident_id_info(&wrong).is_none());
    wrong.truncate(15);
    assert!(
        d.resident_id_info(&wrong).is_none(),
        "15 chars cut from an 18-digit ID carry a 4-digit year"
    );
}

fn current_id_with_wrong_check() -> String {
    let id = id18("33010619900101123");
    let wrong = if id.ends_with('0') { '1' } else { '0' };
    format!("{}{wrong}", &id[..17])
}

#[test]
fn spans_in_a_patient_remark() {
    let d = Detector::new();
    let id = id18("33010619900101123");
    let t = format!("患者张伟，身份证号{id}，手机13812345678，住杭州市西湖区文三路90号3幢201室。");
    let got = d.find_spans(&t);
    assert_eq!(
        got,
        vec![
            Span {
                start: 2,
                end: 4,
                kind: PiiType::PersonName,
                checked: true,
            },
            Span {
                start: 9,
                end: 27,
                kind: PiiType::CnResidentId,
                checked: true,
            },
            Span {
                start: 30,
                end: 41,
                kind: PiiType::CnMobile,
                checked: true,
            },
            Span {
                start: 43,
                end: 61,
                kind: PiiType::Address,
                checked: true,
            },
        ]
    );
}

#[test]
fn spans_of_every_text_type() {
    let d = Detector::new();
    let cases: &[(&str, &[(&str, PiiType)])] = &[
        (
            "联系人：李娜，电话0571-87654321，邮箱lina@example.com。",
            &[
                ("李娜", PiiType::PersonName),
                ("0571-87654321", PiiType::CnLandline),
                ("lina@example.com", PiiType::Email),
            ],
        ),
        (
            "卡号6222 0212 3456 7890 128，车牌浙A·12345。",
            &[
                ("6222 0212 3456 7890 128", PiiType::BankCard),
                ("浙A·12345", PiiType::CnLicensePlate),
            ],
        ),
        (
            "护照号E12345678，港澳通行证C12345678，台胞证12345678。",
            &[
                ("E12345678", PiiType::Passport),
                ("C12345678", PiiType::CnHkMacauPermit),
                ("12345678", PiiType::CnTaiwanPermit),
            ],
        ),
        (
            "登录IP 192.168.1.10，邮编310012，出生日期1990年1月1日。",
            &[
                ("192.168.1.10", PiiType::IpAddress),
                ("310012", PiiType::PostalCode),
                ("1990年1月1日", PiiType::DateOfBirth),
            ],
        ),
        (
            "他在杭州某某科技有限公司工作，信用代码91350100M000100Y43。",
            &[
                ("杭州某某科技有限公司", PiiType::OrganizationName),
                ("91350100M000100Y43", PiiType::CnUscc),
            ],
        ),
        (
            "外交护照D1234567，另一份文件编号D7654321",
            &[("D1234567", PiiType::Passport)],
        ),
        (
            "请联系+86 138-1234-5678或(010)62345678",
            &[
                ("+86 138-1234-5678", PiiType::CnMobile),
                ("(010)62345678", PiiType::CnLandline),
            ],
        ),
    ];
    for (text, want) in cases {
        let want: Vec<(String, PiiType)> = want.iter().map(|(s, k)| (s.to_string(), *k)).collect();
        assert_eq!(spans(&d, text), want, "{text}");
    }
}

#[test]
fn numbers_inside_longer_numbers_are_not_matched() {
    let d = Detector::new();
    let id = id18("33010619900101123");
    for t in [
        "订单号12345678901381234567890".to_string(),
        "流水20240512138123456789".to_string(),
        format!("编号9{id}"),
        "ab13812345678".to_string(),
        "版本1.2.3.4.5".to_string(),
        "其他日期2023年5月1日就诊".to_string(),
        "金额87654321元".to_string(),
        "产品编号310012".to_string(),
        "台湾12345678".to_string(),
    ] {
        assert!(d.find_spans(&t).is_empty(), "{t}: {:?}", spans(&d, &t));
    }
}

#[test]
fn overlaps_prefer_priority_then_length() {
    let d = Detector::new();
    // The mobile inside the e-mail is part of the e-mail.
    assert_eq!(
        spans(&d, "邮箱13812345678@163.com"),
        vec![("13812345678@163.com".into(), PiiType::Email)]
    );
    // A valid ID that is also Luhn-valid is reported once, as an ID.
    for seq in 100..300 {
        let id = id18(&format!("41010219900101{seq}"));
        if checks::luhn_ok(id.as_bytes()) {
            assert_eq!(
                spans(&d, &format!("号码{id}")),
                vec![(id.clone(), PiiType::CnResidentId)]
            );
        }
    }
}

#[test]
fn find_spans_into_reuses_the_buffer() {
    let d = Detector::new();
    let mut out = vec![Span {
        start: 9,
        end: 10,
        kind: PiiType::Gender,
        checked: true,
    }];
    d.find_spans_into("手机13812345678", &mut out);
    assert_eq!(
        out,
        vec![Span {
            start: 2,
            end: 13,
            kind: PiiType::CnMobile,
            checked: true,
        }]
    );
    d.find_spans_into("", &mut out);
    assert!(out.is_empty());
}

#[test]
fn detector_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Detector>();
}

/// Ordinary remark sentences: (text, the names in it). Precision and recall of person names
/// must both reach 0.95.
const NAME_CORPUS: &[(&str, &[&str])] = &[
    ("患者张伟，男，45岁，因胸痛入院。", &["张伟"]),
    ("联系人：李娜，电话见附件。", &["李娜"]),
    ("由王小明负责跟进此事。", &["王小明"]),
    ("申请人刘洋提交了材料。", &["刘洋"]),
    ("请联系陈静女士确认时间。", &["陈静"]),
    ("居民赵磊反映楼道灯坏了。", &["赵磊"]),
    ("家属孙丽说患者昨晚睡得不好。", &["孙丽"]),
    ("周杰先生来电咨询办理进度。", &["周杰"]),
    ("经办人：吴敏", &["吴敏"]),
    ("姓名：欧阳娜娜", &["欧阳娜娜"]),
    ("黄海波表示已收到通知。", &["黄海波"]),
    ("与林涛联系后确认地址。", &["林涛"]),
    ("患者徐芳于昨日出院。", &["徐芳"]),
    ("业主郭建国称漏水已修好。", &["郭建国"]),
    ("马丽的电话一直打不通。", &["马丽"]),
    ("司机何勇在路口等候。", &["何勇"]),
    ("朱婷同志工作认真负责。", &["朱婷"]),
    ("张三，男，身份证已核验。", &["张三"]),
    ("投诉人杨帆要求退款。", &["杨帆"]),
    ("高峰时段请绕行。", &[]),
    ("我很高兴见到你。", &[]),
    ("请张开嘴配合检查。", &[]),
    ("方便的时候回个电话。", &[]),
    ("周末门诊人数较多。", &[]),
    ("黄金周期间暂停办理。", &[]),
    ("他陈述了当时的情况。", &[]),
    ("林业局的同志来了。", &[]),
    ("江苏籍旅客需登记。", &[]),
    ("由于天气原因航班延误。", &[]),
    ("关于王国的故事很有趣。", &[]),
    ("有关部门已介入调查。", &[]),
    ("马上安排人员处理。", &[]),
    ("安全第一，预防为主。", &[]),
    ("明天上午九点开会。", &[]),
    ("文件已经发到邮箱。", &[]),
    ("金额较大需要审批。", &[]),
    ("常规检查未见异常。", &[]),
    ("全部材料已齐全。", &[]),
    ("单位证明需加盖公章。", &[]),
    ("时间定在下周三。", &[]),
];

#[test]
fn person_name_precision_and_recall() {
    let d = Detector::new();
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    for (text, want) in NAME_CORPUS {
        let got: Vec<String> = spans(&d, text)
            .into_iter()
            .filter(|(_, k)| *k == PiiType::PersonName)
            .map(|(s, _)| s)
            .collect();
        for g in &got {
            if want.contains(&g.as_str()) {
                tp += 1;
            } else {
                fp += 1;
                eprintln!("false positive {g:?} in {text}");
            }
        }
        for w in *want {
            if !got.iter().any(|g| g == w) {
                fn_ += 1;
                eprintln!("missed {w:?} in {text}");
            }
        }
    }
    let precision = f64::from(tp) / f64::from((tp + fp).max(1));
    let recall = f64::from(tp) / f64::from((tp + fn_).max(1));
    assert!(
        precision >= 0.95 && recall >= 0.95,
        "precision {precision:.3}, recall {recall:.3}"
    );
}

#[test]
fn redaction_reads_full_width_digits_and_keeps_character_offsets() {
    let d = Detector::new();
    let t = "电话：１３８１２３４５６７８，地址见上。";
    let spans = d.find_spans_mode(t, crate::DetectMode::Redaction);
    assert_eq!(spans.len(), 1, "{spans:?}");
    assert_eq!((spans[0].start, spans[0].end), (3, 14));
    assert_eq!(spans[0].kind, PiiType::CnMobile);
    // Full-width punctuation alone changes nothing.
    assert!(
        d.find_spans_mode("今天天气很好，明天下雨。", crate::DetectMode::Redaction)
            .is_empty()
    );
}
