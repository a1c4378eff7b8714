//! The OpenAPI 3.1 document of `/api/v1`, derived from the code: every API route is registered
//! through [`router`] from its handler's `#[utoipa::path]` description, and the request and
//! response schemas are the types the handlers parse and answer with. A route served under
//! `/api/v1` is therefore in the document, and a schema cannot drift from its type.

use std::sync::OnceLock;

use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "pubdata",
        description = "The public data platform: catalog, aggregation, releases, audit. Bearer \
                       tokens come from POST /api/v1/tokens; calls made with a session cookie \
                       must send X-CSRF-Token."
    ),
    components(schemas(ErrorBody)),
    modifiers(&Security)
)]
struct Api;

/// Every route of `/api/v1` with its description; `app` serves the router half.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Api::openapi())
        .merge(crate::api::routes())
        .merge(crate::uploads::routes())
        .merge(crate::sql::routes())
        .merge(crate::jobs::routes())
        .merge(crate::open::releases::routes())
}

/// The document, as `GET /api/v1/openapi.json` serves it.
pub fn document() -> &'static serde_json::Value {
    static DOCUMENT: OnceLock<serde_json::Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut api = router().into_openapi();
        Refusals.modify(&mut api);
        // Serializing plain data types cannot fail.
        serde_json::to_value(&api).unwrap_or_default()
    })
}

/// The two ways to present a credential.
struct Security;

impl Modify for Security {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::SESSION_COOKIE))),
        );
    }
}

/// The refusals any operation can answer with, added to each so that the document lists every
/// status the server sends: a malformed request, a missing or expired credential, a role that may
/// not, the anonymous rate limit; 404 where the path or the body names something; and the body's
/// own refusals (too large, not JSON, not the schema) where there is a body.
struct Refusals;

impl Refusals {
    fn add(operation: &mut Operation, has_id: bool) {
        let mut codes = vec![
            (
                "400",
                "The request is malformed (a query parameter, the path).",
            ),
            ("401", "Not signed in, or the token is invalid or expired."),
            (
                "403",
                "The role or organization may not do this, or the CSRF token is missing.",
            ),
            (
                "429",
                "Too many requests (per address without signing in, per user when signed in) or sign-in attempts; see Retry-After.",
            ),
        ];
        if has_id || operation.request_body.is_some() {
            codes.push((
                "404",
                "Nothing has that id, or the body names something that does not exist.",
            ));
        }
        if operation.request_body.is_some() {
            codes.push(("413", "The body is larger than this operation takes."));
            codes.push((
                "415",
                "The body is not of the content type this operation takes.",
            ));
            codes.push((
                "422",
                "The body does not fit the schema or the platform's rules.",
            ));
        }
        for (code, description) in codes {
            if !operation.responses.responses.contains_key(code) {
                let response = ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Error")))
                            .build(),
                    )
                    .build();
                operation
                    .responses
                    .responses
                    .insert(code.to_string(), response.into());
            }
        }
    }
}

impl Modify for Refusals {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        for (path, item) in api.paths.paths.iter_mut() {
            let has_id = path.contains('{');
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                Refusals::add(operation, has_id);
            }
        }
    }
}
