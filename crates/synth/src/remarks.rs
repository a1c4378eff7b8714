//! The free-text remarks column: sentences a case worker would write, with personal information
//! embedded, and the exact character span of each piece recorded as ground truth.

use pubdata_detect::PiiType;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::{Person, pick};

/// A span of personal information the generator wrote into a remark (character offsets, end exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TruthSpan {
    /// 0-based row number.
    pub row: u64,
    /// First character.
    pub start: usize,
    /// One past the last character.
    pub end: usize,
    /// What the span is.
    #[serde(rename = "type")]
    pub kind: PiiType,
}

/// A piece of a sentence: literal text, or a value of a personal-information type.
enum Part<'a> {
    Text(&'a str),
    Pii(PiiType, &'a str),
}

use Part::{Pii, Text};

const CLOSINGS: &[&str] = &[
    "已办结。",
    "请相关部门跟进。",
    "已电话回访。",
    "材料齐全，予以受理。",
    "转街道处理。",
];
const PLAIN: &[&str] = &[
    "材料齐全，已办结。",
    "当事人未到场，待补充材料后再行处理。",
    "系统自动导入，无需人工核对。",
    "本季度回访满意度良好。",
    "",
];

/// Appends one remark about `p` to `out`, recording its spans in `truth` under `row`.
pub(crate) fn write_remark(
    rng: &mut ChaCha8Rng,
    p: &Person,
    row: u64,
    out: &mut String,
    truth: Option<&mut Vec<TruthSpan>>,
) {
    let date = format!(
        "{}月{}日",
        rng.random_range(1..=12u32),
        rng.random_range(1..=28u32)
    );
    let closing = *pick(rng, CLOSINGS);
    let district = p.district.district;
    let plate = p.plate.as_deref().unwrap_or("");
    let parts: Vec<Part> = match rng.random_range(0..9u32) {
        0 => vec![
            Text("居民"),
            Pii(PiiType::PersonName, &p.name),
            Text("于"),
            Text(&date),
            Text("来电咨询社保转移，联系电话"),
            Pii(PiiType::CnMobile, &p.mobile),
            Text("，"),
            Text(closing),
        ],
        1 => vec![
            Text("申请人"),
            Pii(PiiType::PersonName, &p.name),
            Text("（身份证号"),
            Pii(PiiType::CnResidentId, &p.resident_id),
            Text("）反映"),
            Pii(PiiType::Address, &p.address),
            Text("附近路灯损坏，"),
            Text(closing),
        ],
        2 => vec![
            Text("经核实，"),
            Pii(PiiType::PersonName, &p.name),
            Text("的银行卡号为"),
            Pii(PiiType::BankCard, &p.bank_card),
            Text("，补贴已于"),
            Text(&date),
            Text("发放。"),
        ],
        3 if !plate.is_empty() => vec![
            Text("车主"),
            Pii(PiiType::PersonName, &p.name),
            Text("，车牌"),
            Pii(PiiType::CnLicensePlate, plate),
            Text("，在"),
            Text(district),
            Text("违停一次，已处理。"),
        ],
        4 => vec![
            Text("已通过邮箱"),
            Pii(PiiType::Email, &p.email),
            Text("通知"),
            Pii(PiiType::PersonName, &p.name),
            Text("领取证件。"),
        ],
        5 => vec![
            Text("联系人："),
            Pii(PiiType::PersonName, &p.name),
            Text("，电话"),
            Pii(PiiType::CnLandline, &p.home_phone),
            Text("，工作单位为"),
            Pii(PiiType::OrganizationName, &p.employer),
            Text("。"),
        ],
        6 => vec![
            Text("患者"),
            Pii(PiiType::PersonName, &p.name),
            Text("自述住在"),
            Pii(PiiType::Address, &p.address),
            Text("，手机"),
            Pii(PiiType::CnMobile, &p.mobile),
            Text("，"),
            Text(closing),
        ],
        7 => vec![
            Text("本人"),
            Pii(PiiType::PersonName, &p.name),
            Text("授权家属代为办理，身份证"),
            Pii(PiiType::CnResidentId, &p.resident_id),
            Text("，"),
            Text(closing),
        ],
        _ => vec![Text(pick::<&str>(rng, PLAIN))],
    };
    let mut pos = 0usize;
    let mut spans = Vec::new();
    for part in parts {
        let (text, kind) = match part {
            Text(t) => (t, None),
            Pii(k, t) => (t, Some(k)),
        };
        let len = text.chars().count();
        if let Some(kind) = kind {
            spans.push(TruthSpan {
                row,
                start: pos,
                end: pos + len,
                kind,
            });
        }
        out.push_str(text);
        pos += len;
    }
    if let Some(t) = truth {
        t.extend(spans);
    }
}
