//! A demo province for `pubdata serve --demo`: the data authority, departments and public-service
//! operators (water, power, gas, transit), a user per role and catalog entries, so that a
//! newcomer's first command shows a working portal. Seeding happens once, into an empty store.

use pubdata_detect::PiiType;

use crate::catalog::{
    CatalogEntry, DataItem, DataType, OpenAttribute, SecurityGrade, SharingAttribute, Theme,
    UpdateCycle,
};
use crate::ingest::{IngestError, Mode, Upload, ingest};
use crate::org::{AdminLevel, OrganizationKind, Role};
use crate::storage::DatasetStorage;
use crate::store::{EntryQuery, NewUser, Organization, Store, StoreError};

/// The password of every demo user; printed by `serve --demo`, never used outside the demo.
pub const DEMO_PASSWORD: &str = "demo-password";

/// Demo users: name, role, organization.
pub const DEMO_USERS: &[(&str, Role, Option<&str>)] = &[
    ("admin", Role::AuthorityAdmin, Some("zj-dsj")),
    ("water", Role::DepartmentOfficer, Some("hz-water")),
    ("health", Role::DepartmentOfficer, Some("zj-health")),
    ("auditor", Role::Auditor, None),
    ("applicant", Role::Applicant, None),
    ("operator", Role::Operator, None),
];

const ORGS: &[(&str, &str, OrganizationKind, AdminLevel, &str)] = &[
    (
        "zj-dsj",
        "浙江省大数据发展管理局",
        OrganizationKind::DataAuthority,
        AdminLevel::Province,
        "330000",
    ),
    (
        "zj-police",
        "浙江省公安厅",
        OrganizationKind::StateBody,
        AdminLevel::Province,
        "330000",
    ),
    (
        "zj-health",
        "浙江省卫生健康委员会",
        OrganizationKind::StateBody,
        AdminLevel::Province,
        "330000",
    ),
    (
        "zj-market",
        "浙江省市场监督管理局",
        OrganizationKind::StateBody,
        AdminLevel::Province,
        "330000",
    ),
    (
        "zj-hrss",
        "浙江省人力资源和社会保障厅",
        OrganizationKind::StateBody,
        AdminLevel::Province,
        "330000",
    ),
    (
        "zj-nr",
        "浙江省自然资源厅",
        OrganizationKind::StateBody,
        AdminLevel::Province,
        "330000",
    ),
    (
        "hz-edu",
        "杭州市教育局",
        OrganizationKind::StateBody,
        AdminLevel::City,
        "330100",
    ),
    (
        "hz-hpf",
        "杭州住房公积金管理中心",
        OrganizationKind::PublicAffairsBody,
        AdminLevel::City,
        "330100",
    ),
    (
        "hz-water",
        "杭州市水务集团有限公司",
        OrganizationKind::WaterSupply,
        AdminLevel::City,
        "330100",
    ),
    (
        "hz-power",
        "国网浙江省电力有限公司杭州供电公司",
        OrganizationKind::PowerSupply,
        AdminLevel::City,
        "330100",
    ),
    (
        "hz-gas",
        "杭州市燃气集团有限公司",
        OrganizationKind::GasSupply,
        AdminLevel::City,
        "330100",
    ),
    (
        "hz-bus",
        "杭州市公共交通集团有限公司",
        OrganizationKind::PublicTransport,
        AdminLevel::City,
        "330100",
    ),
    (
        "xh-civil",
        "杭州市西湖区民政局",
        OrganizationKind::StateBody,
        AdminLevel::County,
        "330106",
    ),
];

fn item(
    name: &str,
    label: &str,
    data_type: DataType,
    pii: Option<PiiType>,
    grade: SecurityGrade,
) -> DataItem {
    DataItem {
        name: name.into(),
        label: label.into(),
        data_type,
        personal_info: pii,
        grade,
        required: true,
        key: false,
        open: true,
    }
}

/// The demo entries' themes, by title.
const THEMES: &[(&str, Theme)] = &[
    ("居民生活用水量（按街道汇总）", Theme::Utilities),
    ("居民用水户档案", Theme::Utilities),
    ("全市用电负荷（小时）", Theme::Utilities),
    ("管道燃气用户数（按区县）", Theme::Utilities),
    ("公交线路与站点", Theme::Transport),
    ("门诊就诊记录", Theme::Health),
    ("企业登记信息", Theme::Market),
    ("中小学学校名录", Theme::Education),
];

fn entries() -> Vec<CatalogEntry> {
    let mut all = listed();
    for e in &mut all {
        e.theme = THEMES
            .iter()
            .find(|(t, _)| *t == e.title)
            .map(|(_, th)| *th);
    }
    all
}

fn listed() -> Vec<CatalogEntry> {
    use DataType::*;
    use SecurityGrade::*;
    let entry = |title: &str, owner: &str, description: &str, items: Vec<DataItem>| CatalogEntry {
        title: title.into(),
        description: description.into(),
        owner: owner.into(),
        items,
        update_cycle: UpdateCycle::Monthly,
        sharing: SharingAttribute::Unconditional,
        sharing_reason: None,
        open: OpenAttribute::Unconditional,
        open_reason: None,
        theme: None,
    };
    let restricted = |mut e: CatalogEntry, why: &str| {
        e.sharing = SharingAttribute::Conditional;
        e.sharing_reason = Some(why.into());
        e.open = OpenAttribute::Restricted;
        e.open_reason = Some(why.into());
        e
    };
    vec![
        entry(
            "居民生活用水量（按街道汇总）",
            "hz-water",
            "各街道居民月度生活用水量",
            vec![
                item("street_code", "街道代码", Text, None, L1),
                item("month", "月份", Date, None, L1),
                item("usage_m3", "用水量（立方米）", Decimal, None, L1),
            ],
        ),
        restricted(
            entry(
                "居民用水户档案",
                "hz-water",
                "用水户户号、户主与地址",
                vec![
                    item("account", "户号", Text, None, L2),
                    item(
                        "holder_name",
                        "户主姓名",
                        Text,
                        Some(PiiType::PersonName),
                        L3,
                    ),
                    item("address", "用水地址", Text, Some(PiiType::Address), L3),
                ],
            ),
            "含个人信息，经去标识化后受限开放",
        ),
        entry(
            "全市用电负荷（小时）",
            "hz-power",
            "全市逐小时用电负荷",
            vec![
                item("hour", "时间", Timestamp, None, L1),
                item("load_mw", "负荷（兆瓦）", Decimal, None, L1),
            ],
        ),
        entry(
            "管道燃气用户数（按区县）",
            "hz-gas",
            "各区县管道燃气居民用户数",
            vec![
                item("district", "区县代码", Text, None, L1),
                item("households", "用户数", Integer, None, L1),
            ],
        ),
        entry(
            "公交线路与站点",
            "hz-bus",
            "公交线路、站点名称与坐标",
            vec![
                item("line", "线路", Text, None, L1),
                item("stop", "站点", Text, None, L1),
                item("lng", "经度", Decimal, None, L1),
                item("lat", "纬度", Decimal, None, L1),
            ],
        ),
        restricted(
            entry(
                "门诊就诊记录",
                "zj-health",
                "门诊诊断与就诊机构",
                vec![
                    item(
                        "patient_id",
                        "患者身份证号",
                        Text,
                        Some(PiiType::CnResidentId),
                        L3,
                    ),
                    item("diagnosis", "诊断", Text, None, L3),
                    item("visit_date", "就诊日期", Date, None, L2),
                ],
            ),
            "含敏感个人信息，仅在匿名化后向合格申请人受限开放",
        ),
        entry(
            "企业登记信息",
            "zj-market",
            "市场主体名称、统一社会信用代码与登记机关",
            vec![
                item("name", "企业名称", Text, None, L1),
                item("uscc", "统一社会信用代码", Text, None, L1),
                item("registered", "成立日期", Date, None, L1),
            ],
        ),
        entry(
            "中小学学校名录",
            "hz-edu",
            "学校名称、学段与地址",
            vec![
                item("school", "学校名称", Text, None, L1),
                item("stage", "学段", Text, None, L1),
                item("address", "地址", Text, None, L1),
            ],
        ),
    ]
}

/// Seeds the demo province into an empty store; does nothing when organizations exist.
/// Returns whether it seeded.
pub async fn seed(store: &Store) -> Result<bool, StoreError> {
    if !store.organizations().await?.is_empty() {
        return Ok(false);
    }
    // Check every entry first, so that a bad one stops the seed before anything is written.
    let entries = entries();
    for e in &entries {
        e.check()?;
    }
    for (code, name, kind, level, region) in ORGS {
        store
            .create_organization(
                &Organization {
                    code: (*code).into(),
                    name: (*name).into(),
                    kind: *kind,
                    level: *level,
                    region: (*region).into(),
                },
                "demo",
            )
            .await?;
    }
    for (name, role, org) in DEMO_USERS {
        store
            .create_user(
                &NewUser {
                    username: (*name).into(),
                    display_name: String::new(),
                    role: *role,
                    organization: org.map(String::from),
                    password: DEMO_PASSWORD.into(),
                },
                "demo",
            )
            .await?;
    }
    for e in &entries {
        store.create_entry(e, "demo").await?;
    }
    Ok(true)
}

/// Generated data for the demo entries that hold figures, as CSV text: title and contents.
fn generated() -> Vec<(&'static str, String)> {
    // A fixed sequence, so every demo looks the same.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let mut water = String::from("street_code,month,usage_m3\n");
    for street in 1..=12 {
        for month in 1..=10 {
            let usage = 20_000 + next(60_000);
            water.push_str(&format!(
                "330106{street:03},2026-{month:02}-01,{}.{}\n",
                usage,
                next(10)
            ));
        }
    }
    let mut power = String::from("hour,load_mw\n");
    for day in 1..=7 {
        for hour in 0..24 {
            let base = if (8..22).contains(&hour) {
                9_000
            } else {
                6_000
            };
            power.push_str(&format!(
                "2026-11-{day:02} {hour:02}:00:00,{}.{}\n",
                base + next(2_500),
                next(10)
            ));
        }
    }
    let mut gas = String::from("district,households\n");
    for d in [
        "330102", "330105", "330106", "330108", "330109", "330110", "330111",
    ] {
        gas.push_str(&format!("{d},{}\n", 80_000 + next(120_000)));
    }
    let mut bus = String::from("line,stop,lng,lat\n");
    for line in [7, 28, 51, 155, 193] {
        for stop in 1..=8 {
            bus.push_str(&format!(
                "{line}路,第{stop}站,120.{:04},30.{:04}\n",
                1_000 + next(2_000),
                2_000 + next(1_500)
            ));
        }
    }
    vec![
        ("居民生活用水量（按街道汇总）", water),
        ("全市用电负荷（小时）", power),
        ("管道燃气用户数（按区县）", gas),
        ("公交线路与站点", bus),
    ]
}

/// Aggregates the generated demo datasets into their entries (in `datasets`), spooling each
/// through a file in its scratch folder. Entries that already have a version are left alone.
pub async fn seed_datasets(store: &Store, datasets: &DatasetStorage) -> Result<u64, IngestError> {
    let mut records = 0;
    let scratch = datasets.scratch();
    for (title, csv) in generated() {
        let (found, _) = store
            .entries(&EntryQuery {
                text: Some(title.to_string()),
                ..Default::default()
            })
            .await?;
        let Some(entry) = found.into_iter().find(|e| e.entry.title == title) else {
            continue;
        };
        if !store.versions(&entry.id).await?.is_empty() {
            continue;
        }
        let file = scratch.join(format!("{}.csv", entry.id));
        std::fs::write(&file, csv).map_err(|source| IngestError::Io {
            path: file.display().to_string(),
            source,
        })?;
        let upload = Upload {
            file: &file,
            format: None,
            source_name: "demo.csv",
            mode: Mode::Replace,
            actor: "demo",
            max_rejected: Default::default(),
        };
        let v = ingest(store, datasets, &entry, &upload).await;
        let _ = std::fs::remove_file(&file);
        records += v?.report.rows_accepted;
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_entry_keeps_the_catalog_rules_and_names_a_demo_organization() {
        for e in entries() {
            assert_eq!(e.check(), Ok(()), "{}", e.title);
            assert!(e.theme.is_some(), "{} has a theme", e.title);
            assert!(ORGS.iter().any(|o| o.0 == e.owner), "{}", e.owner);
        }
        assert!(ORGS.len() >= 12, "a dozen holders");
        for kind in OrganizationKind::ALL {
            assert!(
                ORGS.iter().any(|o| o.2 == kind),
                "{kind} missing from the demo"
            );
        }
    }
}
