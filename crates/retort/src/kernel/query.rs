//! List queries shared by every entity: filters by field name, ranges, text search,
//! sorting on any column, keyset pagination — parsed from the query string with every
//! error reported, and turned into portable SQL with bound values only.
//!
//! An entity declares its columns once in a [`ListSpec`]; column names in SQL only ever
//! come from that static list, never from the request.

use std::fmt::Write as _;

use serde_json::Value;

use super::db::Backend;
use super::error::FieldError;
use super::pagination::{DEFAULT_LIMIT, MAX_LIMIT, decode_cursor};
use super::validation::{Cell, NUL_MESSAGE};

/// The type of a column, for parsing filter values and reading cursor values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text.
    Text,
    /// A whole number.
    Int,
    /// A floating-point number.
    Float,
    /// A boolean.
    Bool,
}

/// How a column can be filtered from the query string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// Sortable only.
    None,
    /// `?name=a&name=b`: equal to any of the values.
    Equals,
    /// `?name_min=…&name_max=…`: an inclusive range.
    Range,
}

/// One listable column.
#[derive(Debug)]
pub struct Column {
    /// The name on the wire and in the table.
    pub name: &'static str,
    /// Its type.
    pub kind: Kind,
    /// Whether it may be NULL (changes sorting and cursors).
    pub nullable: bool,
    /// How it can be filtered.
    pub filter: Filter,
    /// For `Equals` on text: the only values that exist, so a typo is a 422, not an
    /// empty page.
    pub allowed: Option<&'static [&'static str]>,
}

impl Column {
    /// A column with no filter, not nullable, of `kind`.
    pub const fn new(name: &'static str, kind: Kind) -> Self {
        Self {
            name,
            kind,
            nullable: false,
            filter: Filter::None,
            allowed: None,
        }
    }
    /// Filterable by equality (repeatable).
    pub const fn equals(mut self) -> Self {
        self.filter = Filter::Equals;
        self
    }
    /// Filterable by an inclusive range with `_min` and `_max`.
    pub const fn range(mut self) -> Self {
        self.filter = Filter::Range;
        self
    }
    /// May be NULL.
    pub const fn nullable(mut self) -> Self {
        self.nullable = true;
        self
    }
    /// Only these values exist.
    pub const fn allowed(mut self, values: &'static [&'static str]) -> Self {
        self.allowed = Some(values);
        self
    }
}

/// What an entity's list endpoint offers.
#[derive(Debug)]
pub struct ListSpec {
    /// The table to select from.
    pub table: &'static str,
    /// Every listable column; the first must be the integer primary key `id`.
    pub columns: &'static [Column],
    /// Text columns that `q` searches (case-insensitive substring).
    pub search: &'static [&'static str],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    Asc,
    Desc,
}

/// Sort keys in order, each a column and a direction.
type SortKeys = Vec<(&'static Column, Dir)>;

#[derive(Debug)]
enum Cond {
    In(&'static Column, Vec<Bind>),
    Min(&'static Column, Bind),
    Max(&'static Column, Bind),
    /// A fixed predicate from the code (never from the request).
    Literal(&'static str),
    /// `column = value`, added by the caller (not parsed from the request).
    Is(&'static str, Bind),
}

/// A parsed list request.
#[derive(Debug)]
pub struct ListQuery {
    spec: &'static ListSpec,
    conds: Vec<Cond>,
    q: Option<String>,
    sort: SortKeys,
    sort_text: String,
    /// Rows per page, already capped.
    pub limit: u32,
    after: Option<Vec<Value>>,
}

/// Query parameters every list understands besides its column filters.
pub const COMMON_PARAMS: &[&str] = &["limit", "cursor", "sort", "q"];

/// Distinct values one repeatable filter may take (`?brand=A&brand=B…`); repeats of a
/// value count once, more is a 422 naming the parameter.
pub const MAX_VALUES: usize = 100;

/// Name–value pairs one query string may carry; more is a 422 (see
/// [`crate::kernel::extract::QueryPairs`]).
pub const MAX_QUERY_PAIRS: usize = 1000;

impl ListQuery {
    /// Parses query pairs against `spec`, reporting every bad or unknown parameter.
    /// `extra` names parameters the caller handles itself (they are skipped here).
    pub fn parse(
        spec: &'static ListSpec,
        pairs: &[(String, String)],
        extra: &[&str],
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut conds = Vec::new();
        let mut q = None;
        let mut limit = DEFAULT_LIMIT;
        let mut sort_raw: Option<&str> = None;
        let mut cursor_raw: Option<&str> = None;
        // Per equality filter: its distinct values and how many values were given.
        let mut equals: Vec<(&'static Column, Vec<Bind>, usize)> = Vec::new();
        for (name, raw) in pairs {
            if raw.contains('\0') {
                errors.push(FieldError::query(name, NUL_MESSAGE));
                continue;
            }
            match name.as_str() {
                "limit" => match Cell::Text(raw).int() {
                    Ok(n) if (1..=i64::from(MAX_LIMIT)).contains(&n) => limit = n as u32,
                    Ok(n) => errors.push(FieldError::query(
                        "limit",
                        format!("must be between 1 and {MAX_LIMIT}, got {n}"),
                    )),
                    Err(m) => errors.push(FieldError::query("limit", m)),
                },
                // An empty cursor is the first page.
                "cursor" => cursor_raw = Some(raw.as_str()).filter(|c| !c.is_empty()),
                "sort" => sort_raw = Some(raw),
                "q" if !spec.search.is_empty() => {
                    let t = raw.trim();
                    if t.chars().count() > 200 {
                        errors.push(FieldError::query("q", "must have at most 200 characters"));
                    } else if !t.is_empty() {
                        q = Some(t.to_lowercase());
                    }
                }
                other if extra.contains(&other) => {}
                other => {
                    if let Some(col) = spec
                        .columns
                        .iter()
                        .find(|c| c.name == other && c.filter == Filter::Equals)
                    {
                        match parse_value(col, raw) {
                            Ok(b) => match equals.iter_mut().find(|(c, ..)| c.name == col.name) {
                                Some((_, values, given)) => add_value(values, given, b),
                                None => equals.push((col, vec![b], 1)),
                            },
                            Err(m) => errors.push(FieldError::query(other, m)),
                        }
                        continue;
                    }
                    let range = other
                        .strip_suffix("_min")
                        .map(|n| (n, true))
                        .or_else(|| other.strip_suffix("_max").map(|n| (n, false)));
                    let col = range.and_then(|(n, is_min)| {
                        spec.columns
                            .iter()
                            .find(|c| c.name == n && c.filter == Filter::Range)
                            .map(|c| (c, is_min))
                    });
                    match col {
                        Some((col, is_min)) => match parse_value(col, raw) {
                            Ok(b) if is_min => conds.push(Cond::Min(col, b)),
                            Ok(b) => conds.push(Cond::Max(col, b)),
                            Err(m) => errors.push(FieldError::query(other, m)),
                        },
                        None => errors.push(FieldError::query(other, "is not a known parameter")),
                    }
                }
            }
        }
        for (col, values, given) in equals {
            if values.len() > MAX_VALUES {
                errors.push(FieldError::query(
                    col.name,
                    format!(
                        "has more than {MAX_VALUES} distinct values ({given} given); \
                         at most {MAX_VALUES} are allowed"
                    ),
                ));
            } else {
                conds.push(Cond::In(col, values));
            }
        }
        check_ranges(&conds, &mut errors);

        let (sort, sort_text) = match parse_sort(spec, sort_raw.unwrap_or("id")) {
            Ok(s) => s,
            Err(m) => {
                errors.push(FieldError::query("sort", m));
                (Vec::new(), String::new())
            }
        };
        let after = match cursor_raw {
            Some(token) if !sort.is_empty() => match decode_cursor(token, &sort_text) {
                Some(values) if values.len() == sort.len() => Some(values),
                _ => {
                    errors.push(FieldError::query(
                        "cursor",
                        "is not a cursor from this list with this sort; pass next_cursor unchanged",
                    ));
                    None
                }
            },
            _ => None,
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            spec,
            conds,
            q,
            sort,
            sort_text,
            limit,
            after,
        })
    }

    /// Appends ` WHERE …` for the filters and search (nothing if there are none).
    pub fn push_where(&self, sql: &mut Sql) {
        self.push_where_with(sql, false);
    }

    fn push_where_with(&self, sql: &mut Sql, with_cursor: bool) {
        let mut first = true;
        let mut and = |sql: &mut Sql| {
            sql.push(if first { " WHERE " } else { " AND " });
            first = false;
        };
        for cond in &self.conds {
            and(sql);
            match cond {
                Cond::In(col, values) if values.len() == 1 => {
                    sql.push(col.name).push(" = ").bind(values[0].clone());
                }
                Cond::In(col, values) => {
                    sql.push(col.name).push(" IN (");
                    sql.bind_list(values.iter().cloned());
                    sql.push(")");
                }
                Cond::Min(col, v) => {
                    sql.push(col.name).push(" >= ").bind(v.clone());
                }
                Cond::Max(col, v) => {
                    sql.push(col.name).push(" <= ").bind(v.clone());
                }
                Cond::Literal(predicate) => {
                    sql.push(predicate);
                }
                Cond::Is(column, v) => {
                    sql.push(column).push(" = ").bind(v.clone());
                }
            }
        }
        if let Some(q) = &self.q {
            and(sql);
            let pattern = format!(
                "%{}%",
                q.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            );
            sql.push("(");
            for (i, col) in self.spec.search.iter().enumerate() {
                if i > 0 {
                    sql.push(" OR ");
                }
                // SQLite's LIKE ignores ASCII case by itself (LOWER() would triple the
                // cost of the scan); PostgreSQL needs ILIKE.
                let like = match sql.backend {
                    Backend::Sqlite => " LIKE ",
                    Backend::Postgres => " ILIKE ",
                };
                sql.push(col)
                    .push(like)
                    .bind(Bind::Text(pattern.clone()))
                    .push(" ESCAPE '\\'");
            }
            sql.push(")");
        }
        if with_cursor {
            if let Some(after) = &self.after {
                and(sql);
                self.push_after(sql, after);
            }
        }
    }

    /// The statement for one page: `columns` of the rows after the cursor, in order,
    /// one more than `limit` so the caller knows whether another page follows.
    pub fn page_sql(&self, backend: Backend, columns: &str) -> Sql {
        let mut sql = Sql::new(backend);
        sql.push("SELECT ")
            .push(columns)
            .push(" FROM ")
            .push(self.spec.table);
        self.push_where_with(&mut sql, true);
        sql.push(" ORDER BY ");
        for (i, (col, dir)) in self.sort.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push(col.name).push(match (dir, col.nullable) {
                (Dir::Asc, false) => " ASC",
                (Dir::Desc, false) => " DESC",
                (Dir::Asc, true) => " ASC NULLS FIRST",
                (Dir::Desc, true) => " DESC NULLS LAST",
            });
        }
        let _ = write!(sql.text, " LIMIT {}", self.limit + 1);
        sql
    }

    /// The statement counting every row that matches the filters.
    pub fn count_sql(&self, backend: Backend) -> Sql {
        let mut sql = Sql::new(backend);
        sql.push("SELECT COUNT(*) FROM ").push(self.spec.table);
        self.push_where(&mut sql);
        sql
    }
}

mod conditions;
pub mod docs;
mod fetch;
mod keyset;
mod sql;
mod values;

pub use sql::{Bind, Sql};

pub use conditions::Condition;

use keyset::parse_sort;
use values::{add_value, check_ranges, parse_value};

#[cfg(test)]
mod tests;
