//! Errors as the API answers them: a status and a JSON body naming what is wrong.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pubdata_platform::access::Denied;
use pubdata_platform::catalog::Violation;
use pubdata_platform::ingest::IngestError;
use pubdata_platform::store::StoreError;
use serde::Serialize;

/// An API error.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: Vec<Violation>,
    /// A quality report, for an upload whose every row was rejected.
    pub report: Option<serde_json::Value>,
    /// Seconds to wait before trying again (sent as `Retry-After`).
    pub retry_after: Option<u64>,
}

/// What every refusal or failure of the API answers with (`Error` in the OpenAPI document).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub(crate) struct ErrorBody {
    /// A stable code: `bad_request`, `denied`, `not_found`, `conflict`, `invalid`,
    /// `catalog_rules`, `rejected_upload`, `throttled`, `busy`, `too_large`, `internal` ...
    error: &'static str,
    /// What is wrong, for a person.
    message: String,
    /// The catalog rules an entry broke, field by field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fields: Vec<Violation>,
    /// The quality report of an upload whose every row was rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<pubdata_platform::quality::QualityReport>)]
    report: Option<serde_json::Value>,
}

/// Longest message an error answers with, in characters: messages quote what a caller sent
/// (a file's header, a name), and no answer should grow with it.
const MAX_MESSAGE: usize = 2000;

/// `message` cut to [`MAX_MESSAGE`] characters, with a mark when cut.
fn capped(message: String) -> String {
    match message.char_indices().nth(MAX_MESSAGE) {
        None => message,
        Some((end, _)) => format!("{}…", &message[..end]),
    }
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: capped(message.into()),
            fields: Vec::new(),
            report: None,
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// A failure of the server's own: logged, and answered without its details (which may
    /// name paths or locations).
    pub fn internal(message: impl std::fmt::Display) -> Self {
        tracing::error!(%message, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed; the error is in its log",
        )
    }
}

impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::Store(se) => se.into(),
            IngestError::Io { .. } | IngestError::Storage(_) => ApiError::internal(e),
            // The upload's own fault: the message names the uploaded file, never server paths.
            other => {
                let mut err = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "rejected_upload",
                    other.to_string(),
                );
                if let IngestError::NothingAccepted { report, .. }
                | IngestError::TooManyRejected { report, .. } = &other
                {
                    err.report = serde_json::to_value(report).ok();
                }
                err
            }
        }
    }
}

impl From<Denied> for ApiError {
    fn from(d: Denied) -> Self {
        let status = match d {
            Denied::NotSignedIn => StatusCode::UNAUTHORIZED,
            _ => StatusCode::FORBIDDEN,
        };
        ApiError::new(status, "denied", d.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string())
            }
            StoreError::Denied(d) => d.into(),
            StoreError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            StoreError::Invalid(m) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m),
            StoreError::Rules(v) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "catalog_rules",
                message: v.to_string(),
                fields: v.0,
                report: None,
                retry_after: None,
            },
            StoreError::NotReleasable(r) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "opening_rules",
                r.to_string(),
            ),
            StoreError::BadCredentials => {
                ApiError::new(StatusCode::UNAUTHORIZED, "bad_credentials", e.to_string())
            }
            StoreError::Throttled { seconds } => ApiError {
                retry_after: Some(seconds),
                ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "throttled", e.to_string())
            },
            StoreError::Busy { seconds } => ApiError {
                retry_after: Some(seconds),
                ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", e.to_string())
            },
            // The details stay in the server's log; the caller learns only that it failed.
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.code,
            message: self.message,
            fields: self.fields,
            report: self.report,
        };
        let mut r = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            r.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        r
    }
}
