//! The OpenAPI parameters of a list, written from the same [`ListSpec`] the parser
//! reads, so the document names exactly the filters, types, values and sort keys the
//! list accepts.

use serde_json::{Value, json};
use utoipa::openapi::path::Parameter;

use super::{Column, Filter, Kind, ListSpec, MAX_VALUES};
use crate::kernel::pagination::{DEFAULT_LIMIT, MAX_LIMIT};

/// Text in a query value may be anything but a NUL character.
pub const NO_NUL: &str = "^[^\\u0000]*$";

/// Text that is not only white space (as Rust's `trim` sees it) and has no NUL.
pub const NON_BLANK: &str = r"^[^\u0000]*[^\u0000\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000]*$";

/// A query parameter from its name, description and JSON Schema; arrays repeat the name
/// (`?brand=A&brand=B`).
pub fn query_param(name: &str, description: &str, schema: Value) -> Parameter {
    let mut p = json!({
        "name": name, "in": "query", "required": false,
        "description": description, "schema": schema,
    });
    if p["schema"]["type"] == "array" {
        p["style"] = json!("form");
        p["explode"] = json!(true);
    }
    serde_json::from_value(p).unwrap_or_else(|_| Parameter::new(name))
}

/// The schema of one value of `col`.
fn value_schema(col: &Column) -> Value {
    match (col.kind, col.allowed) {
        (Kind::Text, Some(values)) => json!({ "type": "string", "enum": values }),
        (Kind::Text, None) => json!({ "type": "string", "pattern": NO_NUL }),
        (Kind::Int, _) => json!({
            "type": "integer", "format": "int64", "minimum": i64::MIN, "maximum": i64::MAX
        }),
        (Kind::Float, _) => json!({ "type": "number" }),
        (Kind::Bool, _) => json!({ "type": "boolean" }),
    }
}

/// The regular expression of a `sort` value over the columns of `spec`: up to three
/// names, comma-separated, each with an optional `-` (descending) or `+`.
pub fn sort_pattern(spec: &ListSpec) -> String {
    let names: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
    let key = format!(" *[-+]?(?:{}) *", names.join("|"));
    format!("^{key}(?:,{key}){{0,2}}$")
}

/// `limit`, `cursor`, `sort` (default `default_sort`), `q` where the list searches, and
/// every filter of `spec`, as the list parser reads them.
pub fn list_params(spec: &ListSpec, default_sort: &str) -> Vec<Parameter> {
    let mut out = vec![
        query_param(
            "limit",
            &format!("Rows per page, 1–{MAX_LIMIT}; default {DEFAULT_LIMIT}."),
            json!({ "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT }),
        ),
        query_param(
            "cursor",
            "`next_cursor` of the previous page, unchanged, with the same filters and sort \
             (empty: the first page).",
            json!({ "type": "string", "format": "retort-cursor", "pattern": "^[0-9a-f]*$" }),
        ),
        query_param(
            "sort",
            &format!(
                "Up to 3 comma-separated columns, `-` for descending; default `{default_sort}`. \
                 The id is added as the last key. A column named twice counts once."
            ),
            json!({ "type": "string", "pattern": sort_pattern(spec), "default": default_sort }),
        ),
    ];
    if !spec.search.is_empty() {
        out.push(query_param(
            "q",
            &format!(
                "Case-insensitive substring of {} (at most 200 characters).",
                spec.search.join(", ")
            ),
            json!({ "type": "string", "maxLength": 200, "pattern": NO_NUL }),
        ));
    }
    for col in spec.columns {
        match col.filter {
            Filter::None => {}
            Filter::Equals => out.push(query_param(
                col.name,
                &format!(
                    "Only rows whose `{0}` is one of these (repeatable: `?{0}=a&{0}=b`; \
                     a repeated value counts once; at most {MAX_VALUES} distinct values).",
                    col.name
                ),
                json!({ "type": "array", "items": value_schema(col) }),
            )),
            Filter::Range => {
                let none = if col.nullable {
                    " (rows without one never match)"
                } else {
                    ""
                };
                out.push(query_param(
                    &format!("{}_min", col.name),
                    &format!(
                        "Only rows whose `{0}` is at least this{none}; not above `{0}_max` (a 422).",
                        col.name
                    ),
                    value_schema(col),
                ));
                out.push(query_param(
                    &format!("{}_max", col.name),
                    &format!("Only rows whose `{}` is at most this{none}.", col.name),
                    value_schema(col),
                ));
            }
        }
    }
    out
}

/// The JSON Schema of a filters object over `spec` (`{"brand": ["A", "B"],
/// "rim_in_min": 16, "q": "pilot"}`), as jobs read them: each equality filter takes a
/// value or a list of values, each range bound one value; nothing else.
pub fn filters_schema(spec: &ListSpec) -> Value {
    let mut properties = serde_json::Map::new();
    if !spec.search.is_empty() {
        properties.insert(
            "q".into(),
            json!({ "type": "string", "maxLength": 200, "pattern": NO_NUL }),
        );
    }
    for col in spec.columns {
        match col.filter {
            Filter::None => {}
            Filter::Equals => {
                let one = value_schema(col);
                properties.insert(
                    col.name.into(),
                    json!({ "anyOf": [one, { "type": "array", "items": one }] }),
                );
            }
            Filter::Range => {
                for bound in ["min", "max"] {
                    properties.insert(format!("{}_{bound}", col.name), value_schema(col));
                }
            }
        }
    }
    json!({ "type": "object", "additionalProperties": false, "properties": properties })
}

/// Declares a type whose OpenAPI parameters are those of a list over a [`ListSpec`],
/// plus any more the handler reads itself: `list_params!(ProductListParams, LIST, "id")`.
#[macro_export]
macro_rules! list_params {
    ($(#[$doc:meta])* $name:ident, $spec:expr, $sort:expr $(, $extra:expr)?) => {
        $(#[$doc])*
        pub struct $name;

        impl utoipa::IntoParams for $name {
            fn into_params(
                _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
            ) -> Vec<utoipa::openapi::path::Parameter> {
                #[allow(unused_mut)]
                let mut params = $crate::kernel::query::docs::list_params(&$spec, $sort);
                $(params.extend($extra);)?
                params
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    static SPEC: ListSpec = ListSpec {
        table: "t",
        columns: &[
            Column::new("id", Kind::Int),
            Column::new("name", Kind::Text).equals(),
            Column::new("size", Kind::Int).range().nullable(),
        ],
        search: &[],
    };

    #[test]
    fn a_list_documents_its_filters_and_no_search_when_it_has_none() {
        let params = list_params(&SPEC, "id");
        let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            ["limit", "cursor", "sort", "name", "size_min", "size_max"]
        );
        let doc = serde_json::to_value(&params[3]).unwrap_or_default();
        assert_eq!(doc["schema"]["type"], "array");
        assert_eq!(doc["explode"], true);
    }

    #[test]
    fn the_sort_pattern_names_every_column() {
        assert_eq!(
            sort_pattern(&SPEC),
            "^ *[-+]?(?:id|name|size) *(?:, *[-+]?(?:id|name|size) *){0,2}$"
        );
    }
}
