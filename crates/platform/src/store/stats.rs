//! The headline figures a province publishes, computed live from the store.

use serde::Serialize;

use super::{Store, StoreError, int};

/// The headline statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Stats {
    /// Catalog entries (目录数).
    pub catalog_entries: i64,
    /// Data items over all entries (数据项).
    pub data_items: i64,
    /// Records in the current version of every dataset (归集数据量).
    pub records_aggregated: i64,
    /// Sharing calls served (共享调用次数); sharing comes with a later part of the platform.
    pub sharing_calls: i64,
    /// Applications for restricted-open data served (申请服务); likewise later.
    pub applications_served: i64,
    /// Datasets open to the public (开放数据集): entries with a live public release.
    pub open_datasets: i64,
    /// Data items their newest releases publish (开放数据项).
    pub open_data_items: i64,
    /// Files of open datasets downloaded (下载次数).
    pub downloads: i64,
    /// API calls that read open datasets (接口调用次数).
    pub api_calls: i64,
}

impl Store {
    /// Computes the statistics now.
    pub async fn stats(&self) -> Result<Stats, StoreError> {
        let catalog = sqlx::query(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(item_count), 0) AS BIGINT) AS items
             FROM catalog_entries",
        )
        .fetch_one(&self.pool)
        .await?;
        let records = sqlx::query(
            "SELECT CAST(COALESCE(SUM(v.row_count), 0) AS BIGINT) AS n
             FROM dataset_versions v
             WHERE v.version = (SELECT MAX(w.version) FROM dataset_versions w
                                WHERE w.entry_id = v.entry_id)",
        )
        .fetch_one(&self.pool)
        .await?;
        let open: Vec<_> = self
            .open_datasets()
            .await?
            .iter()
            .filter_map(|d| d.latest.clone())
            .collect();
        let counts = self.open_count_totals().await?;
        Ok(Stats {
            catalog_entries: int(&catalog, "n")?,
            data_items: int(&catalog, "items")?,
            records_aggregated: int(&records, "n")?,
            sharing_calls: 0,
            applications_served: 0,
            open_datasets: open.len() as i64,
            open_data_items: open.iter().map(|r| r.columns.len() as i64).sum(),
            downloads: counts.downloads,
            api_calls: counts.api_calls,
        })
    }
}
