//! The OpenAPI 3.1 document of `/api/v1`, built from one table of operations that the tests also
//! walk, so the document cannot forget a route.

use serde_json::{Value, json};

/// One operation of the API.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    /// HTTP method, lower case.
    pub method: &'static str,
    /// Path, with `{id}` parameters.
    pub path: &'static str,
    /// One line for the document.
    pub summary: &'static str,
    /// Who may call it.
    pub access: &'static str,
    /// Its request body's schema, if it takes one.
    pub body: Option<&'static str>,
}

const fn op(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    access: &'static str,
    body: Option<&'static str>,
) -> Operation {
    Operation {
        method,
        path,
        summary,
        access,
        body,
    }
}

/// Every operation of `/api/v1`.
pub const OPERATIONS: &[Operation] = &[
    op(
        "get",
        "/api/v1/openapi.json",
        "This document.",
        "anyone",
        None,
    ),
    op(
        "get",
        "/api/v1/stats",
        "Headline statistics, computed live.",
        "anyone",
        None,
    ),
    op(
        "post",
        "/api/v1/tokens",
        "Sign in with a password and receive an API token (30 days).",
        "anyone",
        Some("SignIn"),
    ),
    op(
        "delete",
        "/api/v1/tokens/current",
        "Revoke the token (or session) of this request.",
        "signed in",
        None,
    ),
    op(
        "get",
        "/api/v1/me",
        "Who the token belongs to.",
        "signed in",
        None,
    ),
    op(
        "get",
        "/api/v1/catalog",
        "List and search catalog entries (q: words that must all appear; owner; limit; offset).",
        "anyone",
        None,
    ),
    op(
        "post",
        "/api/v1/catalog",
        "Create a catalog entry; the catalog rules are checked.",
        "authority_admin; department_officer for its organization",
        Some("CatalogEntry"),
    ),
    op(
        "get",
        "/api/v1/catalog/{id}",
        "One catalog entry.",
        "anyone",
        None,
    ),
    op(
        "put",
        "/api/v1/catalog/{id}",
        "Replace an entry, naming the revision it was made from.",
        "authority_admin; department_officer of the owner",
        Some("EntryUpdate"),
    ),
    op(
        "get",
        "/api/v1/catalog/{id}/versions",
        "The entry's dataset versions, newest first, with their quality reports.",
        "authority_admin, auditor; department_officer of the owner",
        None,
    ),
    op(
        "post",
        "/api/v1/catalog/{id}/versions",
        "Upload a file as the raw body (?mode=append|replace, ?format=csv|tsv|xlsx|jsonl|parquet, ?name=) to aggregate it into a new version.",
        "department_officer of the owner",
        Some("Upload"),
    ),
    op(
        "post",
        "/api/v1/sql",
        "Read-only SQL over the current version of every dataset; each is the table e_<entry id without 'e-'> (at most 10000 rows).",
        "authority_admin",
        Some("SqlQuery"),
    ),
    op(
        "get",
        "/api/v1/policies",
        "Stored release policies (de-identification or anonymization), which jobs name.",
        "authority_admin, department_officer, auditor",
        None,
    ),
    op(
        "post",
        "/api/v1/policies",
        "Store a release policy (checked first: it parses, names no file, and its key is there).",
        "authority_admin; department_officer for its organization",
        Some("NewPolicy"),
    ),
    op(
        "get",
        "/api/v1/jobs",
        "Release jobs, newest first (?limit=); an officer sees its organization's.",
        "authority_admin, auditor; department_officer (own organization)",
        None,
    ),
    op(
        "post",
        "/api/v1/jobs",
        "Queue a de-identification or anonymization job over a dataset version with a stored policy.",
        "authority_admin; department_officer of the owner",
        Some("SubmitJob"),
    ),
    op(
        "get",
        "/api/v1/jobs/{id}",
        "A job: its state, progress, error or report.",
        "who may read the owner's data",
        None,
    ),
    op(
        "post",
        "/api/v1/jobs/{id}/cancel",
        "Cancel a job: a queued one at once, a running one at its next batch.",
        "authority_admin; department_officer of the owner",
        None,
    ),
    op(
        "get",
        "/api/v1/jobs/{id}/output",
        "The release a succeeded job wrote, as Parquet.",
        "who may read the owner's data",
        None,
    ),
    op(
        "get",
        "/api/v1/organizations",
        "Organizations that hold or govern public data.",
        "anyone",
        None,
    ),
    op(
        "post",
        "/api/v1/organizations",
        "Create an organization.",
        "authority_admin",
        Some("Organization"),
    ),
    op(
        "get",
        "/api/v1/users",
        "Users and their roles.",
        "authority_admin",
        None,
    ),
    op(
        "post",
        "/api/v1/users",
        "Create a user.",
        "authority_admin",
        Some("NewUser"),
    ),
    op(
        "get",
        "/api/v1/audit",
        "Audit log entries (actor, action, target, outcome, after, limit).",
        "authority_admin, auditor",
        None,
    ),
    op(
        "get",
        "/api/v1/audit/verify",
        "Check the audit log's hash chain; names the first broken entry.",
        "authority_admin, auditor",
        None,
    ),
];

fn schemas() -> Value {
    let text = json!({"type": "string"});
    let item = json!({
        "type": "object",
        "required": ["name", "label", "data_type", "grade"],
        "properties": {
            "name": text, "label": text,
            "data_type": {"enum": ["text", "integer", "decimal", "date", "timestamp", "boolean"]},
            "personal_info": {"type": ["string", "null"], "description": "a type from `pubdata scan`, such as cn_resident_id"},
            "grade": {"enum": ["L1", "L2", "L3", "L4"]},
            "required": {"type": "boolean"}, "key": {"type": "boolean"}
        }
    });
    json!({
        "SqlQuery": {"type": "object", "required": ["sql"],
                     "properties": {"sql": text, "limit": {"type": "integer", "maximum": 10000}}},
        "NewPolicy": {"type": "object", "required": ["name", "kind", "text"],
                      "properties": {"name": text, "kind": {"enum": ["deid", "anonymize"]},
                                     "text": {"type": "string", "description": "the policy's TOML"},
                                     "owner": {"type": "string", "description": "organization code (default: the caller's)"}}},
        "SubmitJob": {"type": "object", "required": ["kind", "entry", "policy"],
                      "properties": {"kind": {"enum": ["deid", "anonymize"]}, "entry": text,
                                     "version": {"type": "integer", "description": "default: the current version"},
                                     "policy": {"type": "string", "description": "a stored policy's id"}}},
        "SignIn": {"type": "object", "required": ["username", "password"],
                   "properties": {"username": text, "password": text}},
        "DataItem": item,
        "CatalogEntry": {
            "type": "object",
            "required": ["title", "owner", "items", "update_cycle", "sharing", "open"],
            "properties": {
                "title": text, "description": text,
                "owner": {"type": "string", "description": "organization code"},
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/DataItem"}},
                "update_cycle": {"enum": ["real_time", "daily", "weekly", "monthly", "quarterly", "yearly", "irregular"]},
                "sharing": {"enum": ["unconditional", "conditional", "none"]},
                "sharing_reason": {"type": ["string", "null"]},
                "open": {"enum": ["unconditional", "restricted", "prohibited"]},
                "open_reason": {"type": ["string", "null"]}
            }
        },
        "EntryUpdate": {"type": "object", "required": ["revision", "entry"],
                        "properties": {"revision": {"type": "integer"},
                                       "entry": {"$ref": "#/components/schemas/CatalogEntry"}}},
        "Organization": {
            "type": "object", "required": ["code", "name", "kind", "level", "region"],
            "properties": {
                "code": text, "name": text,
                "kind": {"enum": ["data_authority", "state_body", "public_affairs_body", "water_supply", "power_supply", "gas_supply", "public_transport"]},
                "level": {"enum": ["province", "city", "county"]},
                "region": {"type": "string", "description": "administrative division code"}
            }
        },
        "NewUser": {
            "type": "object", "required": ["username", "role", "password"],
            "properties": {
                "username": text, "display_name": text,
                "role": {"enum": ["authority_admin", "department_officer", "auditor", "applicant", "operator"]},
                "organization": {"type": ["string", "null"]},
                "password": {"type": "string", "minLength": 10}
            }
        },
        "Error": {"type": "object", "required": ["error", "message"],
                  "properties": {"error": text, "message": text,
                                 "fields": {"type": "array", "items": {"type": "object"}}}}
    })
}

/// The document.
pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for o in OPERATIONS {
        let mut operation = json!({
            "summary": o.summary,
            "description": format!("Who may call it: {}.", o.access),
            "responses": {
                "200": {"description": "done"},
                "400": {"description": "malformed request", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "401": {"description": "not signed in, or the token is invalid or expired"},
                "403": {"description": "the role or organization may not do this, or the CSRF token is missing"}
            }
        });
        if o.path.contains("{id}") {
            operation["parameters"] = json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]);
        }
        if o.body == Some("Upload") {
            operation["requestBody"] = json!({
                "required": true,
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
            });
        } else if let Some(body) = o.body {
            operation["requestBody"] = json!({
                "required": true,
                "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{body}")}}}
            });
        }
        if o.access != "anyone" {
            operation["security"] = json!([{"bearer": []}, {"session": []}]);
        }
        let entry = paths.entry(o.path.to_string()).or_insert_with(|| json!({}));
        entry[o.method] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "pubdata",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The public data platform: catalog, aggregation, audit. Bearer tokens come from POST /api/v1/tokens; calls made with a session cookie must send X-CSRF-Token."
        },
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": crate::SESSION_COOKIE}
            }
        }
    })
}
