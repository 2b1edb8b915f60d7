use super::*;
use crate::kernel::db::Backend::{Postgres, Sqlite};
use crate::kernel::pagination::encode_cursor;

static SPEC: ListSpec = ListSpec {
    table: "things",
    columns: &[
        Column::new("id", Kind::Int),
        Column::new("name", Kind::Text).equals(),
        Column::new("size", Kind::Int).range(),
        Column::new("price", Kind::Float).range(),
        Column::new("color", Kind::Text)
            .equals()
            .allowed(&["red", "blue"]),
        Column::new("warranty", Kind::Int).range().nullable(),
    ],
    search: &["name"],
};

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn parse(list: &[(&str, &str)]) -> Result<ListQuery, Vec<FieldError>> {
    ListQuery::parse(&SPEC, &pairs(list), &[])
}

fn error_paths(list: &[(&str, &str)]) -> Vec<String> {
    parse(list)
        .err()
        .unwrap_or_default()
        .into_iter()
        .map(|e| e.path)
        .collect()
}

#[test]
fn repeated_filters_become_one_in_list_and_ranges_bind_values() {
    let q = parse(&[
        ("name", "a"),
        ("name", "b"),
        ("size_min", "3"),
        ("price_max", "9.5"),
    ])
    .unwrap();
    let sql = q.count_sql(Postgres);
    assert_eq!(
        sql.text,
        "SELECT COUNT(*) FROM things WHERE size >= $1 AND price <= $2 AND name IN ($3, $4)"
    );
    assert_eq!(
        q.count_sql(Sqlite).text,
        "SELECT COUNT(*) FROM things WHERE size >= ? AND price <= ? AND name IN (?, ?)"
    );
    assert_eq!(
        sql.binds,
        vec![
            Bind::Int(3),
            Bind::Float(9.5),
            Bind::Text("a".into()),
            Bind::Text("b".into())
        ]
    );
}

#[test]
fn every_bad_parameter_is_reported_at_once() {
    let paths = error_paths(&[
        ("size_min", "x"),
        ("colour", "red"),
        ("color", "green"),
        ("limit", "0"),
        ("sort", "nope"),
    ]);
    assert_eq!(paths, ["/size_min", "/colour", "/color", "/limit", "/sort"]);
}

#[test]
fn a_min_above_its_max_is_an_error() {
    assert_eq!(
        error_paths(&[("size_min", "5"), ("size_max", "4")]),
        ["/size_min"]
    );
}

#[test]
fn limit_is_capped_not_rejected() {
    assert_eq!(parse(&[("limit", "100000")]).unwrap().limit, MAX_LIMIT);
}

#[test]
fn search_escapes_like_wildcards() {
    let q = parse(&[("q", "50%_Off")]).unwrap();
    let sql = q.count_sql(Postgres);
    assert_eq!(
        sql.text,
        "SELECT COUNT(*) FROM things WHERE (name ILIKE $1 ESCAPE '\\')"
    );
    assert_eq!(sql.binds, vec![Bind::Text("%50\\%\\_off%".into())]);
}

#[test]
fn one_column_sort_pages_with_a_row_value_comparison() {
    let first = parse(&[("sort", "-price")]).unwrap();
    let token = encode_cursor(&first.sort_text, &[Value::from(9.5), Value::from(7)]);
    let next = parse(&[("sort", "-price"), ("cursor", &token)]).unwrap();
    let sql = next.page_sql(Postgres, "*");
    assert_eq!(
        sql.text,
        "SELECT * FROM things WHERE (price, id) < ($1, $2) ORDER BY price DESC, id DESC LIMIT 51"
    );
}

#[test]
fn nullable_sort_keys_page_with_explicit_null_handling() {
    let first = parse(&[("sort", "warranty")]).unwrap();
    let token = encode_cursor(&first.sort_text, &[Value::Null, Value::from(3)]);
    let next = parse(&[("sort", "warranty"), ("cursor", &token)]).unwrap();
    let sql = next.page_sql(Postgres, "id");
    assert_eq!(
        sql.text,
        "SELECT id FROM things WHERE ((warranty IS NOT NULL) OR (warranty IS NULL AND id > $1)) \
         ORDER BY warranty ASC NULLS FIRST, id ASC LIMIT 51"
    );
}

#[test]
fn a_cursor_from_another_sort_is_rejected() {
    let token = encode_cursor("price,id", &[Value::from(1.0), Value::from(1)]);
    assert_eq!(
        error_paths(&[("sort", "-price"), ("cursor", &token)]),
        ["/cursor"]
    );
}
