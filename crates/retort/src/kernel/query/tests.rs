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
fn limit_is_taken_from_1_to_the_maximum_and_refused_outside() {
    assert_eq!(parse(&[("limit", "1000")]).unwrap().limit, MAX_LIMIT);
    assert_eq!(parse(&[("limit", "1")]).unwrap().limit, 1);
    assert_eq!(error_paths(&[("limit", "1001")]), ["/limit"]);
    assert_eq!(error_paths(&[("limit", "0")]), ["/limit"]);
}

#[test]
fn sort_follows_the_documented_grammar() {
    let pattern = docs::sort_pattern(&SPEC);
    assert!(pattern.starts_with("^ *[-+]?(?:id|name|size|price|color|warranty) *"));
    for ok in [
        "name",
        " -price , name ",
        "+size",
        "name,name",
        "-price,size,name",
    ] {
        assert!(parse(&[("sort", ok)]).is_ok(), "{ok:?}");
    }
    for bad in [
        "",
        " ",
        "name,",
        ",name",
        "name,,size",
        "a,b,c,d",
        "id,name,size,price",
        "nope",
        "\tname",
    ] {
        assert_eq!(error_paths(&[("sort", bad)]), ["/sort"], "{bad:?}");
    }
    let twice = parse(&[("sort", "-price,price")]).unwrap();
    assert_eq!(twice.sort_text, "-price,-id");
}

#[test]
fn an_empty_cursor_is_the_first_page() {
    let q = parse(&[("cursor", "")]).unwrap();
    assert!(q.after.is_none());
}

#[test]
fn q_is_unknown_where_the_list_searches_nothing() {
    static NO_SEARCH: ListSpec = ListSpec {
        table: "t",
        columns: &[Column::new("id", Kind::Int)],
        search: &[],
    };
    let errors = ListQuery::parse(&NO_SEARCH, &pairs(&[("q", "x")]), &[])
        .err()
        .unwrap_or_default();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].path, "/q");
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

#[test]
fn repeated_values_of_a_filter_count_once() {
    let mut list = vec![("name", "a"); 5_000];
    list.push(("name", "b"));
    list.extend(vec![("color", "red"); 300]);
    let q = parse(&list).unwrap();
    let sql = q.count_sql(Postgres);
    assert_eq!(
        sql.text,
        "SELECT COUNT(*) FROM things WHERE name IN ($1, $2) AND color = $3"
    );
}

#[test]
fn a_filter_with_more_distinct_values_than_the_cap_is_refused_by_name() {
    let values: Vec<String> = (0..=MAX_VALUES).map(|i| format!("v{i}")).collect();
    let mut list: Vec<(&str, &str)> = values.iter().map(|v| ("name", v.as_str())).collect();
    assert_eq!(error_paths(&list[..MAX_VALUES]), Vec::<String>::new());
    list.push(("name", "v0"));
    let errors = parse(&list).err().unwrap_or_default();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].path, "/name");
    assert_eq!(errors[0].location, Some("query"));
    let expected = format!(
        "more than {MAX_VALUES} distinct values ({} given)",
        MAX_VALUES + 2
    );
    assert!(
        errors[0].message.contains(&expected),
        "{}",
        errors[0].message
    );
}
