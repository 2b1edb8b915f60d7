//! Keyset pagination: the sort keys a list is ordered by, the condition "after the
//! cursor's row" (row values where one index range can serve it, NULL-safe otherwise),
//! and the cursor of a page's last row.

use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Bind, Column, Dir, Kind, ListQuery, ListSpec, SortKeys, Sql};
use crate::kernel::db::get_bool;
use crate::kernel::pagination::encode_cursor;

fn json_as_bind(col: &Column, v: &Value) -> Option<Option<Bind>> {
    if v.is_null() {
        return col.nullable.then_some(None);
    }
    Some(Some(match col.kind {
        Kind::Text => Bind::Text(v.as_str()?.to_owned()),
        Kind::Int => Bind::Int(v.as_i64()?),
        Kind::Float => Bind::Float(v.as_f64()?),
        Kind::Bool => Bind::Bool(v.as_bool()?),
    }))
}

impl ListQuery {
    /// Appends the keyset condition "strictly after the cursor's row".
    pub(super) fn push_after(&self, sql: &mut Sql, after: &[Value]) {
        let keys: Vec<(&Column, Dir, Option<Bind>)> = self
            .sort
            .iter()
            .zip(after)
            .map(|((c, d), v)| (*c, *d, json_as_bind(c, v).flatten()))
            .collect();
        let same_dir = keys.iter().all(|(_, d, _)| *d == keys[0].1);
        if same_dir && keys.iter().all(|(c, _, v)| !c.nullable && v.is_some()) {
            // Row-value comparison: one range condition an index on the keys can seek to.
            let names: Vec<&str> = keys.iter().map(|(c, _, _)| c.name).collect();
            sql.push("(")
                .push(&names.join(", "))
                .push(if keys[0].1 == Dir::Asc {
                    ") > ("
                } else {
                    ") < ("
                });
            for (i, (_, _, v)) in keys.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                if let Some(v) = v {
                    sql.bind(v.clone());
                }
            }
            sql.push(")");
            return;
        }
        // General form, NULL sorting lowest: OR over i of (keys before i equal, key i after).
        sql.push("(");
        for i in 0..keys.len() {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.push("(");
            for (c, _, v) in &keys[..i] {
                match v {
                    Some(v) => sql.push(c.name).push(" = ").bind(v.clone()),
                    None => sql.push(c.name).push(" IS NULL"),
                };
                sql.push(" AND ");
            }
            let (c, d, v) = &keys[i];
            match (d, v) {
                (Dir::Asc, Some(v)) => sql.push(c.name).push(" > ").bind(v.clone()),
                (Dir::Asc, None) => sql.push(c.name).push(" IS NOT NULL"),
                (Dir::Desc, Some(v)) if c.nullable => sql
                    .push("(")
                    .push(c.name)
                    .push(" < ")
                    .bind(v.clone())
                    .push(" OR ")
                    .push(c.name)
                    .push(" IS NULL)"),
                (Dir::Desc, Some(v)) => sql.push(c.name).push(" < ").bind(v.clone()),
                (Dir::Desc, None) => sql.push("1 = 0"),
            };
            sql.push(")");
        }
        sql.push(")");
    }

    /// The sort keys in order, each a column name and whether it is descending (the id
    /// last, as the tie-break): for a caller that orders rows itself.
    pub fn sort_columns(&self) -> Vec<(&'static str, bool)> {
        self.sort
            .iter()
            .map(|(c, d)| (c.name, *d == Dir::Desc))
            .collect()
    }

    /// The sort as its cursor names it, e.g. `-mispricing,-id`.
    pub fn sort_text(&self) -> &str {
        &self.sort_text
    }

    /// The sort-key values of the row the cursor continues after, if a cursor was given.
    pub fn after(&self) -> Option<&[Value]> {
        self.after.as_deref()
    }

    /// The cursor that continues after a row whose sort-key values are `values` (in the
    /// order of [`Self::sort_columns`]).
    pub fn cursor_of(&self, values: &[Value]) -> String {
        encode_cursor(&self.sort_text, values)
    }

    /// The cursor that continues after `row` (the last row of a page).
    pub fn cursor_after(&self, row: &AnyRow) -> Result<String, sqlx::Error> {
        let values = self
            .sort
            .iter()
            .map(|(col, _)| {
                Ok(match col.kind {
                    Kind::Text => row.try_get::<Option<String>, _>(col.name)?.map(Value::from),
                    Kind::Int => row.try_get::<Option<i64>, _>(col.name)?.map(Value::from),
                    Kind::Float => row.try_get::<Option<f64>, _>(col.name)?.map(Value::from),
                    Kind::Bool => Some(Value::from(get_bool(row, col.name)?)),
                }
                .unwrap_or(Value::Null))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(encode_cursor(&self.sort_text, &values))
    }
}

/// Parses `sort=-list_price,brand` into keys, ending with the id as a tie-breaker in the
/// direction of the last key (so a one-column sort pages with a single index range).
/// The grammar is the one the document gives ([`super::docs::sort_pattern`]): one to
/// three names, comma-separated, each with an optional sign and spaces around; a
/// column named again counts once (its first place and direction decide).
pub(super) fn parse_sort(spec: &'static ListSpec, raw: &str) -> Result<(SortKeys, String), String> {
    let mut keys: Vec<(&'static Column, Dir)> = Vec::new();
    let parts: Vec<&str> = raw.split(',').map(|p| p.trim_matches(' ')).collect();
    if parts.len() > 3 {
        return Err("at most 3 sort keys".into());
    }
    for part in parts {
        if part.is_empty() {
            return Err("names an empty column; give up to 3 comma-separated columns".into());
        }
        let (name, dir) = match part.strip_prefix('-') {
            Some(n) => (n, Dir::Desc),
            None => (part.strip_prefix('+').unwrap_or(part), Dir::Asc),
        };
        let col = spec
            .columns
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
                format!(
                    "cannot sort by {name:?}; sortable columns: {}",
                    names.join(", ")
                )
            })?;
        if !keys.iter().any(|(c, _)| c.name == col.name) {
            keys.push((col, dir));
        }
    }
    let last_dir = keys.last().map_or(Dir::Asc, |(_, d)| *d);
    if !keys.iter().any(|(c, _)| c.name == "id") {
        if let Some(id) = spec.columns.iter().find(|c| c.name == "id") {
            keys.push((id, last_dir));
        }
    }
    let text = keys
        .iter()
        .map(|(c, d)| {
            if *d == Dir::Desc {
                format!("-{}", c.name)
            } else {
                c.name.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    Ok((keys, text))
}
