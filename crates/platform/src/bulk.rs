//! A province-sized synthetic catalog for benchmarks (`pubdata gen catalog`): entries of every
//! holder, each with a version and a public release that reuse one published release's objects,
//! so the portal, the CKAN adapter and DCAT can be measured at 10,000 datasets without
//! publishing 10,000 files. Titles and attributes are deterministic.

use crate::catalog::{CatalogEntry, OpenAttribute, Theme, UpdateCycle};
use crate::opening::ReleasePlan;
use crate::store::{NewRelease, Release, Store, StoreError};

const CITIES: [&str; 11] = [
    "杭州市",
    "宁波市",
    "温州市",
    "嘉兴市",
    "湖州市",
    "绍兴市",
    "金华市",
    "衢州市",
    "舟山市",
    "台州市",
    "丽水市",
];

const SUBJECTS: [&str; 16] = [
    "公共停车场泊位",
    "空气质量监测",
    "公交客流",
    "道路运输许可",
    "农产品价格",
    "医疗机构名录",
    "养老服务机构",
    "企业纳税信用等级",
    "建筑工地扬尘监测",
    "河道水质断面",
    "公共自行车站点",
    "旅游景区客流",
    "中小学招生计划",
    "社会组织登记",
    "排污许可",
    "居民用水量",
];

/// Adds `n` synthetic entries copying `template`'s data items, held in turn by every
/// organization but the authority, each with a version listing the template version's parts
/// and a public release pointing at the template's object. `progress` hears the count so far.
pub async fn synthetic_catalog(
    store: &Store,
    template: &Release,
    n: u64,
    mut progress: impl FnMut(u64),
) -> Result<u64, StoreError> {
    let source = store.entry(&template.entry_id).await?;
    let version = store
        .versions(&template.entry_id)
        .await?
        .into_iter()
        .find(|v| v.version == template.version)
        .ok_or_else(|| StoreError::NotFound {
            what: "dataset version",
            id: format!("{} v{}", template.entry_id, template.version),
        })?;
    let owners: Vec<String> = store
        .organizations()
        .await?
        .into_iter()
        .filter(|o| o.kind != crate::org::OrganizationKind::DataAuthority)
        .map(|o| o.code)
        .collect();
    if owners.is_empty() {
        return Err(StoreError::Invalid(
            "no organization to hold the entries".into(),
        ));
    }
    let plan = ReleasePlan::as_published(&template.columns);
    for i in 0..n {
        let city = CITIES[(i as usize) % CITIES.len()];
        let subject = SUBJECTS[(i as usize / CITIES.len()) % SUBJECTS.len()];
        let year = 2015 + (i / (CITIES.len() * SUBJECTS.len()) as u64) % 12;
        let entry = CatalogEntry {
            title: format!("{city}{subject}（{year}年，第{}批）", i + 1),
            description: format!("{city}{year}年{subject}数据，按月汇总，供社会开发利用。"),
            owner: owners[(i as usize) % owners.len()].clone(),
            items: source.entry.items.clone(),
            update_cycle: UpdateCycle::ALL[(i as usize) % UpdateCycle::ALL.len()],
            sharing: source.entry.sharing,
            sharing_reason: source.entry.sharing_reason.clone(),
            open: OpenAttribute::Unconditional,
            open_reason: None,
            theme: Some(Theme::ALL[(i as usize / CITIES.len()) % Theme::ALL.len()]),
        };
        let stored = store.create_entry(&entry, "bulk").await?;
        for part in &version.parts {
            store
                .commit_version(
                    &stored.id,
                    "append",
                    part,
                    version.rows,
                    "bulk",
                    "synthetic.csv",
                    "{}",
                )
                .await?;
        }
        store
            .publish_release(
                &NewRelease {
                    entry_id: stored.id.clone(),
                    version: 1,
                    plan: plan.clone(),
                    object: template.object.clone(),
                    rows: template.rows,
                    policy_id: None,
                    report: None,
                    input_sha256: template.input_sha256.clone(),
                    output_sha256: template.output_sha256.clone(),
                },
                "bulk",
            )
            .await?;
        progress(i + 1);
    }
    Ok(n)
}
