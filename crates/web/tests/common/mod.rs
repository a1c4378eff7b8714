//! A served platform on a temporary SQLite store, seeded with one organization per kind of caller
//! and a credential for each role.

#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use pubdata_platform::catalog::{
    CatalogEntry, DataItem, DataType, OpenAttribute, SecurityGrade, SharingAttribute, UpdateCycle,
};
use pubdata_platform::org::{AdminLevel, OrganizationKind, Role};
use pubdata_platform::store::{Credential, CredentialKind, NewUser, Organization, Store};
use pubdata_web::{AppState, app};
use serde_json::Value;
use tower::ServiceExt;

/// How a test request authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Bearer(String),
    Cookie { token: String, csrf: Option<String> },
    Raw(String),
}

pub struct Platform {
    pub app: Router,
    pub store: Store,
    pub entry_id: String,
    /// Bearer tokens by caller name (anonymous has none).
    pub tokens: Vec<(&'static str, Auth)>,
    pub data_dir: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

pub const CALLERS: [&str; 7] = [
    "anonymous",
    "admin",
    "water",
    "power",
    "auditor",
    "applicant",
    "operator",
];

pub fn org(code: &str, name: &str, kind: OrganizationKind, level: AdminLevel) -> Organization {
    Organization {
        code: code.into(),
        name: name.into(),
        kind,
        level,
        region: "330100".into(),
    }
}

pub fn entry(owner: &str, title: &str) -> CatalogEntry {
    CatalogEntry {
        title: title.into(),
        description: "居民月度用水量".into(),
        owner: owner.into(),
        items: vec![DataItem {
            name: "usage_m3".into(),
            label: "用水量".into(),
            data_type: DataType::Decimal,
            personal_info: None,
            grade: SecurityGrade::L1,
            required: true,
            key: false,
            open: true,
        }],
        update_cycle: UpdateCycle::Monthly,
        sharing: SharingAttribute::Unconditional,
        sharing_reason: None,
        open: OpenAttribute::Unconditional,
        open_reason: None,
        theme: None,
    }
}

pub const PASSWORD: &str = "a long enough password";

pub async fn platform() -> Platform {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&Store::sqlite_url(&dir.path().join("meta.db")))
        .await
        .expect("store");
    for o in [
        org(
            "zj-dsj",
            "浙江省大数据发展管理局",
            OrganizationKind::DataAuthority,
            AdminLevel::Province,
        ),
        org(
            "hz-water",
            "杭州市水务集团",
            OrganizationKind::WaterSupply,
            AdminLevel::City,
        ),
        org(
            "hz-power",
            "国网杭州供电公司",
            OrganizationKind::PowerSupply,
            AdminLevel::City,
        ),
    ] {
        store.create_organization(&o, "setup").await.expect("org");
    }
    let users = [
        ("admin", Role::AuthorityAdmin, Some("zj-dsj")),
        ("water", Role::DepartmentOfficer, Some("hz-water")),
        ("power", Role::DepartmentOfficer, Some("hz-power")),
        ("auditor", Role::Auditor, None),
        ("applicant", Role::Applicant, None),
        ("operator", Role::Operator, None),
    ];
    let mut tokens = vec![("anonymous", Auth::None)];
    for (name, role, org) in users {
        store
            .create_user(
                &NewUser {
                    username: name.into(),
                    display_name: String::new(),
                    role,
                    organization: org.map(String::from),
                    password: PASSWORD.into(),
                },
                "setup",
            )
            .await
            .expect("user");
        let cred = store
            .issue(
                name,
                CredentialKind::Api,
                "test",
                chrono::Duration::hours(1),
            )
            .await
            .expect("token");
        tokens.push((CALLERS[tokens.len()], Auth::Bearer(cred.token)));
    }
    let e = store
        .create_entry(&entry("hz-water", "居民用水量"), "setup")
        .await
        .expect("entry");
    Platform {
        app: app(AppState::new(
            store.clone(),
            pubdata_platform::ingest::local_storage(dir.path()).expect("dataset location"),
        )),
        store,
        entry_id: e.id,
        tokens,
        data_dir: dir.path().to_path_buf(),
        _dir: dir,
    }
}

impl Platform {
    /// Serves the same store and datasets with `n` job workers running.
    pub fn start_workers(&mut self, n: usize) {
        let datasets =
            pubdata_platform::ingest::local_storage(&self.data_dir).expect("dataset location");
        self.app = app(AppState::new(self.store.clone(), datasets).start_workers(n));
    }

    pub fn auth(&self, caller: &str) -> Auth {
        self.tokens
            .iter()
            .find(|(n, _)| *n == caller)
            .map(|(_, a)| a.clone())
            .expect("known caller")
    }

    pub async fn session(&self, user: &str) -> Credential {
        self.store
            .issue(
                user,
                CredentialKind::Session,
                "test",
                chrono::Duration::hours(1),
            )
            .await
            .expect("session")
    }

    /// Sends a request; returns the status, the headers and the body as text.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        auth: &Auth,
        body: Option<(&str, String)>,
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        self.send_with(method, path, auth, body, &[]).await
    }

    /// Sends a request with `extra` headers.
    pub async fn send_with(
        &self,
        method: &str,
        path: &str,
        auth: &Auth,
        body: Option<(&str, String)>,
        extra: &[(&str, &str)],
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let mut req = Request::builder().method(method).uri(path);
        for (name, value) in extra {
            req = req.header(*name, *value);
        }
        match auth {
            Auth::None => {}
            Auth::Bearer(t) => req = req.header(header::AUTHORIZATION, format!("Bearer {t}")),
            Auth::Raw(v) => req = req.header(header::AUTHORIZATION, v.as_str()),
            Auth::Cookie { token, csrf } => {
                req = req.header(header::COOKIE, format!("pubdata_session={token}"));
                if let Some(c) = csrf {
                    req = req.header("x-csrf-token", c.as_str());
                }
            }
        }
        let body = match body {
            Some((content_type, text)) => {
                req = req.header(header::CONTENT_TYPE, content_type);
                Body::from(text)
            }
            None => Body::empty(),
        };
        let resp = self
            .app
            .clone()
            .oneshot(req.body(body).expect("request"))
            .await
            .expect("response");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        (
            status,
            headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    /// Sends a request with `extra` headers; returns the body's bytes as they are.
    pub async fn bytes(
        &self,
        method: &str,
        path: &str,
        extra: &[(&str, &str)],
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let mut req = Request::builder().method(method).uri(path);
        for (name, value) in extra {
            req = req.header(*name, *value);
        }
        let resp = self
            .app
            .clone()
            .oneshot(req.body(Body::empty()).expect("request"))
            .await
            .expect("response");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        (status, headers, bytes.to_vec())
    }

    /// Sends JSON and parses the JSON answer (Null when the body is empty or not JSON).
    pub async fn json(
        &self,
        method: &str,
        path: &str,
        auth: &Auth,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (status, _, text) = self
            .send(
                method,
                path,
                auth,
                body.map(|b| ("application/json", b.to_string())),
            )
            .await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}
