//! The OpenAPI 3.1 document's frame (title, tags, shared schemas) and the error
//! responses many routes share, so each is written once.
//!
//! A handler lists its own answers and adds the shared ones by type:
//! `responses((status = 200, …), JsonBody, Unavailable)`.

use std::collections::BTreeMap;

use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{IntoResponses, OpenApi};

use super::error::{FieldError, PROBLEM_JSON, Problem, RowError};

/// The parts of the document that belong to no entity.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Retort",
        description = "Fast, validated, documented APIs for a data-science team's models and \
                       analyses. Errors are RFC 9457 problem+json; lists page with cursors.",
    ),
    components(schemas(Problem, FieldError, RowError)),
    tags(
        (name = "health", description = "Liveness and readiness probes"),
    )
)]
pub struct BaseDoc;

/// The document's frame, to be merged with the entities' paths.
pub fn base() -> Document {
    let mut doc = BaseDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let scheme = HttpBuilder::new()
        .scheme(HttpAuthScheme::Bearer)
        .bearer_format("rtk_<id>_<secret>")
        .description(Some(
            "An API key (`retort keys create`, or `POST /api/keys` as an admin). Each \
             operation's requirement names the permission it needs; the roles grant them: \
             viewer (read), predictor (predict), analyst (read, predict, catalogue:write, \
             jobs:start, jobs:cancel), approver (analyst + decisions:approve), admin (all, \
             models:manage and keys:manage included).",
        ))
        .build();
    doc.components
        .get_or_insert_with(Default::default)
        .add_security_scheme(super::auth::SCHEME, SecurityScheme::Http(scheme));
    doc
}

/// A problem+json response with `description`.
pub fn problem(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

fn responses(list: &[(&str, &str)]) -> BTreeMap<String, RefOr<Response>> {
    list.iter()
        .map(|(status, description)| ((*status).to_owned(), problem(description)))
        .collect()
}

/// 503: the route needs the database, which is unreachable or locked (every route that
/// reads or writes it may answer so).
pub struct Unavailable;

impl IntoResponses for Unavailable {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses(&[(
            "503",
            "The database is unreachable or busy (locked); nothing was changed, retry later",
        )])
    }
}

/// 400, 413 and 415 of a route that reads a JSON body (`application/json` or `*+json`).
pub struct JsonBody;

impl IntoResponses for JsonBody {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses(&[
            ("400", "Malformed JSON (the detail names line and column)"),
            ("413", "The body is larger than the body limit"),
            (
                "415",
                "The body is not JSON (`application/json` or `*+json`)",
            ),
        ])
    }
}

/// 400, 413 and 415 of a CSV import (`text/csv`).
pub struct CsvBody;

impl IntoResponses for CsvBody {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses(&[
            ("400", "The upload could not be read to its end"),
            ("413", "The upload is larger than the import limit"),
            ("415", "The body is not `text/csv`"),
        ])
    }
}

/// 422 of a route whose query string is checked: an unknown or bad parameter, or too
/// many values (every problem listed).
pub struct BadQuery;

impl IntoResponses for BadQuery {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses(&[(
            "422",
            "Invalid query parameters, every one listed (unknown names, bad values, too many values)",
        )])
    }
}
