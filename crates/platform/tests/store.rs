//! The metadata store on both back ends: every test runs on SQLite and on the PostgreSQL of the
//! machine (127.0.0.1:5432, or `PUBDATA_TEST_POSTGRES`), each in a database of its own.

mod common;

use common::{backends, entry, finish, item, water};
use pubdata_detect::PiiType;
use pubdata_platform::audit::Outcome;
use pubdata_platform::catalog::SecurityGrade;
use pubdata_platform::org::Role;
use pubdata_platform::store::{
    AuditFilter, CredentialKind, EntryQuery, NewUser, Store, StoreError,
};

#[tokio::test]
async fn entries_are_created_found_in_chinese_and_edited_by_revision() {
    for b in backends().await {
        let s = &b.store;
        s.create_organization(&water(), "admin").await.expect("org");
        let e = s
            .create_entry(&entry("居民月度用水量"), "admin")
            .await
            .expect("entry");
        s.create_entry(&entry("供水管网压力监测"), "admin")
            .await
            .expect("entry");
        let find = |q: &str| EntryQuery {
            text: Some(q.into()),
            ..Default::default()
        };
        let (hits, n) = s.entries(&find("月度 用水")).await.expect("search");
        assert_eq!(
            (n, hits.len()),
            (2, 2),
            "{}: both descriptions match",
            b.name
        );
        let (hits, n) = s.entries(&find("居民月度")).await.expect("search");
        assert_eq!(n, 1, "{}", b.name);
        assert_eq!(hits[0].id, e.id);
        let (_, n) = s
            .entries(&find("户号"))
            .await
            .expect("item labels are searched");
        assert_eq!(n, 2, "{}", b.name);
        // The holder's name finds its entries, alone or with a word of the entry's own.
        let (_, n) = s.entries(&find("水务集团")).await.expect("search");
        assert_eq!(n, 2, "{}: by the owner's name", b.name);
        let (_, n) = s.entries(&find("水务集团 居民月度")).await.expect("search");
        assert_eq!(n, 1, "{}: the owner's name and a title word", b.name);
        // Pattern characters and SQL in the search text are text, not syntax.
        for q in [
            "%",
            "用_量",
            "' OR 1=1 --",
            "\\",
            "x'); DROP TABLE catalog_entries; --",
        ] {
            let (_, n) = s.entries(&find(q)).await.expect("search never fails");
            assert_eq!(n, 0, "{}: {q:?}", b.name);
        }
        assert_eq!(s.stats().await.expect("stats").catalog_entries, 2);

        let mut changed = e.entry.clone();
        changed.title = "居民月度用水量（含阶梯水价）".into();
        let updated = s
            .update_entry(&e.id, 1, &changed, "officer")
            .await
            .expect("edit");
        assert_eq!(updated.revision, 2);
        let stale = s.update_entry(&e.id, 1, &changed, "officer").await;
        assert!(matches!(stale, Err(StoreError::Conflict(_))), "{}", b.name);
        assert_eq!(
            s.entry(&e.id).await.expect("get").entry.title,
            changed.title
        );
        finish(b).await;
    }
}

#[tokio::test]
async fn an_entry_that_breaks_the_rules_is_refused_and_leaves_nothing() {
    for b in backends().await {
        let s = &b.store;
        s.create_organization(&water(), "admin").await.expect("org");
        let before = s.verify_audit().await.expect("chain");
        let mut bad = entry("用水户身份信息");
        bad.items.push(item(
            "id_number",
            "身份证号",
            Some(PiiType::CnResidentId),
            SecurityGrade::L4,
        ));
        let err = s.create_entry(&bad, "admin").await.expect_err("refused");
        let StoreError::Rules(v) = err else {
            panic!("{}: {err}", b.name)
        };
        assert!(v.0.iter().any(|x| x.field == "open"), "{v}");
        let mut stranger = entry("无主条目");
        stranger.owner = "nobody".into();
        assert!(matches!(
            s.create_entry(&stranger, "admin").await,
            Err(StoreError::NotFound {
                what: "organization",
                ..
            })
        ));
        assert_eq!(s.stats().await.expect("stats").catalog_entries, 0);
        assert_eq!(s.verify_audit().await.expect("chain"), before, "{}", b.name);
        finish(b).await;
    }
}

#[tokio::test]
async fn users_sign_in_and_credentials_expire_and_end() {
    for b in backends().await {
        let s = &b.store;
        s.create_organization(&water(), "admin").await.expect("org");
        let officer = NewUser {
            username: "li.ming".into(),
            display_name: "李明".into(),
            role: Role::DepartmentOfficer,
            organization: Some("hz-water".into()),
            password: "correct horse battery".into(),
        };
        s.create_user(&officer, "admin").await.expect("user");
        assert!(matches!(
            s.create_user(&officer, "admin").await,
            Err(StoreError::Conflict(_))
        ));
        let orphan = NewUser {
            username: "orphan".into(),
            organization: None,
            ..officer.clone()
        };
        assert!(matches!(
            s.create_user(&orphan, "admin").await,
            Err(StoreError::Invalid(_))
        ));
        let short = NewUser {
            username: "short".into(),
            password: "123".into(),
            ..officer.clone()
        };
        assert!(matches!(
            s.create_user(&short, "admin").await,
            Err(StoreError::Invalid(_))
        ));

        let day = chrono::Duration::days(1);
        for (user, pass) in [("li.ming", "wrong password!"), ("nobody", "whatever123")] {
            let r = s.sign_in(user, pass, "", CredentialKind::Api, day).await;
            assert!(matches!(r, Err(StoreError::BadCredentials)), "{}", b.name);
        }
        let (user, cred) = s
            .sign_in(
                "li.ming",
                "correct horse battery",
                "",
                CredentialKind::Session,
                day,
            )
            .await
            .expect("sign in");
        assert_eq!(user.organization.as_deref(), Some("hz-water"));
        let holder = s.holder(&cred.token).await.expect("lookup").expect("live");
        assert_eq!(holder.principal.role, Role::DepartmentOfficer);
        assert_eq!(holder.csrf, cred.csrf);
        assert!(s.holder("pds_forged").await.expect("lookup").is_none());
        s.revoke(&cred.token).await.expect("revoke");
        assert!(s.holder(&cred.token).await.expect("lookup").is_none());
        let old = s
            .issue(
                "li.ming",
                CredentialKind::Api,
                "old",
                chrono::Duration::seconds(-1),
            )
            .await
            .expect("issue");
        assert!(
            s.holder(&old.token).await.expect("lookup").is_none(),
            "expired"
        );

        let denied = s
            .audit_entries(&AuditFilter {
                action: Some("sign_in".into()),
                outcome: Some(Outcome::Denied),
                ..Default::default()
            })
            .await
            .expect("audit");
        assert_eq!(
            denied.len(),
            2,
            "{}: both failed sign-ins are audited",
            b.name
        );
        finish(b).await;
    }
}

#[tokio::test]
async fn verify_names_the_entry_that_was_tampered_with() {
    for b in backends().await {
        let s = &b.store;
        s.create_organization(&water(), "admin").await.expect("org");
        for i in 0..5 {
            s.create_entry(&entry(&format!("条目{i}")), "admin")
                .await
                .expect("entry");
        }
        assert_eq!(s.verify_audit().await.expect("intact"), 6, "{}", b.name);
        let raw = sqlx::AnyPool::connect(&b.url)
            .await
            .expect("raw connection");
        sqlx::raw_sql("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 4")
            .execute(&raw)
            .await
            .expect("tamper");
        match s.verify_audit().await {
            Err(StoreError::Chain(brk)) => assert_eq!(brk.seq, 4, "{}", b.name),
            other => panic!("{}: {other:?}", b.name),
        }
        sqlx::raw_sql("DELETE FROM audit_log WHERE seq = 4")
            .execute(&raw)
            .await
            .expect("remove");
        match s.verify_audit().await {
            Err(StoreError::Chain(brk)) => assert_eq!(brk.seq, 4, "{}", b.name),
            other => panic!("{}: {other:?}", b.name),
        }
        raw.close().await;
        finish(b).await;
    }
}

#[tokio::test]
async fn an_audit_detail_of_any_length_is_kept_cut_and_the_chain_holds() {
    for b in backends().await {
        let s = &b.store;
        // What an unbounded message (a 100,000-column header, a long listing) would have written.
        let long = format!("{}13812345678", "列".repeat(100_000));
        let e = s
            .audit(
                "ops",
                "test.long",
                &"t".repeat(10_000),
                Outcome::Failed,
                &long,
            )
            .await
            .expect("audit");
        let stored = s
            .audit_entries(&AuditFilter {
                action: Some("test.long".into()),
                ..Default::default()
            })
            .await
            .expect("entries");
        assert_eq!(stored.len(), 1, "{}", b.name);
        let r = &stored[0].record;
        assert_eq!(
            r.detail.chars().count(),
            pubdata_platform::store::MAX_DETAIL
        );
        assert!(r.detail.ends_with("[cut]"), "{}: {}", b.name, r.detail);
        assert!(!r.detail.contains("13812345678"));
        assert!(r.target.chars().count() <= 512, "{}", b.name);
        assert_eq!(r, &e.record, "{}: stored as hashed", b.name);
        assert_eq!(s.verify_audit().await.expect("intact"), 1, "{}", b.name);
        finish(b).await;
    }
}

#[tokio::test]
async fn opening_twice_keeps_the_schema_and_the_data() {
    for b in backends().await {
        b.store
            .create_organization(&water(), "admin")
            .await
            .expect("org");
        let again = Store::open(&b.url).await.expect("second open");
        assert_eq!(
            again.organizations().await.expect("orgs").len(),
            1,
            "{}",
            b.name
        );
        again.close().await;
        finish(b).await;
    }
}

/// Changes made at once, from many tasks and from a second process's store (`pubdata ingest`
/// beside `serve`; on SQLite it waits for the file's write lock), all commit, number an entry's
/// versions without gaps, and keep one audit chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_changes_all_commit_and_keep_one_audit_chain() {
    for b in backends().await {
        b.store
            .create_organization(&water(), "admin")
            .await
            .expect("org");
        let shared = b
            .store
            .create_entry(&entry("共同条目"), "water")
            .await
            .expect("entry");
        let stores = [
            b.store.clone(),
            Store::open(&b.url).await.expect("a second process's store"),
        ];
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..24 {
            let s = stores[i % stores.len()].clone();
            let shared = shared.id.clone();
            tasks.spawn(async move {
                let e = s
                    .create_entry(&entry(&format!("并发条目{i}")), "water")
                    .await?;
                s.commit_version(
                    &shared,
                    "append",
                    &format!("{shared}/p{i}.parquet"),
                    1,
                    "water",
                    "u.csv",
                    "{}",
                )
                .await?;
                s.audit("water", "test.touch", &e.id, Outcome::Success, "")
                    .await
                    .map(|_| ())
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.expect("task")
                .unwrap_or_else(|e| panic!("{}: every change commits: {e}", b.name));
        }
        let stats = b.store.stats().await.expect("stats");
        assert_eq!(stats.catalog_entries, 25, "{}", b.name);
        let versions = b.store.versions(&shared.id).await.expect("versions");
        let mut numbers: Vec<i64> = versions.iter().map(|v| v.version).collect();
        numbers.sort();
        assert_eq!(numbers, (1..=24).collect::<Vec<_>>(), "{}", b.name);
        assert_eq!(
            versions.iter().map(|v| v.rows).max(),
            Some(24),
            "{}",
            b.name
        );
        assert!(
            b.store.verify_audit().await.expect("one chain") > 72,
            "{}",
            b.name
        );
        for s in &stores[1..] {
            s.close().await;
        }
        finish(b).await;
    }
}

#[tokio::test]
async fn a_location_holds_a_platform_only_once_its_schema_is_made() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("meta.db");
    let url = Store::sqlite_url(&file);
    assert!(!Store::holds_platform(&url).await.expect("sqlite"));
    assert!(!file.exists(), "looking created the file");
    Store::open(&url).await.expect("open").close().await;
    assert!(Store::holds_platform(&url).await.expect("sqlite"));
    if let Some((url, base, name)) = common::postgres().await {
        assert!(
            !Store::holds_platform(&url)
                .await
                .expect("an empty database")
        );
        let store = Store::open(&url).await.expect("open");
        assert!(Store::holds_platform(&url).await.expect("postgres"));
        store.close().await;
        common::drop_database(&base, &name).await;
    }
}
