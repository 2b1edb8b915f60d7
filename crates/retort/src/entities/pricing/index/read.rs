//! Reading the in-memory analysis: the list's own parsed filters evaluated per row, a
//! sorted page after a keyset cursor, counts, facets, and the charts' points. A filter it
//! does not know (a fixed SQL predicate) makes it decline (`None`).

mod facets;

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::super::schema::{FacetCount, MispricedOut};
use super::{NULL_INT, ScoreIndex, Strings, TextColumn};
use crate::kernel::pagination::Page;
use crate::kernel::query::{Bind, Condition, ListQuery};

/// A point of the price scatter: sku, category, list price, fair price, gap %.
pub type Point = (String, String, f64, f64, f64);

/// Facet counts by facet, and the rows matching.
pub type Facets = (BTreeMap<String, Vec<FacetCount>>, i64);

/// A row test and the column it reads.
type Test<'a> = (&'a str, Box<dyn Fn(usize) -> bool + Send + Sync + 'a>);

/// A sort key's value, NULL lowest (as the list's SQL ordered them).
#[derive(Debug, Clone, Copy)]
enum Key<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(&'a str),
}

fn cmp_keys(a: &Key<'_>, b: &Key<'_>) -> Ordering {
    use Key::*;
    match (a, b) {
        (Null, Null) => Ordering::Equal,
        (Null, _) => Ordering::Less,
        (_, Null) => Ordering::Greater,
        (Bool(x), Bool(y)) => x.cmp(y),
        (Int(x), Int(y)) => x.cmp(y),
        (Float(x), Float(y)) => x.total_cmp(y),
        (Int(x), Float(y)) => (*x as f64).total_cmp(y),
        (Float(x), Int(y)) => x.total_cmp(&(*y as f64)),
        (Text(x), Text(y)) => x.cmp(y),
        // Values of different kinds never meet in one column: order them stably.
        _ => rank(a).cmp(&rank(b)),
    }
}

fn rank(k: &Key<'_>) -> u8 {
    match k {
        Key::Null => 0,
        Key::Bool(_) => 1,
        Key::Int(_) | Key::Float(_) => 2,
        Key::Text(_) => 3,
    }
}

fn json_key(v: &Json) -> Key<'_> {
    match v {
        Json::Bool(b) => Key::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Key::Int(i),
            None => Key::Float(n.as_f64().unwrap_or(0.0)),
        },
        Json::String(s) => Key::Text(s),
        _ => Key::Null,
    }
}

fn key_json(k: Key<'_>) -> Json {
    match k {
        Key::Null => Json::Null,
        Key::Bool(b) => Json::from(b),
        Key::Int(i) => Json::from(i),
        Key::Float(f) => Json::from(f),
        Key::Text(s) => Json::from(s),
    }
}

/// A column read for sorting.
enum Col<'a> {
    Ints(&'a [i64]),
    Floats(&'a [f64]),
    Text(&'a TextColumn),
    Sku(&'a Strings),
    Bools(&'a [bool]),
}

impl Col<'_> {
    fn key(&self, i: usize) -> Key<'_> {
        match self {
            Col::Ints(v) if v[i] == NULL_INT => Key::Null,
            Col::Ints(v) => Key::Int(v[i]),
            Col::Floats(v) if v[i].is_nan() => Key::Null,
            Col::Floats(v) => Key::Float(v[i]),
            Col::Text(c) => c.get(i).map_or(Key::Null, Key::Text),
            Col::Sku(s) => Key::Text(s.get(i)),
            Col::Bools(v) => Key::Bool(v[i]),
        }
    }
}

impl ScoreIndex {
    /// The rows in ascending order of `name` (NULL first, ties by id), if it is a kept
    /// order; sorted on first use.
    pub(super) fn order(&self, name: &str) -> Option<&[u32]> {
        let cell = self.orders.get(name)?;
        let col = self.column(name)?;
        Some(cell.get_or_init(|| {
            let ids = &self.ids;
            let mut order: Vec<u32> = (0..self.rows as u32).collect();
            order.sort_unstable_by(|&a, &b| {
                let (a, b) = (a as usize, b as usize);
                cmp_keys(&col.key(a), &col.key(b)).then(ids[a].cmp(&ids[b]))
            });
            order
        }))
    }

    fn column(&self, name: &str) -> Option<Col<'_>> {
        Some(match name {
            "id" => Col::Ints(&self.ids),
            "sku" => Col::Sku(&self.sku),
            "runflat" => Col::Bools(&self.runflat),
            _ => match (
                self.text.get(name),
                self.ints.get(name),
                self.floats.get(name),
            ) {
                (Some(c), _, _) => Col::Text(c),
                (_, Some(v), _) => Col::Ints(v),
                (_, _, Some(v)) => Col::Floats(v),
                _ => return None,
            },
        })
    }

    /// One test per condition of `query` (the run's own scope needs none), or `None`
    /// if one cannot be evaluated here.
    fn tests<'a>(&'a self, query: &'a ListQuery) -> Option<Vec<Test<'a>>> {
        let mut tests: Vec<Test<'a>> = Vec::new();
        for c in query.conditions() {
            let test: Test<'a> = match c {
                Condition::Literal(_) => return None,
                Condition::In("model", values) => {
                    if values
                        .iter()
                        .any(|v| matches!(v, Bind::Text(m) if *m == self.key))
                    {
                        continue;
                    }
                    ("model", Box::new(|_| false))
                }
                Condition::In("runflat", values) => {
                    let wanted: Vec<bool> = values
                        .iter()
                        .filter_map(|v| match v {
                            Bind::Bool(b) => Some(*b),
                            _ => None,
                        })
                        .collect();
                    let col = &self.runflat;
                    ("runflat", Box::new(move |i| wanted.contains(&col[i])))
                }
                Condition::In("sku", values) => {
                    let wanted: Vec<&str> = values
                        .iter()
                        .filter_map(|v| match v {
                            Bind::Text(t) => Some(t.as_str()),
                            _ => None,
                        })
                        .collect();
                    let sku = &self.sku;
                    ("sku", Box::new(move |i| wanted.contains(&sku.get(i))))
                }
                Condition::In(name, values) => {
                    if let Some(col) = self.text.get(name) {
                        let codes: Vec<u32> = values
                            .iter()
                            .filter_map(|v| match v {
                                Bind::Text(t) => col.lookup.get(t).copied(),
                                _ => None,
                            })
                            .collect();
                        (name, Box::new(move |i| codes.contains(&col.codes[i])))
                    } else if let Some(col) = self.ints.get(name) {
                        let wanted: Vec<i64> = values
                            .iter()
                            .filter_map(|v| match v {
                                Bind::Int(x) => Some(*x),
                                _ => None,
                            })
                            .collect();
                        (
                            name,
                            Box::new(move |i| col[i] != NULL_INT && wanted.contains(&col[i])),
                        )
                    } else {
                        return None;
                    }
                }
                Condition::Min(name, v) | Condition::Max(name, v) => {
                    let at_least = matches!(c, Condition::Min(..));
                    match (self.ints.get(name), self.floats.get(name), v) {
                        (Some(col), _, Bind::Int(x)) => {
                            let x = *x;
                            (
                                name,
                                Box::new(move |i| {
                                    col[i] != NULL_INT
                                        && if at_least { col[i] >= x } else { col[i] <= x }
                                }),
                            )
                        }
                        (_, Some(col), Bind::Float(x)) => {
                            let x = *x;
                            (
                                name,
                                Box::new(move |i| if at_least { col[i] >= x } else { col[i] <= x }),
                            )
                        }
                        _ => return None,
                    }
                }
            };
            tests.push(test);
        }
        if let Some((q, columns)) = query.search() {
            let q = q.to_lowercase();
            let matching = |name: &str| -> Option<Vec<bool>> {
                let col = self.text.get(name)?;
                Some(
                    col.values
                        .iter()
                        .map(|v| v.to_lowercase().contains(&q))
                        .collect(),
                )
            };
            if !columns.iter().all(|c| ["sku", "brand", "line"].contains(c)) {
                return None;
            }
            let brands = matching("brand")?;
            let lines = matching("line")?;
            let (brand, line) = (self.text.get("brand")?, self.text.get("line")?);
            let skus = &self.sku_lower;
            tests.push((
                "q",
                Box::new(move |i| {
                    skus.get(i).contains(&q)
                        || brands
                            .get(brand.codes[i] as usize)
                            .copied()
                            .unwrap_or(false)
                        || lines.get(line.codes[i] as usize).copied().unwrap_or(false)
                }),
            ));
        }
        Some(tests)
    }

    /// Rows matching every filter of `query`; `None` if it has a filter the index does
    /// not evaluate.
    pub fn count(&self, query: &ListQuery) -> Option<i64> {
        let tests = self.tests(query)?;
        if tests.is_empty() {
            return Some(self.rows as i64);
        }
        Some(
            (0..self.rows)
                .filter(|&i| tests.iter().all(|(_, t)| t(i)))
                .count() as i64,
        )
    }

    /// One page of `query` — its rows after the cursor in its order, the cursor of the
    /// next page, the rows matching in all — or `None` if it has a filter or sort key
    /// the index does not evaluate.
    pub fn page(&self, query: &ListQuery) -> Option<Page<MispricedOut>> {
        let tests = self.tests(query)?;
        let keys: Vec<(Col<'_>, bool)> = query
            .sort_columns()
            .into_iter()
            .map(|(name, desc)| self.column(name).map(|c| (c, desc)))
            .collect::<Option<_>>()?;
        let after: Option<Vec<Key<'_>>> = query.after().map(|v| v.iter().map(json_key).collect());
        let ordered = |o: Ordering, desc: bool| if desc { o.reverse() } else { o };
        let cmp_rows = |a: usize, b: usize| {
            keys.iter()
                .map(|(c, desc)| ordered(cmp_keys(&c.key(a), &c.key(b)), *desc))
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal)
        };
        let past_cursor = |i: usize| match &after {
            None => true,
            Some(values) => {
                keys.iter()
                    .zip(values)
                    .map(|((c, desc), v)| ordered(cmp_keys(&c.key(i), v), *desc))
                    .find(|o| *o != Ordering::Equal)
                    == Some(Ordering::Greater)
            }
        };
        let pass = |i: usize| tests.iter().all(|(_, t)| t(i));
        let want = query.limit as usize + 1;
        let count = || {
            if tests.is_empty() {
                self.rows
            } else {
                (0..self.rows).filter(|&i| pass(i)).count()
            }
        };
        // One column and the id, the same way: read off a kept order.
        let kept = match keys.as_slice() {
            [(_, desc), (_, id_desc)] if desc == id_desc => query
                .sort_columns()
                .first()
                .and_then(|(name, _)| self.order(name))
                .map(|order| (order, *desc)),
            _ => None,
        };
        let (picked, total) = if let Some((order, desc)) = kept {
            let picked: Vec<usize> = if desc {
                // Past the cursor, descending: everything below it in ascending order.
                let end = order.partition_point(|&i| past_cursor(i as usize));
                order[..end]
                    .iter()
                    .rev()
                    .map(|&i| i as usize)
                    .filter(|&i| pass(i))
                    .take(want)
                    .collect()
            } else {
                let start = order.partition_point(|&i| !past_cursor(i as usize));
                order[start..]
                    .iter()
                    .map(|&i| i as usize)
                    .filter(|&i| pass(i))
                    .take(want)
                    .collect()
            };
            (picked, count())
        } else {
            let (mut candidates, mut total) = (Vec::new(), 0usize);
            for i in (0..self.rows).filter(|&i| pass(i)) {
                total += 1;
                if past_cursor(i) {
                    candidates.push(i);
                }
            }
            if candidates.len() > want {
                candidates.select_nth_unstable_by(want - 1, |a, b| cmp_rows(*a, *b));
                candidates.truncate(want);
            }
            candidates.sort_unstable_by(|a, b| cmp_rows(*a, *b));
            (candidates, total)
        };
        let more = picked.len() > query.limit as usize;
        let picked = &picked[..picked.len().min(query.limit as usize)];
        let next_cursor = match picked.last() {
            Some(&last) if more => Some(
                query.cursor_of(
                    &keys
                        .iter()
                        .map(|(c, _)| key_json(c.key(last)))
                        .collect::<Vec<_>>(),
                ),
            ),
            _ => None,
        };
        Some(Page {
            items: picked.iter().map(|&i| self.row(i)).collect(),
            next_cursor,
            total: total as i64,
        })
    }

    /// `(sku, category, list price, fair price, gap %)` of the rows `query` selects whose
    /// id is a multiple of `step`, in id order.
    pub fn scatter(&self, query: &ListQuery, step: i64) -> Option<Vec<Point>> {
        let tests = self.tests(query)?;
        let step = step.max(1);
        let (list, fair, gap) = (
            &self.floats["list_price"],
            &self.floats["fair_price"],
            &self.floats["gap_pct"],
        );
        Some(
            (0..self.rows)
                .filter(|&i| self.ids[i] % step == 0 && tests.iter().all(|(_, t)| t(i)))
                .map(|i| {
                    (
                        self.sku.get(i).to_owned(),
                        self.text["category"].get(i).unwrap_or_default().to_owned(),
                        list[i],
                        fair[i],
                        gap[i],
                    )
                })
                .collect(),
        )
    }

    /// The relative gaps (%) of the rows `query` selects.
    pub fn gap_pcts(&self, query: &ListQuery) -> Option<Vec<f64>> {
        let tests = self.tests(query)?;
        let gap = &self.floats["gap_pct"];
        Some(
            (0..self.rows)
                .filter(|&i| tests.iter().all(|(_, t)| t(i)))
                .map(|i| gap[i])
                .collect(),
        )
    }

    /// Every row as `(sku, mispricing, |gap|, log ratio)`.
    pub fn gaps(&self) -> Vec<(String, f64, f64, f64)> {
        let (m, gap, lr) = (
            &self.floats["mispricing"],
            &self.floats["gap"],
            &self.floats["log_ratio"],
        );
        (0..self.rows)
            .map(|i| (self.sku.get(i).to_owned(), m[i], gap[i].abs(), lr[i]))
            .collect()
    }
}
