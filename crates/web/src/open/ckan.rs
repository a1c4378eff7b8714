//! A CKAN-compatible Action API (`/api/3/action/{name}` and `/api/action/{name}`), so that
//! harvesters and clients that speak CKAN (`ckanapi`, CKAN's own harvester, portals' scripts)
//! read the open datasets as they read any CKAN site. Read actions only, by GET or by POST with
//! a JSON body, in CKAN's envelope and with its errors. A package is a portal dataset; its
//! resources are the files of its newest public release; `datastore_search` runs over that
//! release as a DataFusion plan. Restricted datasets appear with their metadata and no resource.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use pubdata_platform::catalog::Theme;
use pubdata_platform::opening::search::{Facet, Search, Sort, license, search, values};
use pubdata_platform::store::{OpenCount, OpenDataset, Organization, Release};
use pubdata_query::open::{DatastoreError, DatastoreQuery};
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::error::ApiError;
use crate::open::data::{File, count, file_url, release_table};

/// The actions served, each with what `help_show` says of it.
const HELP: &[(&str, &str)] = &[
    ("help_show", "The help text of an action (name)."),
    (
        "status_show",
        "The site's title, address, CKAN version and extensions.",
    ),
    (
        "package_list",
        "The ids of the open datasets, by id (limit, offset).",
    ),
    (
        "package_search",
        "Search the open datasets: q, fq (organization:, groups:, tags:, res_format:, license_id:, metadata_modified:[FROM TO TO]), rows (at most 1000), start, sort (score desc, metadata_modified desc, id asc, title_string asc), facet.field, facet.limit, facet.mincount.",
    ),
    (
        "package_show",
        "One dataset (id): its metadata and the files of its newest public release.",
    ),
    (
        "resource_show",
        "One file of a dataset's newest public release (id).",
    ),
    (
        "organization_list",
        "The organizations (all_fields, sort, limit, offset).",
    ),
    (
        "organization_show",
        "One organization (id, include_datasets).",
    ),
    ("group_list", "The themes (all_fields)."),
    ("group_show", "One theme (id, include_datasets)."),
    (
        "tag_list",
        "The keywords of the open datasets (query, all_fields).",
    ),
    (
        "datastore_search",
        "Rows of a resource's release: resource_id, filters, q, fields, sort, limit (at most 32000), offset, include_total, records_format (objects, lists, csv, tsv).",
    ),
];

/// What `package_search` returns at most per page, as CKAN caps `rows`.
const MAX_ROWS: usize = 1000;
/// What `datastore_search` returns at most, as CKAN caps `limit`.
const MAX_RECORDS: usize = 32_000;
/// The CKAN version whose API this follows.
const CKAN_VERSION: &str = "2.11.5";

/// An action's failure, in CKAN's words.
enum Failure {
    NotFound(String),
    Validation(BTreeMap<String, Vec<String>>),
    SearchQuery(String),
    UnknownAction(String),
    Internal,
}

type Answer = Result<Value, Failure>;

fn validation(field: &str, message: impl Into<String>) -> Failure {
    Failure::Validation(BTreeMap::from([(field.to_string(), vec![message.into()])]))
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Failure {
        if e.status == StatusCode::NOT_FOUND {
            Failure::NotFound(e.message)
        } else {
            tracing::error!(message = %e.message, "a CKAN action failed");
            Failure::Internal
        }
    }
}

impl From<pubdata_platform::store::StoreError> for Failure {
    fn from(e: pubdata_platform::store::StoreError) -> Failure {
        ApiError::from(e).into()
    }
}

fn respond(site: &str, name: &str, answer: Answer) -> Response {
    let help = format!("{site}/api/3/action/help_show?name={name}");
    let (status, error) = match answer {
        Ok(result) => {
            return (
                StatusCode::OK,
                Json(json!({"help": help, "success": true, "result": result})),
            )
                .into_response();
        }
        Err(Failure::UnknownAction(name)) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!(format!(
                    "Bad request - Action name not known: {name}"
                ))),
            )
                .into_response();
        }
        Err(Failure::NotFound(m)) => (
            StatusCode::NOT_FOUND,
            json!({"__type": "Not Found Error", "message": format!("Not found: {m}")}),
        ),
        Err(Failure::Validation(fields)) => {
            let mut e: Map<String, Value> =
                fields.into_iter().map(|(k, v)| (k, json!(v))).collect();
            e.insert("__type".into(), json!("Validation Error"));
            (StatusCode::CONFLICT, Value::Object(e))
        }
        Err(Failure::SearchQuery(m)) => (
            StatusCode::BAD_REQUEST,
            json!({"__type": "Search Query Error", "message": format!("Search Query is invalid: {m}")}),
        ),
        Err(Failure::Internal) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"__type": "Internal Server Error", "message": "Internal Server Error"}),
        ),
    };
    (
        status,
        Json(json!({"help": help, "success": false, "error": error})),
    )
        .into_response()
}

/// `GET /api/3/action/{name}?…`: a key given once is a string, a repeated key a list.
pub(crate) async fn action_get(
    State(s): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let site = super::site(&s, &headers);
    let Ok(pairs) =
        serde_urlencoded::from_str::<Vec<(String, String)>>(query.as_deref().unwrap_or(""))
    else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!("Bad request - the query string is not URL-encoded")),
        )
            .into_response();
    };
    let mut params = Map::new();
    for (k, v) in pairs {
        match params.get_mut(&k) {
            Some(Value::Array(list)) => list.push(Value::String(v)),
            Some(one) => *one = json!([one.clone(), v]),
            None => {
                params.insert(k, Value::String(v));
            }
        }
    }
    let answer = run(&s, &site, &name, &params).await;
    respond(&site, &name, answer)
}

/// `POST /api/3/action/{name}` with a JSON object (what `ckanapi` sends).
pub(crate) async fn action_post(
    State(s): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let site = super::site(&s, &headers);
    let params = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(m)) => m,
            Ok(_) | Err(_) => {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!(
                        "Bad request - JSON Error: the body is not a JSON object"
                    )),
                )
                    .into_response();
            }
        }
    };
    let answer = run(&s, &site, &name, &params).await;
    respond(&site, &name, answer)
}

async fn run(s: &AppState, site: &str, name: &str, p: &Map<String, Value>) -> Answer {
    match name {
        "status_show" => Ok(json!({
            "site_title": "pubdata", "site_description": "", "site_url": site,
            "error_emails_to": null, "locale_default": "zh_Hans_CN",
            "extensions": ["datastore", "dcat"], "ckan_version": CKAN_VERSION,
        })),
        "help_show" => {
            let name = required(p, "name")?;
            HELP.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, h)| json!(h))
                .ok_or_else(|| Failure::NotFound(format!("action {name}")))
        }
        "package_list" => package_list(s, p).await,
        "package_search" => package_search(s, site, p).await,
        "package_show" => {
            let d = dataset(s, &required(p, "id")?).await?;
            count(s, &d.entry.id, OpenCount::ApiCall).await;
            Ok(package(&d, &orgs(s).await?, site))
        }
        "resource_show" => {
            let (d, r, f) = resource_of(s, &required(p, "id")?).await?;
            count(s, &d.entry.id, OpenCount::ApiCall).await;
            Ok(resource(&d, &r, f, site))
        }
        "organization_list" => organization_list(s, site, p).await,
        "organization_show" => organization_show(s, site, p).await,
        "group_list" => group_list(s, p).await,
        "group_show" => group_show(s, site, p).await,
        "tag_list" => tag_list(s, p).await,
        "datastore_search" => datastore_search(s, p).await,
        other => Err(Failure::UnknownAction(other.to_string())),
    }
}

// --- parameters, read as CKAN's validators read them -------------------------------------

fn text(p: &Map<String, Value>, key: &str) -> Option<String> {
    match p.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn required(p: &Map<String, Value>, key: &str) -> Result<String, Failure> {
    text(p, key)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| validation(key, "Missing value"))
}

/// A natural number given as a number or a string (`ckanapi` sends `rows=5` as `"5"`).
fn natural(p: &Map<String, Value>, key: &str, default: usize) -> Result<usize, Failure> {
    let Some(v) = p.get(key).filter(|v| !v.is_null()) else {
        return Ok(default);
    };
    let n = match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
    .ok_or_else(|| validation(key, "Invalid integer"))?;
    usize::try_from(n).map_err(|_| validation(key, "Must be a natural number"))
}

/// A boolean as CKAN's `asbool` reads it.
fn boolean(p: &Map<String, Value>, key: &str, default: bool) -> Result<bool, Failure> {
    match p.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::Number(n)) => Ok(n.as_i64() != Some(0)),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "y" | "t" | "1" => Ok(true),
            "false" | "no" | "off" | "n" | "f" | "0" => Ok(false),
            _ => Err(validation(key, "Invalid boolean")),
        },
        Some(_) => Err(validation(key, "Invalid boolean")),
    }
}

/// A list given as a JSON list, a JSON text of one, a comma-separated string or repeated keys.
fn list(p: &Map<String, Value>, key: &str) -> Option<Vec<String>> {
    let strings = |v: &[Value]| {
        v.iter()
            .map(|x| match x {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
    };
    match p.get(key)? {
        Value::Array(v) => Some(strings(v)),
        Value::String(s) if s.trim_start().starts_with('[') => {
            match serde_json::from_str::<Vec<Value>>(s) {
                Ok(v) => Some(strings(&v)),
                Err(_) => Some(vec![s.clone()]),
            }
        }
        Value::String(s) => Some(
            s.split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect(),
        ),
        Value::Null => None,
        other => Some(vec![other.to_string()]),
    }
}

// --- datasets as CKAN dicts ------------------------------------------------------------------

/// CKAN's times: naive UTC with microseconds.
fn ckan_time(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%dT%H:%M:%S%.6f")
                .to_string()
        })
        .unwrap_or_else(|_| rfc3339.trim_end_matches('Z').to_string())
}

async fn orgs(s: &AppState) -> Result<BTreeMap<String, Organization>, Failure> {
    Ok(super::organizations(s).await?)
}

async fn dataset(s: &AppState, id: &str) -> Result<OpenDataset, Failure> {
    Ok(s.store.open_dataset(id).await?)
}

fn organization(o: &Organization, package_count: Option<usize>) -> Value {
    let mut v = json!({
        "id": o.code, "name": o.code, "title": o.name, "display_name": o.name,
        "type": "organization", "description": "", "image_url": "", "image_display_url": "",
        "created": null, "is_organization": true, "approval_status": "approved",
        "state": "active",
    });
    if let Some(n) = package_count {
        v["package_count"] = json!(n);
    }
    v
}

/// A theme as a CKAN group.
fn group(t: Theme, package_count: Option<usize>) -> Value {
    let title = crate::l10n::Texts::new(crate::l10n::Lang::Zh, chrono_tz::UTC, "/").label(t);
    let mut v = json!({
        "id": t.name(), "name": t.name(), "title": title, "display_name": title,
        "description": "", "image_url": "", "image_display_url": "", "type": "group",
        "state": "active", "is_organization": false, "approval_status": "approved",
    });
    if let Some(n) = package_count {
        v["package_count"] = json!(n);
    }
    v
}

fn license_title(id: &str) -> &'static str {
    if id == pubdata_platform::opening::search::OPEN_LICENSE {
        "Other (Open)"
    } else {
        "Other (Not Open)"
    }
}

/// A resource's id: the release's, with the file's format.
fn resource_id(r: &Release, f: File) -> String {
    format!("{}-{}", r.id, f.format().to_ascii_lowercase())
}

fn resource(d: &OpenDataset, r: &Release, f: File, site: &str) -> Value {
    let position = File::ALL.iter().position(|x| *x == f).unwrap_or(0);
    json!({
        "id": resource_id(r, f),
        "package_id": d.entry.id,
        "url": format!("{site}{}", file_url(&d.entry.id, r.number, f)),
        "format": f.format(),
        "mimetype": f.media_type().split(';').next().unwrap_or(""),
        "name": format!("{} ({})", d.entry.entry.title, f.format()),
        "description": format!("release {} of version {}, {} rows", r.number, r.version, r.rows),
        "hash": if f == File::Parquet { format!("sha256:{}", r.output_sha256) } else { String::new() },
        "size": null,
        "position": position,
        "resource_type": null,
        "url_type": null,
        "state": "active",
        "created": ckan_time(&r.published_at),
        "last_modified": ckan_time(&r.published_at),
        "metadata_modified": ckan_time(&r.published_at),
        "datastore_active": true,
    })
}

/// The DCAT-US access level of a dataset.
pub(crate) fn access_level(d: &OpenDataset) -> &'static str {
    if d.latest.is_some() {
        "public"
    } else {
        "restricted public"
    }
}

fn package(d: &OpenDataset, orgs: &BTreeMap<String, Organization>, site: &str) -> Value {
    let e = &d.entry.entry;
    let tags: Vec<Value> = values(d, Facet::Tag)
        .into_iter()
        .map(|t| json!({"id": t, "name": t, "display_name": t, "state": "active", "vocabulary_id": null}))
        .collect();
    let resources: Vec<Value> = d
        .latest
        .iter()
        .flat_map(|r| File::ALL.map(|f| resource(d, r, f, site)))
        .collect();
    let lic = license(d);
    let extras = [
        ("open_attribute", e.open.name().to_string()),
        ("update_cycle", e.update_cycle.name().to_string()),
        ("access_level", access_level(d).to_string()),
        ("region", d.region.clone()),
        (
            "grade",
            values(d, Facet::Grade)
                .into_iter()
                .next()
                .unwrap_or_default(),
        ),
    ];
    json!({
        "id": d.entry.id,
        "name": d.entry.id,
        "title": e.title,
        "notes": e.description,
        "author": d.organization,
        "author_email": null,
        "maintainer": d.organization,
        "maintainer_email": null,
        "url": format!("{site}/open/{}", d.entry.id),
        "version": d.latest.as_ref().map(|r| r.number.to_string()),
        "state": "active",
        "type": "dataset",
        "private": false,
        "license_id": lic,
        "license_title": license_title(lic),
        "isopen": d.latest.is_some(),
        "metadata_created": ckan_time(&d.entry.created_at),
        "metadata_modified": ckan_time(d.modified()),
        "owner_org": e.owner,
        "organization": orgs.get(&e.owner).map(|o| organization(o, None)),
        "groups": e.theme.map(|t| vec![group(t, None)]).unwrap_or_default(),
        "num_tags": tags.len(),
        "tags": tags,
        "extras": extras.iter().map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>(),
        "num_resources": resources.len(),
        "resources": resources,
        "relationships_as_object": [],
        "relationships_as_subject": [],
    })
}

// --- actions ---------------------------------------------------------------------------------

async fn package_list(s: &AppState, p: &Map<String, Value>) -> Answer {
    let mut names: Vec<String> = s
        .store
        .open_datasets()
        .await?
        .iter()
        .map(|d| d.entry.id.clone())
        .collect();
    names.sort();
    let offset = natural(p, "offset", 0)?;
    let limit = natural(p, "limit", usize::MAX)?;
    Ok(json!(
        names
            .into_iter()
            .skip(offset)
            .take(limit)
            .collect::<Vec<_>>()
    ))
}

/// Reads `fq` (and `fq_list`): `field:value`, `field:"quoted value"`, a leading `+`, and a
/// Solr range on `metadata_modified` (`[2026-01-01T00:00:00Z TO *]`).
fn filters(q: &mut Search, fq: &str) -> Result<(), Failure> {
    let mut rest = fq.trim();
    while !rest.is_empty() {
        let token = rest.trim_start_matches('+');
        let Some((field, after)) = token.split_once(':') else {
            return Err(Failure::SearchQuery(format!(
                "{token:?} is not field:value"
            )));
        };
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted
                .find('"')
                .ok_or_else(|| Failure::SearchQuery("an unclosed quote".into()))?;
            (quoted[..end].to_string(), &quoted[end + 1..])
        } else if let Some(range) = after.strip_prefix('[') {
            let end = range
                .find(']')
                .ok_or_else(|| Failure::SearchQuery("an unclosed range".into()))?;
            (format!("[{}]", &range[..end]), &range[end + 1..])
        } else {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            (after[..end].to_string(), &after[end..])
        };
        rest = next.trim_start();
        if field == "metadata_modified" {
            let inner = value
                .strip_prefix('[')
                .and_then(|v| v.strip_suffix(']'))
                .ok_or_else(|| {
                    Failure::SearchQuery("metadata_modified takes [FROM TO TO]".into())
                })?;
            let (from, to) = inner.split_once(" TO ").ok_or_else(|| {
                Failure::SearchQuery("metadata_modified takes [FROM TO TO]".into())
            })?;
            let bound = |b: &str| -> Result<Option<String>, Failure> {
                let b = b.trim();
                if b == "*" {
                    return Ok(None);
                }
                if b.starts_with("NOW") {
                    return Err(Failure::SearchQuery(
                        "date math (NOW) is not supported".into(),
                    ));
                }
                // Compared as text with stored times, so written the way they are.
                chrono::DateTime::parse_from_rfc3339(b)
                    .map(|t| {
                        Some(
                            t.with_timezone(&chrono::Utc)
                                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                        )
                    })
                    .map_err(|_| Failure::SearchQuery(format!("{b:?} is not a time")))
            };
            q.modified_from = bound(from)?;
            q.modified_to = bound(to)?;
            continue;
        }
        // What every dataset here is (a public, active dataset): harvesters send these.
        if let Some(always) = match field {
            "dataset_type" | "type" => Some("dataset"),
            "capacity" => Some("public"),
            "state" => Some("active"),
            _ => None,
        } {
            if value != always {
                q.filters.push((Facet::Open, "no such value".into()));
            }
            continue;
        }
        let facet = match field {
            "organization" | "owner_org" => Facet::Organization,
            "groups" => Facet::Theme,
            "tags" => Facet::Tag,
            "res_format" => Facet::Format,
            "license_id" => Facet::License,
            other => Facet::from_name(other)
                .ok_or_else(|| Failure::SearchQuery(format!("no field {other:?}")))?,
        };
        q.filters.push((facet, value));
    }
    Ok(())
}

fn sort(q: &mut Search, sort: &str) -> Result<&'static str, Failure> {
    let first = sort
        .split(',')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let mut words = first.split_whitespace();
    let (field, dir) = (words.next().unwrap_or(""), words.next().unwrap_or("asc"));
    let descending = dir == "desc";
    if dir != "asc" && dir != "desc" {
        return Err(Failure::SearchQuery(format!("sort direction {dir:?}")));
    }
    (q.sort, q.descending) = match field {
        "" | "rank" | "score" => (Sort::Relevance, false),
        "metadata_modified" => (Sort::Oldest, descending),
        "id" | "name" => (Sort::Id, descending),
        "title" | "title_string" => (Sort::Title, descending),
        "views_recent" | "downloads" => (Sort::Downloads, false),
        other => return Err(Failure::SearchQuery(format!("cannot sort by {other:?}"))),
    };
    Ok(if sort.trim().is_empty() {
        "score desc, metadata_modified desc"
    } else {
        "as given"
    })
}

async fn package_search(s: &AppState, site: &str, p: &Map<String, Value>) -> Answer {
    let mut q = Search {
        text: text(p, "q")
            .filter(|t| t.trim() != "*:*")
            .unwrap_or_default(),
        start: natural(p, "start", 0)?,
        rows: natural(p, "rows", 10)?.min(MAX_ROWS),
        ..Default::default()
    };
    if q.text.chars().count() > 200 {
        return Err(validation("q", "at most 200 characters"));
    }
    if let Some(fq) = text(p, "fq") {
        filters(&mut q, &fq)?;
    }
    for fq in list(p, "fq_list").unwrap_or_default() {
        filters(&mut q, &fq)?;
    }
    let sort_text = text(p, "sort").unwrap_or_default();
    let echoed = match sort(&mut q, &sort_text)? {
        "as given" => sort_text.clone(),
        default => default.to_string(),
    };
    let mut facet_fields = Vec::new();
    for f in list(p, "facet.field").unwrap_or_default() {
        let facet = match f.as_str() {
            "organization" | "owner_org" => Facet::Organization,
            other => Facet::from_name(other)
                .ok_or_else(|| Failure::SearchQuery(format!("no facet field {other:?}")))?,
        };
        facet_fields.push((f, facet));
    }
    let facet_limit = match p.get("facet.limit") {
        Some(Value::Number(n)) if n.as_i64() == Some(-1) => usize::MAX,
        Some(Value::String(v)) if v.trim() == "-1" => usize::MAX,
        _ => natural(p, "facet.limit", 50)?,
    };
    let mincount = natural(p, "facet.mincount", 1)?;
    let all = s.store.open_datasets().await?;
    let orgs = orgs(s).await?;
    let asked: Vec<Facet> = facet_fields.iter().map(|(_, f)| *f).collect();
    let found = search(&all, &q, &asked);
    let mut facets = Map::new();
    let mut search_facets = Map::new();
    for (name, f) in &facet_fields {
        let counted: Vec<(String, usize)> = found
            .facets
            .get(f)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, n)| *n >= mincount)
            .take(facet_limit)
            .collect();
        facets.insert(
            name.clone(),
            Value::Object(counted.iter().map(|(v, n)| (v.clone(), json!(n))).collect()),
        );
        let mut items: Vec<Value> = counted
            .iter()
            .map(|(v, n)| {
                let display = match f {
                    Facet::Organization => orgs.get(v).map_or(v.clone(), |o| o.name.clone()),
                    Facet::Theme => Theme::ALL
                        .into_iter()
                        .find(|t| t.name() == v)
                        .map_or(v.clone(), |t| {
                            group(t, None)["title"].as_str().unwrap_or("").to_string()
                        }),
                    Facet::License => license_title(v).to_string(),
                    _ => v.clone(),
                };
                json!({"name": v, "display_name": display, "count": n})
            })
            .collect();
        // CKAN lists a facet's items by display name, descending.
        items.sort_by(|a, b| b["display_name"].as_str().cmp(&a["display_name"].as_str()));
        search_facets.insert(name.clone(), json!({"title": name, "items": items}));
    }
    Ok(json!({
        "count": found.total,
        "sort": echoed,
        "facets": facets,
        "search_facets": search_facets,
        "results": found.page.iter().map(|d| package(d, &orgs, site)).collect::<Vec<_>>(),
    }))
}

/// The dataset, release and file a resource id names.
async fn resource_of(s: &AppState, id: &str) -> Result<(OpenDataset, Release, File), Failure> {
    let not_found = || Failure::NotFound(format!("Resource \"{id}\" was not found."));
    let (release_id, format) = id.rsplit_once('-').ok_or_else(not_found)?;
    let file = File::ALL
        .into_iter()
        .find(|f| f.format().eq_ignore_ascii_case(format))
        .ok_or_else(not_found)?;
    let release = s.store.release(release_id).await.map_err(|_| not_found())?;
    let d = s
        .store
        .open_dataset(&release.entry_id)
        .await
        .map_err(|_| not_found())?;
    // Only the newest public release is a resource: older and withdrawn ones are the record.
    match &d.latest {
        Some(r) if r.id == release.id => {
            let r = r.clone();
            Ok((d, r, file))
        }
        _ => Err(not_found()),
    }
}

async fn organization_list(s: &AppState, site: &str, p: &Map<String, Value>) -> Answer {
    let all_fields = boolean(p, "all_fields", false)?;
    let datasets = s.store.open_datasets().await?;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for d in datasets.iter() {
        *counts.entry(d.entry.entry.owner.clone()).or_default() += 1;
    }
    let mut list: Vec<Organization> = orgs(s).await?.into_values().collect();
    let sort_by = text(p, "sort").unwrap_or_else(|| "title asc".into());
    let mut words = sort_by.split_whitespace();
    let (field, dir) = (
        words.next().unwrap_or("title"),
        words.next().unwrap_or("asc"),
    );
    match field {
        "name" => list.sort_by(|a, b| a.code.cmp(&b.code)),
        "package_count" => list.sort_by(|a, b| {
            counts
                .get(&a.code)
                .cmp(&counts.get(&b.code))
                .then_with(|| a.code.cmp(&b.code))
        }),
        _ => list.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.code.cmp(&b.code))),
    }
    if dir == "desc" {
        list.reverse();
    }
    let offset = natural(p, "offset", 0)?;
    let limit = natural(p, "limit", if all_fields { 25 } else { 1000 })?;
    let _ = site;
    Ok(json!(
        list.iter()
            .skip(offset)
            .take(limit)
            .map(|o| if all_fields {
                organization(o, Some(counts.get(&o.code).copied().unwrap_or(0)))
            } else {
                json!(o.code)
            })
            .collect::<Vec<_>>()
    ))
}

async fn organization_show(s: &AppState, site: &str, p: &Map<String, Value>) -> Answer {
    let id = required(p, "id")?;
    let orgs = orgs(s).await?;
    let o = orgs
        .get(&id)
        .ok_or_else(|| Failure::NotFound(format!("organization {id}")))?;
    let all = s.store.open_datasets().await?;
    let datasets: Vec<&OpenDataset> = all.iter().filter(|d| d.entry.entry.owner == id).collect();
    let mut v = organization(o, Some(datasets.len()));
    v["extras"] = json!([{"key": "region", "value": o.region}]);
    v["tags"] = json!([]);
    v["groups"] = json!([]);
    v["users"] = json!([]);
    if boolean(p, "include_datasets", false)? {
        v["packages"] = json!(
            datasets
                .iter()
                .map(|d| package(d, &orgs, site))
                .collect::<Vec<_>>()
        );
    }
    Ok(v)
}

async fn group_list(s: &AppState, p: &Map<String, Value>) -> Answer {
    let all_fields = boolean(p, "all_fields", false)?;
    let datasets = s.store.open_datasets().await?;
    let count = |t: Theme| {
        datasets
            .iter()
            .filter(|d| d.entry.entry.theme == Some(t))
            .count()
    };
    Ok(json!(
        Theme::ALL
            .into_iter()
            .map(|t| if all_fields {
                group(t, Some(count(t)))
            } else {
                json!(t.name())
            })
            .collect::<Vec<_>>()
    ))
}

async fn group_show(s: &AppState, site: &str, p: &Map<String, Value>) -> Answer {
    let id = required(p, "id")?;
    let theme = Theme::ALL
        .into_iter()
        .find(|t| t.name() == id)
        .ok_or_else(|| Failure::NotFound(format!("group {id}")))?;
    let all = s.store.open_datasets().await?;
    let members: Vec<&OpenDataset> = all
        .iter()
        .filter(|d| d.entry.entry.theme == Some(theme))
        .collect();
    let mut v = group(theme, Some(members.len()));
    if boolean(p, "include_datasets", false)? {
        let orgs = orgs(s).await?;
        v["packages"] = json!(
            members
                .iter()
                .map(|d| package(d, &orgs, site))
                .collect::<Vec<_>>()
        );
    }
    Ok(v)
}

async fn tag_list(s: &AppState, p: &Map<String, Value>) -> Answer {
    let query = text(p, "query")
        .or_else(|| text(p, "q"))
        .unwrap_or_default();
    let all_fields = boolean(p, "all_fields", false)?;
    let mut tags: Vec<String> = s
        .store
        .open_datasets()
        .await?
        .iter()
        .flat_map(|d| values(d, Facet::Tag))
        .filter(|t| t.contains(query.as_str()))
        .collect();
    tags.sort();
    tags.dedup();
    Ok(json!(
        tags.into_iter()
            .map(|t| if all_fields {
                json!({"id": t, "name": t, "display_name": t, "vocabulary_id": null})
            } else {
                json!(t)
            })
            .collect::<Vec<_>>()
    ))
}

async fn datastore_search(s: &AppState, p: &Map<String, Value>) -> Answer {
    let id = text(p, "resource_id")
        .or_else(|| text(p, "id"))
        .filter(|x| !x.is_empty())
        .ok_or_else(|| validation("resource_id", "Missing value"))?;
    let (d, r, _) = resource_of(s, &id).await?;
    let records_format = text(p, "records_format").unwrap_or_else(|| "objects".into());
    if !["objects", "lists", "csv", "tsv"].contains(&records_format.as_str()) {
        return Err(validation(
            "records_format",
            "Value must be one of ['objects', 'lists', 'csv', 'tsv']",
        ));
    }
    let mut query = DatastoreQuery {
        offset: natural(p, "offset", 0)?,
        limit: natural(p, "limit", 100)?.min(MAX_RECORDS),
        include_total: boolean(p, "include_total", true)?,
        q: text(p, "q"),
        fields: list(p, "fields"),
        ..Default::default()
    };
    match p.get("filters") {
        None | Some(Value::Null) => {}
        Some(v) => {
            let object = match v {
                Value::Object(m) => m.clone(),
                Value::String(s) => match serde_json::from_str::<Value>(s) {
                    Ok(Value::Object(m)) => m,
                    _ => return Err(validation("filters", "Not a json object")),
                },
                _ => return Err(validation("filters", "Not a json object")),
            };
            for (k, v) in object {
                let wanted = match v {
                    Value::Array(items) => items
                        .into_iter()
                        .map(|x| match x {
                            Value::String(s) => s,
                            other => other.to_string(),
                        })
                        .collect(),
                    Value::String(s) => vec![s],
                    other => vec![other.to_string()],
                };
                query.filters.push((k, wanted));
            }
        }
    }
    for part in list(p, "sort").unwrap_or_default() {
        let mut words = part.split_whitespace();
        let field = words.next().unwrap_or("").trim_matches('"').to_string();
        let descending = match words.next().map(str::to_ascii_lowercase).as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(_) => return Err(validation("sort", format!("invalid value \"{part}\""))),
        };
        query.sort.push((field, descending));
    }
    let table = release_table(s, &d, &r).await.map_err(Failure::from)?;
    let answer = match pubdata_query::open::datastore_search(table, &query).await {
        Ok(a) => a,
        Err(DatastoreError::UnknownField { param, column }) => {
            return Err(validation(param, format!("invalid value \"{column}\"")));
        }
        Err(DatastoreError::Query(e)) => {
            tracing::error!(error = %e, "datastore_search failed");
            return Err(Failure::Internal);
        }
    };
    count(s, &d.entry.id, OpenCount::ApiCall).await;
    let records: Value = match records_format.as_str() {
        "objects" => json!(
            answer
                .records
                .iter()
                .map(|row| answer
                    .fields
                    .iter()
                    .zip(row)
                    .map(|((n, _), v)| (n.clone(), v.clone()))
                    .collect::<Map<_, _>>())
                .collect::<Vec<_>>()
        ),
        "lists" => json!(answer.records),
        sep => {
            let sep = if sep == "csv" { "," } else { "\t" };
            let mut out = String::new();
            for row in &answer.records {
                let cells: Vec<String> = row
                    .iter()
                    .map(|v| match v {
                        Value::String(s) if sep == "," && s.contains([',', '"', '\n', '\r']) => {
                            format!("\"{}\"", s.replace('"', "\"\""))
                        }
                        // As PostgreSQL's text format writes them.
                        Value::String(s) if sep == "\t" => s
                            .replace('\\', "\\\\")
                            .replace('\t', "\\t")
                            .replace('\n', "\\n")
                            .replace('\r', "\\r"),
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    })
                    .collect();
                out.push_str(&cells.join(sep));
                out.push('\n');
            }
            json!(out)
        }
    };
    let mut result = p.clone();
    result.insert("resource_id".into(), json!(id));
    result.insert("limit".into(), json!(query.limit));
    result.insert("include_total".into(), json!(query.include_total));
    result.insert("records_format".into(), json!(records_format));
    result.insert(
        "fields".into(),
        json!(
            answer
                .fields
                .iter()
                .map(|(n, t)| json!({"id": n, "type": t}))
                .collect::<Vec<_>>()
        ),
    );
    result.insert("records".into(), records);
    // Every argument of the request but the offset, so that following `next` continues the
    // same search.
    let path = "/api/3/action/datastore_search";
    let link = |offset: usize| {
        let mut pairs: Vec<(String, String)> = p
            .iter()
            .filter(|(k, _)| k.as_str() != "offset")
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), v)
            })
            .collect();
        pairs.push(("offset".into(), offset.to_string()));
        format!(
            "{path}?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    };
    let mut links = json!({"start": link(0), "next": link(query.offset + query.limit)});
    if query.offset > 0 {
        links["prev"] = json!(link(query.offset.saturating_sub(query.limit)));
    }
    result.insert("_links".into(), links);
    if let Some(total) = answer.total {
        result.insert("total".into(), json!(total));
        result.insert("total_was_estimated".into(), json!(false));
    }
    Ok(Value::Object(result))
}
