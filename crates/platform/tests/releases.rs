//! Releases in the store on both back ends: published only where the opening rules allow,
//! numbered per entry, withdrawn with a reason and kept in the record; every step audited.

mod common;

use common::{backends, entry, finish, item, water};
use pubdata_detect::PiiType;
use pubdata_platform::audit::Outcome;
use pubdata_platform::catalog::{OpenAttribute, SecurityGrade};
use pubdata_platform::opening::{ReleaseColumn, ReleasePlan, Treatment};
use pubdata_platform::store::{AuditFilter, NewRelease, OpenCount, StoreError};

/// A release of the entry's three columns; the values of `remarks` hold mobile numbers (as a
/// scan finds), which the catalog does not declare.
fn new_release(entry_id: &str, remarks: Treatment) -> NewRelease {
    let col = |name: &str, treatment| ReleaseColumn {
        name: name.into(),
        detected: (name == "remarks").then_some(PiiType::CnMobile),
        treatment,
    };
    NewRelease {
        entry_id: entry_id.into(),
        version: 1,
        plan: ReleasePlan {
            columns: vec![
                col("account", Treatment::Clear),
                col("remarks", remarks),
                col("usage_m3", Treatment::Clear),
            ],
            deidentified: remarks != Treatment::Clear,
            anonymization: None,
        },
        object: format!("releases/{entry_id}/1.parquet"),
        rows: 2,
        policy_id: None,
        report: None,
        input_sha256: "a".repeat(64),
        output_sha256: "b".repeat(64),
    }
}

#[tokio::test]
async fn releases_follow_the_opening_rules_are_numbered_and_withdrawn_with_a_reason() {
    for b in backends().await {
        let s = &b.store;
        s.create_organization(&water(), "admin").await.expect("org");
        let mut e = entry("居民月度用水量");
        e.items
            .push(item("remarks", "备注", None, SecurityGrade::L2));
        let stored = s.create_entry(&e, "water").await.expect("entry");
        let id = stored.id.clone();
        // No version yet: nothing to release.
        let err = s
            .publish_release(&new_release(&id, Treatment::Transformed), "water")
            .await
            .expect_err("no version");
        assert!(
            matches!(err, StoreError::NotFound { .. }),
            "{}: {err}",
            b.name
        );
        s.commit_version(
            &id,
            "append",
            &format!("{id}/p.parquet"),
            2,
            "water",
            "u.csv",
            "{}",
        )
        .await
        .expect("version");

        // Mobile numbers in the clear: refused by name, audited, nothing stored.
        let err = s
            .publish_release(&new_release(&id, Treatment::Clear), "water")
            .await
            .expect_err("identifier in the clear");
        assert!(
            matches!(err, StoreError::NotReleasable(_))
                && err.to_string().contains("\"remarks\" (cn_mobile)"),
            "{}: {err}",
            b.name
        );
        assert!(s.releases(&id).await.expect("list").is_empty());
        let refused = s
            .audit_entries(&AuditFilter {
                action: Some("release.publish".into()),
                outcome: Some(Outcome::Failed),
                ..Default::default()
            })
            .await
            .expect("audit");
        assert_eq!(refused.len(), 1, "{}", b.name);

        // Transformed: public, numbered from 1; the dropped column is not listed.
        let mut plan = new_release(&id, Treatment::Transformed);
        let first = s.publish_release(&plan, "water").await.expect("release 1");
        assert_eq!(
            (first.number, first.audience.as_str(), first.columns.len()),
            (1, "public", 3),
            "{}",
            b.name
        );
        plan.plan.columns[1].treatment = Treatment::Dropped;
        let second = s.publish_release(&plan, "admin").await.expect("release 2");
        assert_eq!(second.number, 2);
        assert_eq!(second.columns, ["account", "usage_m3"]);

        // Withdrawing needs a reason, happens once, and keeps the release in the record.
        let err = s
            .withdraw_release(&first.id, "  ", "water")
            .await
            .expect_err("no reason");
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
        let gone = s
            .withdraw_release(&first.id, "发布了错误的月份", "water")
            .await
            .expect("withdraw");
        assert!(!gone.is_live());
        assert_eq!(
            gone.withdrawn.as_ref().map(|w| w.reason.as_str()),
            Some("发布了错误的月份")
        );
        let again = s.withdraw_release(&first.id, "again", "water").await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        let listed = s.releases(&id).await.expect("list");
        let numbers: Vec<(i64, bool)> = listed.iter().map(|r| (r.number, r.is_live())).collect();
        assert_eq!(numbers, [(2, true), (1, false)], "{}", b.name);
        let withdrawn = s
            .audit_entries(&AuditFilter {
                action: Some("release.withdraw".into()),
                ..Default::default()
            })
            .await
            .expect("audit");
        assert_eq!(withdrawn.len(), 1);
        assert!(s.verify_audit().await.is_ok(), "{}", b.name);

        // A prohibited entry has no release, whatever the plan.
        e.open = OpenAttribute::Prohibited;
        e.open_reason = Some("涉及个人隐私".into());
        s.update_entry(&id, stored.revision, &e, "water")
            .await
            .expect("edit");
        let err = s
            .publish_release(&new_release(&id, Treatment::Dropped), "water")
            .await
            .expect_err("prohibited");
        assert!(err.to_string().contains("禁止开放"), "{err}");
        finish(b).await;
    }
}

#[tokio::test]
async fn the_portal_finds_live_public_releases_and_restricted_entries_and_counts_their_use() {
    for b in backends().await {
        let s = &b.store;
        s.create_organization(&water(), "admin").await.expect("org");
        let mut with_data = entry("居民月度用水量");
        with_data
            .items
            .push(item("remarks", "备注", None, SecurityGrade::L2));
        let open = s.create_entry(&with_data, "water").await.expect("entry");
        let unreleased = s
            .create_entry(&entry("尚未发布的数据"), "water")
            .await
            .expect("entry");
        let mut r = entry("用水户档案");
        r.open = OpenAttribute::Restricted;
        r.open_reason = Some("含个人信息".into());
        let restricted = s.create_entry(&r, "water").await.expect("entry");
        let mut p = entry("禁止开放的数据");
        p.open = OpenAttribute::Prohibited;
        p.open_reason = Some("涉及国家安全".into());
        s.create_entry(&p, "water").await.expect("entry");
        s.commit_version(
            &open.id,
            "append",
            &format!("{}/p.parquet", open.id),
            2,
            "water",
            "u.csv",
            "{}",
        )
        .await
        .expect("version");
        let release = s
            .publish_release(&new_release(&open.id, Treatment::Transformed), "water")
            .await
            .expect("release");

        let listed = s.open_datasets().await.expect("portal");
        let ids: Vec<(&str, bool)> = listed
            .iter()
            .map(|d| (d.entry.id.as_str(), d.latest.is_some()))
            .collect();
        assert_eq!(
            ids,
            [(open.id.as_str(), true), (restricted.id.as_str(), false)],
            "{}: the released and the restricted entries, never the unreleased or prohibited",
            b.name
        );
        assert!(matches!(
            s.open_dataset(&unreleased.id).await,
            Err(StoreError::NotFound { .. })
        ));

        for what in [
            OpenCount::View,
            OpenCount::View,
            OpenCount::Download,
            OpenCount::ApiCall,
            OpenCount::ApiCall,
            OpenCount::ApiCall,
        ] {
            s.count_open(&open.id, what).await.expect("count");
        }
        let d = s.open_dataset(&open.id).await.expect("dataset");
        assert_eq!(
            (d.counts.views, d.counts.downloads, d.counts.api_calls),
            (2, 1, 3),
            "{}",
            b.name
        );
        let stats = s.stats().await.expect("stats");
        assert_eq!(
            (
                stats.open_datasets,
                stats.open_data_items,
                stats.downloads,
                stats.api_calls
            ),
            (1, 3, 1, 3),
            "{}",
            b.name
        );

        // Withdrawn: no longer served nor counted as open, still in the record.
        s.withdraw_release(&release.id, "数据有误", "water")
            .await
            .expect("withdraw");
        assert!(s.open_dataset(&open.id).await.is_err(), "{}", b.name);
        assert_eq!(s.stats().await.expect("stats").open_datasets, 0);
        assert_eq!(s.releases(&open.id).await.expect("record").len(), 1);
        finish(b).await;
    }
}

#[tokio::test]
async fn the_portal_sees_a_release_another_process_published_at_once() {
    for b in backends().await {
        let s = &b.store;
        s.create_organization(&water(), "admin").await.expect("org");
        assert!(s.open_datasets().await.expect("portal").is_empty());
        // Another process (a second store on the same database) publishes.
        let other = pubdata_platform::store::Store::open(&b.url)
            .await
            .expect("second store");
        let mut e = entry("居民月度用水量");
        e.items
            .push(item("remarks", "备注", None, SecurityGrade::L2));
        let stored = other.create_entry(&e, "water").await.expect("entry");
        other
            .commit_version(
                &stored.id,
                "append",
                &format!("{}/p.parquet", stored.id),
                2,
                "water",
                "u.csv",
                "{}",
            )
            .await
            .expect("version");
        let r = other
            .publish_release(&new_release(&stored.id, Treatment::Transformed), "water")
            .await
            .expect("release");
        let listed = s.open_datasets().await.expect("portal");
        assert_eq!(listed.len(), 1, "{}", b.name);
        // And its withdrawal.
        other
            .withdraw_release(&r.id, "有误", "water")
            .await
            .expect("withdraw");
        assert!(
            s.open_datasets().await.expect("portal").is_empty(),
            "{}",
            b.name
        );
        other.close().await;
        finish(b).await;
    }
}
