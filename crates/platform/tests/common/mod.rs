//! Test support: a store on each back end, and a water company with a catalog entry.

#![allow(dead_code)]

use pubdata_detect::PiiType;
use pubdata_platform::catalog::{
    CatalogEntry, DataItem, DataType, OpenAttribute, SecurityGrade, SharingAttribute, UpdateCycle,
};
use pubdata_platform::org::{AdminLevel, OrganizationKind};
use pubdata_platform::store::{Organization, Store};
use sqlx::AssertSqlSafe;

/// A store on one back end, and what to drop afterwards.
pub struct Backend {
    pub name: &'static str,
    pub url: String,
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
    drop_db: Option<(String, String)>,
}

/// A new, empty PostgreSQL database: its URL, the server's base URL and its name (`None` where
/// no server answers, outside CI).
pub async fn postgres() -> Option<(String, String, String)> {
    sqlx::any::install_default_drivers();
    let base = std::env::var("PUBDATA_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let admin = match tokio::time::timeout(
        std::time::Duration::from_secs(5),
        sqlx::AnyPool::connect(&base),
    )
    .await
    {
        Ok(Ok(p)) => p,
        other => {
            assert!(
                std::env::var("CI").is_err(),
                "PostgreSQL at {base} does not answer under CI: {other:?}"
            );
            eprintln!("skipped PostgreSQL: {base} does not answer");
            return None;
        }
    };
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).expect("random");
    let name = format!(
        "pubdata_test_{}",
        suffix
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .expect("create test database");
    admin.close().await;
    let url = match base.rsplit_once('/') {
        Some((head, _)) => format!("{head}/{name}"),
        None => panic!("PUBDATA_TEST_POSTGRES needs a database path"),
    };
    Some((url, base, name))
}

pub async fn backends() -> Vec<Backend> {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = Store::sqlite_url(&dir.path().join("meta.db"));
    let mut out = vec![Backend {
        name: "sqlite",
        store: Store::open(&url).await.expect("sqlite store"),
        url,
        _dir: Some(dir),
        drop_db: None,
    }];
    if let Some((url, base, name)) = postgres().await {
        out.push(Backend {
            name: "postgres",
            store: Store::open(&url).await.expect("postgres store"),
            url,
            _dir: None,
            drop_db: Some((base, name)),
        });
    }
    out
}

pub async fn finish(b: Backend) {
    b.store.close().await;
    if let Some((base, name)) = b.drop_db {
        drop_database(&base, &name).await;
    }
}

/// Drops a database [`postgres`] made.
pub async fn drop_database(base: &str, name: &str) {
    let admin = sqlx::AnyPool::connect(base).await.expect("admin");
    sqlx::raw_sql(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&admin)
    .await
    .expect("drop test database");
    admin.close().await;
}

pub fn water() -> Organization {
    Organization {
        code: "hz-water".into(),
        name: "杭州市水务集团".into(),
        kind: OrganizationKind::WaterSupply,
        level: AdminLevel::City,
        region: "330100".into(),
    }
}

pub fn item(name: &str, label: &str, pii: Option<PiiType>, grade: SecurityGrade) -> DataItem {
    DataItem {
        name: name.into(),
        label: label.into(),
        data_type: DataType::Text,
        personal_info: pii,
        grade,
        required: false,
        key: false,
        open: true,
    }
}

pub fn entry(title: &str) -> CatalogEntry {
    CatalogEntry {
        title: title.into(),
        description: "居民用水户的月度用水量".into(),
        owner: "hz-water".into(),
        items: vec![
            item("account", "户号", None, SecurityGrade::L2),
            item("usage_m3", "用水量", None, SecurityGrade::L1),
        ],
        update_cycle: UpdateCycle::Monthly,
        sharing: SharingAttribute::Unconditional,
        sharing_reason: None,
        open: OpenAttribute::Unconditional,
        open_reason: None,
        theme: None,
    }
}
